import { createHash, randomUUID } from 'node:crypto';
import { sql, type CompiledQuery, type RawBuilder, type Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import { DomainError, classifyInfrastructureError } from '../errors.js';
import { OUTBOX_CHANNEL, type EventEnvelope, type PendingEvent } from '../events.js';
import { UUID_FORM } from '../schemas.js';
import type { Database, Executor } from './database.js';
import type { SharedTables } from './schema.js';
import { inlineParameters } from './inline-sql.js';

/**
 * THE LOCK ORDER of the hub — every write takes the locks it needs in this order, never backwards, so no two
 * writes wait for each other in a cycle (a deadlock would answer CONFLICT "retry" and do nothing):
 *   1. the live customer profile a write names (`lockLiveCustomer`; several profiles: in id order, see
 *      `mergeCustomers`) — so a write about a person serialises with her erasure and merges and, after an
 * erasure, finds nobody (NOT_FOUND) instead of writing under her old id;
 *   2. the reservation row (committing an order), the order row (a return);
 *   3. stock levels, in (sku, location) order (`lockLevels`, `byLockOrder`);
 *   4. promotion budgets in id order, then coupons in code order (`lockBudgets`, `redeemAtCommit`);
 *   5. the rows only that person's writes touch (loyalty account and ledger, identifiers, attributes,
 * consents); 6. the revision lock below, last of all.
 * (A client's held-units total, kept by triggers on reservations, is written in the row of the transaction's
 * own database backend, which no concurrent transaction writes: it takes no place in this order; the check
 * of a client's limit runs after the revision statement, under the revision lock: `beforeCommitSql`.)
 * Order writes take (1) through the `lockFirst` hook before anything else (see OrderHooks).
 *
 * Revisions are handed out under this transaction-scoped advisory lock, taken only after every row lock of
 * the transaction is held. So revision order equals commit order: a reader that has seen revision R has seen
 * every change ≤ R. Taking it last keeps the serialised section to "stamp, insert outbox, commit" and cannot
 * deadlock against row locks (no transaction waits for a row while holding it).
 */
const REVISION_LOCK_KEY = 7_401_355_121;
/** A channel client's idempotency keys are stored as `<client id>:<key>`. */
const CLIENT_KEY_PREFIX = new RegExp(`^${UUID_FORM}:`);

/** A write's transaction context; `DB` is the tables the writing layer sees (its own and the shared ones). */
export interface WriteContext<DB = SharedTables> {
  tx: Transaction<DB>;
  /** The instant of this write, from the injected clock. */
  now: Date;
  /** Announce a change; the event is inserted into the outbox with this transaction's revision. */
  emit(event: PendingEvent): void;
  /** Work that needs the revision (ledger rows, revision stamps); runs after the revision is assigned. */
  atRevision(fn: (tx: Transaction<DB>, revision: number) => Promise<void>): void;
  /**
   * Like `atRevision`, but one INSERT or UPDATE that runs inside the very statement that draws the revision
   * (as a data-modifying CTE), so it adds no round trip while the revision lock is held. `revision` is an SQL
   * expression. It sees the transaction's earlier changes, but not those of the other statements of the same
   * stamp: keep to rows nothing else in the stamp touches. Called at commit; returning null adds nothing.
   */
  atRevisionSql(fragment: (revision: RawBuilder<number>) => RawBuilder<unknown> | null): void;
  /**
   * A statement that runs after the revision statement and before COMMIT (in the same message when the
   * write commits there), so it holds the revision lock: it sees every write committed before this one and
   * all of this one's changes — a check no concurrent write can slip past. To refuse, it raises (see the
   * migration 20261201T0600_held_units_check) and the transaction rolls back. It must answer no columns
   * (`SELECT FROM …`). A write that changes nothing takes no revision lock; its checks run all the same.
   */
  beforeCommitSql(statement: RawBuilder<unknown>): void;
}

export interface WriteResult<T> {
  result: T;
  /** The revision this write committed, or the one the first execution committed when replayed. */
  revision: number;
  events: EventEnvelope[];
  /** True when an idempotency key matched an earlier execution and its stored result was returned. */
  replayed: boolean;
}

export interface IdempotencyOptions {
  /** Which operation the key belongs to (e.g. `reserve-stock`); keys are unique per scope. */
  scope: string;
  key: string;
  /** The validated request; a replay with a different request is a CONFLICT. */
  request: unknown;
}

/** What a write needs: the database (as the writing layer sees it, `DB`) and the clock. */
export interface WriteDeps<DB = SharedTables> {
  db: Database<DB>;
  clock: Clock;
}

/** Canonical JSON: object keys sorted, so equal values always serialise (and hash) the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What an idempotency key remembers of its request: a replay must hash the same, else it is a CONFLICT. */
export function requestHash(request: unknown): string {
  return sha256(canonicalJson(request));
}

/**
 * Runs one write of the source of truth as one PostgreSQL transaction: the work, then (if it changed
 * anything) the next global revision, the revision-stamped ledger rows and the outbox events, then commit —
 * all or nothing. With `idempotency`, the key is claimed in the same transaction: 20 concurrent calls with
 * one key execute once; the others wait for that commit and get its stored result; a different request under
 * the same key is a CONFLICT. The result must be JSON-serialisable when an idempotency key is used (it is
 * stored and replayed).
 *
 * @example
 * const { result, revision } = await runWrite(deps, async (ctx) => {
 *   await ctx.tx.updateTable('products').set({ name }).where('sku', '=', sku).execute();
 *   ctx.emit({ type: 'product.changed', aggregateType: 'product', aggregateId: sku, payload: { sku } });
 *   return { sku };
 * });
 */
export async function runWrite<T, DB extends SharedTables = SharedTables>(
  deps: WriteDeps<DB>,
  fn: (ctx: WriteContext<DB>) => Promise<T>,
  opts: { idempotency?: IdempotencyOptions } = {},
): Promise<WriteResult<T>> {
  try {
    // The transaction is opened and ended here rather than by Kysely, so that BEGIN can travel with the first
    // statement and COMMIT with the last (two round trips fewer per write; the commit tail holds the revision
    // lock).
    return await deps.db.connection().execute(async (conn) => {
      // one connection, inside the transaction this function manages
      const tx = conn as unknown as Transaction<DB>;
      try {
        const { committed, ...out } = await write(tx, fn, { ...opts, now: deps.clock.now(), own: true });
        if (!committed) await sql`COMMIT`.execute(tx);
        return out;
      } catch (e) {
        await sql`ROLLBACK`.execute(conn).catch(() => undefined);
        throw e;
      }
    });
  } catch (e) {
    throw classifyInfrastructureError(e);
  }
}

/**
 * The body of `runWrite` inside a transaction the caller already holds: for event consumers, whose change
 * must commit together with the record that the event was applied. Same revision, outbox and idempotency
 * rules.
 */
export async function writeInTransaction<T, DB extends SharedTables = SharedTables>(
  tx: Transaction<DB>,
  now: Date,
  fn: (ctx: WriteContext<DB>) => Promise<T>,
  opts: { idempotency?: IdempotencyOptions } = {},
): Promise<WriteResult<T>> {
  const { committed: _, ...out } = await write(tx, fn, { ...opts, now, own: false });
  return out;
}

/**
 * Runs a statement, with `BEGIN; ` before it and/or `; COMMIT` after it in the same message when asked (its
 * parameters written as literals); when they cannot be, BEGIN and COMMIT go as statements of their own.
 */
async function runWith<R>(
  tx: Transaction<SharedTables>,
  compiled: CompiledQuery,
  begin: boolean,
  commit: boolean,
  after: readonly CompiledQuery[] = [],
): Promise<R[]> {
  const inlined = begin || commit ? [compiled, ...after].map(inlineParameters) : null;
  if (inlined?.every((s) => s !== null)) {
    const text = `${begin ? 'BEGIN; ' : ''}${inlined.join('; ')}${commit ? '; COMMIT' : ''}`;
    // The statements after the first answer no columns, so the rows are the first one's.
    const r = await sql<R>`${sql.raw(text)}`.execute(tx);
    return r.rows;
  }
  if (begin) await sql`BEGIN`.execute(tx);
  const r = await tx.executeQuery<R>(compiled);
  for (const s of after) await tx.executeQuery(s);
  if (commit) await sql`COMMIT`.execute(tx);
  return [...r.rows];
}

/**
 * The body of both: `now` is the write's instant; `own`: this write opens the transaction (`runWrite`), and
 * commits it with its revision statement when it can (`committed`); the caller commits otherwise.
 */
async function write<T, DB extends SharedTables>(
  tx: Transaction<DB>,
  fn: (ctx: WriteContext<DB>) => Promise<T>,
  opts: { idempotency?: IdempotencyOptions; now: Date; own: boolean },
): Promise<WriteResult<T> & { committed: boolean }> {
  const { now, own } = opts;
  // Only the mechanism tables are named here: every layer's DB holds them (TypeScript cannot tell of a
  // generic DB).
  const mech = tx as unknown as Transaction<SharedTables>;
  const idem = opts.idempotency;
  if (idem) {
    const hash = requestHash(idem.request);
    const claim = mech
      .insertInto('idempotencyKeys')
      .values({ scope: idem.scope, key: idem.key, requestHash: hash, response: '{}', createdAt: now })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .returning('key');
    const claimed = await runWith<{ key: string }>(mech, claim.compile(), own, false);
    if (claimed.length === 0) {
      // Another execution committed this key first (we waited for it on the unique index).
      const prior = await mech
        .selectFrom('idempotencyKeys')
        .select(['requestHash', 'response'])
        .where('scope', '=', idem.scope)
        .where('key', '=', idem.key)
        .executeTakeFirstOrThrow();
      if (prior.requestHash !== hash) {
        // A channel client's keys are stored under its id (`<client id>:<key>`); the client is told the key
        // it sent.
        const sent = idem.key.replace(CLIENT_KEY_PREFIX, '');
        throw new DomainError(
          'CONFLICT',
          `Idempotency key "${sent}" was already used with a different request`,
          { idempotencyKey: sent },
        );
      }
      const stored = prior.response as { result: T; revision: number };
      return {
        result: stored.result,
        revision: stored.revision,
        events: [],
        replayed: true,
        committed: false,
      };
    }
  } else if (own) {
    await sql`BEGIN`.execute(tx);
  }

  const pending: PendingEvent[] = [];
  const stamps: Array<(tx: Transaction<DB>, revision: number) => Promise<void>> = [];
  const fragments: Array<(revision: RawBuilder<number>) => RawBuilder<unknown> | null> = [];
  const checks: Array<RawBuilder<unknown>> = [];
  const ctx: WriteContext<DB> = {
    tx,
    now,
    emit: (e) => void pending.push(e),
    atRevision: (f) => void stamps.push(f),
    atRevisionSql: (f) => void fragments.push(f),
    beforeCommitSql: (s) => void checks.push(s),
  };
  const result = await fn(ctx);

  let revision = 0;
  let events: EventEnvelope[] = [];
  let committed = false;
  if (pending.length > 0 || stamps.length > 0 || fragments.length > 0) {
    // The revision lock is held from here to commit, so everything it needs goes into one statement: take the
    // lock (materialised first), draw the revision under it, run the SQL stamps, insert the outbox events,
    // store the idempotent response, notify the relay. Only closure stamps add round trips after it.
    const ids = pending.map(() => randomUUID());
    const rev = sql<number>`(SELECT revision FROM r)`;
    const ctes = fragments
      .map((f) => f(rev))
      .filter((s) => s !== null)
      .map((s, i) => sql`, ${sql.raw(`s${i}`)} AS (${s})`);
    if (pending.length > 0) {
      const rows = pending.map((e, i) => ({
        id: ids[i],
        type: e.type,
        aggregate_type: e.aggregateType,
        aggregate_id: e.aggregateId,
        payload: e.payload,
      }));
      ctes.push(sql`, o AS (INSERT INTO outbox
                              (id, revision, type, aggregate_type, aggregate_id, payload, created_at)
        SELECT e.id, r.revision, e.type, e.aggregate_type, e.aggregate_id, e.payload, ${now} FROM r,
          ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
            AS (id uuid, type text, aggregate_type text, aggregate_id text, payload jsonb))
            WITH ORDINALITY AS e(id, type, aggregate_type, aggregate_id, payload, n)
        ORDER BY e.n)`);
    }
    if (idem) {
      const response = JSON.stringify(result ?? null);
      ctes.push(sql`, i AS (UPDATE idempotency_keys
        SET response = jsonb_build_object('result', ${response}::jsonb, 'revision', ${rev})
        WHERE scope = ${idem.scope} AND key = ${idem.key})`);
    }
    const notify =
      pending.length > 0
        ? sql`, (SELECT pg_notify(${OUTBOX_CHANNEL}, revision::text) FROM r) AS notified`
        : sql``;
    const tail = sql<{
      revision: number;
    }>`WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock(${REVISION_LOCK_KEY})),
      r AS MATERIALIZED (SELECT nextval('revision_seq') AS revision FROM l)${sql.join(ctes, sql``)}
      SELECT r.revision${notify} FROM r`;
    // COMMIT goes with it unless closure stamps must run in between.
    committed = own && stamps.length === 0;
    const after = committed ? checks.map((c) => c.compile(mech)) : [];
    const rows = await runWith<{ revision: number }>(mech, tail.compile(mech), false, committed, after);
    revision = rows[0]!.revision;
    for (const stamp of stamps) await stamp(tx, revision);
    if (!committed) for (const c of checks) await c.execute(mech);
    events = pending.map((e, i) => ({
      id: ids[i]!,
      type: e.type,
      aggregateType: e.aggregateType,
      aggregateId: e.aggregateId,
      revision,
      occurredAt: now.toISOString(),
      payload: e.payload,
    }));
  } else {
    for (const c of checks) await c.execute(mech);
    revision = await currentRevision(mech);
    if (idem) {
      await mech
        .updateTable('idempotencyKeys')
        .set({ response: JSON.stringify({ result, revision }) })
        .where('scope', '=', idem.scope)
        .where('key', '=', idem.key)
        .execute();
    }
  }
  return { result, revision, events, replayed: false, committed };
}

/**
 * Row lock first, revision lock second — in every write. A writer that finds no row claims the key with a
 * placeholder row (revision 0, invisible until commit, overwritten under the revision lock) instead of
 * inserting only once it holds the revision lock; otherwise two first writers of one key deadlock (one holds
 * the row, the other the revision lock). Returns the existing row (locked), or undefined when this
 * transaction claimed the key. When a concurrent writer created the row first, waits for it and returns its
 * row, locked.
 */
export async function lockOrClaim<R>(
  select: () => Promise<R | undefined>,
  claim: () => Promise<unknown>,
): Promise<R | undefined> {
  const current = await select();
  if (current !== undefined) return current;
  if (await claim()) return undefined;
  return select();
}

/**
 * The highest committed revision visible to this executor (0 before the first write). Read from the outbox,
 * not the sequence: a revision handed out to a transaction that has not committed yet must not be claimed as
 * seen.
 */
export async function currentRevision(db: Executor): Promise<number> {
  const r = await sql<{ revision: number | null }>`SELECT max(revision) AS revision FROM outbox`.execute(db);
  return r.rows[0]?.revision ?? 0;
}

/**
 * Moves the global revision past `atLeast` (when it is not already), by one write that announces it with
 * `event`: after it, `currentRevision` is greater than `atLeast`. For a database that takes over from a read
 * model built at a higher revision (another database, a restored older copy), so that no reader ever sees
 * revisions go backwards. Returns the revision the write committed, or null when the revision was already
 * past `atLeast`.
 */
export async function advanceRevision(
  deps: WriteDeps,
  atLeast: number,
  event: PendingEvent,
): Promise<number | null> {
  if ((await currentRevision(deps.db)) > atLeast) return null;
  const { revision } = await runWrite(deps, async (w) => {
    // Under the revision lock (re-entrant: the commit tail takes it again), so no revision is drawn in
    // between.
    await sql`SELECT pg_advisory_xact_lock(${REVISION_LOCK_KEY})`.execute(w.tx);
    await sql`SELECT setval('revision_seq', GREATEST(${atLeast}::bigint, last_value))
              FROM revision_seq`.execute(w.tx);
    w.emit(event);
  });
  return revision;
}
