import pg from 'pg';
import {
  CamelCasePlugin,
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
  type Transaction,
} from 'kysely';
import type { SharedTables } from './schema.js';

/**
 * The pool-backed database, typed to see the tables `T`: by default only the shared mechanism tables. Each
 * layer names its own view (e.g. backoffice-layer/tables.ts); a database typed with more tables may be passed
 * where one with fewer is asked for.
 */
export type Database<T = SharedTables> = Kysely<T>;

/** Repository functions take either the pool-backed database or an open transaction as first argument. */
export type Executor<T = SharedTables> = Kysely<T> | Transaction<T>;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** bigint columns (revisions, amounts) come back as JS numbers; beyond 2^53 they are refused, not rounded. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} exceeds the safe integer range`);
  return n;
}

export interface DatabaseHandle<T = SharedTables> {
  db: Database<T>;
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

/** How a pool connects: its size, the name it shows in `pg_stat_activity`, how long it waits to connect. */
export interface PoolOptions {
  /** Connections at most (default 20). */
  max?: number;
  /** `application_name` of its connections (default `omnihub`). */
  applicationName?: string;
  /** Waiting longer than this for a connection (pool exhausted, server down) fails (default 5,000 ms). */
  connectionTimeoutMs?: number;
}

/**
 * Opens a node-postgres pool as the hub's connections are made: bigint columns as safe JS numbers (refused,
 * never rounded, beyond 2^53), numeric as strings, a 30 s statement timeout sent at connection start (a
 * pooler in front of PostgreSQL must accept it: PgBouncer's `ignore_startup_parameters = statement_timeout`,
 * see the README's "Scaling out"), and errors of idle or busy clients caught so a lost server never ends the
 * process — broken clients are discarded and new ones made on demand.
 * @example const pool = createPool(process.env.DATABASE_DIRECT_URL!, { max: 2 });
 */
export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 20,
    application_name: opts.applicationName ?? 'omnihub',
    // Waiting longer than this for a connection (pool exhausted, server down) ends the request with
    // UNAVAILABLE.
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    // A request must not hang on a dead server: statements time out and the caller gets UNAVAILABLE.
    statement_timeout: 30_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8_OID) return parseInt8;
        if (oid === NUMERIC_OID) return (v: string) => v;
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener the process would
  // exit.
  pool.on('error', () => undefined);
  // A client in use when the server goes away emits 'error' too (its query fails on its own): without a
  // listener that would be an unhandled error event and end the process. The pool discards the broken client.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

/**
 * Opens a pool (`createPool`) and a Kysely instance on it, typed to see the tables `T` (the process that
 * opens it knows them all). The pool recovers by itself after a PostgreSQL restart: broken clients are
 * discarded on error and new ones are made on demand. Nothing it runs keeps state in the session between
 * transactions, so `url` may name a pooler in transaction mode (PgBouncer); LISTEN and session advisory locks
 * take a direct connection (`createPool` on DATABASE_DIRECT_URL).
 * @example const { db, close } = createDatabase('postgres://postgres@127.0.0.1/omnihub');
 */
export function createDatabase<T = SharedTables>(url: string, opts: PoolOptions = {}): DatabaseHandle<T> {
  const pool = createPool(url, opts);
  const db = new Kysely<T>({
    dialect: new PostgresDialect({ pool: multiStatementPool(pool) }),
    plugins: [new CamelCasePlugin()],
  });
  return {
    db,
    pool,
    url,
    close: async () => {
      await db.destroy();
    },
  };
}

/**
 * The pool as Kysely sees it, with one addition: a statement without parameters may be several statements in
 * one message (`BEGIN; …`, `…; COMMIT` — one round trip instead of two), and answers with the rows of the
 * last of them that returns rows. Everything else is the pool's own client.
 */
function multiStatementPool(pool: pg.Pool): PostgresPool {
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let w = wrappers.get(client);
    if (!w) {
      const query = async (
        text: string,
        parameters: ReadonlyArray<unknown>,
      ): Promise<PostgresQueryResult<unknown>> => {
        const r = (await client.query(text, [...parameters])) as pg.QueryResult | pg.QueryResult[];
        const one = Array.isArray(r) ? (r.findLast((x) => x.fields.length > 0) ?? r[r.length - 1]!) : r;
        return one as unknown as PostgresQueryResult<unknown>;
      };
      // Kysely's cursor form of `query` is not used (no cursor is configured).
      w = { query: query as PostgresPoolClient['query'], release: () => client.release() };
      wrappers.set(client, w);
    }
    return w;
  };
  return { connect: async () => wrap(await pool.connect()), end: () => pool.end() };
}

/** Replaces the database name of a PostgreSQL URL. */
export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
