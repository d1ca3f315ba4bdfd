import path from 'node:path';
import {
  assertNoEviction,
  createDatabase,
  createLogger,
  createPool,
  createReadReplica,
  createMetrics,
  createRedis,
  migrate,
  redactRedisUrl,
  redisReachable,
  startEmbeddedPostgres,
  startLocalRedis,
  systemClock,
  type Clock,
  type Config,
  type Logger,
} from '../../shared/index.js';
import { createBackofficeQueues, ReservationQueue } from '../../backoffice-layer/index.js';
import type { ChannelDeps } from '../channel-deps.js';
import type { HubTables } from '../tables.js';

/**
 * Default port of the embedded PostgreSQL a hub starts when no DATABASE_URL is given
 * (`OMNIHUB_EMBEDDED_PG_PORT`).
 */
export const EMBEDDED_PG_PORT = 54329;
/** Port of the redis-server child a hub starts when nothing answers on 127.0.0.1:6379. */
export const LOCAL_REDIS_PORT = 63799;

export interface Runtime {
  deps: ChannelDeps;
  /** Where the hub's database and Redis are, for the start-up banner. */
  describe: { database: string; redis: string };
  /**
   * True when the hub uses the embedded PostgreSQL (no DATABASE_URL; a first start on an empty database seeds
   * it).
   */
  embeddedDatabase: boolean;
  /**
   * The embedded PostgreSQL, when used: its data folder, its pid, and whether this process started it (and
   * stops it on close) or found it running from that folder (another `omnihub` process's, left running).
   */
  embedded?: { dataDir: string; port: number; pid: number | undefined; started: boolean; orphaned: boolean };
  close(): Promise<void>;
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * Connects a hub process to its PostgreSQL and Redis, starting embedded ones when none are configured, and
 * runs migrations (under an advisory lock, so N nodes starting together is safe).
 */
export async function bootstrapRuntime(
  config: Config,
  opts: { logger?: Logger; clock?: Clock; migrate?: boolean } = {},
): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const closers: Array<() => Promise<void>> = [];
  let databaseUrl = config.databaseUrl;
  let embedded: Runtime['embedded'];
  if (!databaseUrl) {
    const dataDir = path.resolve(config.dataDir, 'pg');
    logger.info({ dataDir, port: config.embeddedPgPort }, 'no DATABASE_URL: using the embedded PostgreSQL');
    // Finds the server a running `omnihub start` keeps in this folder, else starts one (and only then stops
    // it).
    const pg = await startEmbeddedPostgres({ dataDir, port: config.embeddedPgPort });
    if (!pg.started)
      logger.info(
        { dataDir, port: pg.port, pid: pg.pid },
        'the embedded PostgreSQL of this data folder is running already: ' +
          'connected to it, and it is left running',
      );
    databaseUrl = pg.url;
    embedded = { dataDir, port: pg.port, pid: pg.pid, started: pg.started, orphaned: pg.orphaned ?? false };
    closers.push(() => pg.stop());
  }

  const closeAll = async () => {
    for (const c of closers) await c().catch((e: unknown) => logger.warn({ err: e }, 'error while closing'));
  };
  // Whatever fails from here closes what was opened (a PostgreSQL this process started is stopped again).
  try {
    const redisUrl = await connectRedis(config, logger, closers);
    const handle = createDatabase<HubTables>(databaseUrl, { applicationName: 'omnihub' });
    // Kysely ends the pool only if it ever ran a query; `migrate` alone uses the pool directly, and its idle
    // client would keep the process alive for the pool's idle timeout (30 s).
    closers.unshift(async () => {
      await handle.close();
      if (!handle.pool.ended) await handle.pool.end();
    });
    // The first contact says which setting points where, rather than a bare "connect ECONNREFUSED".
    const firstContact = (pool: typeof handle.pool, where: string) =>
      pool.query('SELECT 1').then(
        (r) => r,
        (e: unknown) => {
          const reason = e instanceof Error ? e.message || (e as { code?: string }).code : String(e);
          throw new Error(`PostgreSQL does not answer at ${where} (${reason})`, { cause: e });
        },
      );
    await firstContact(
      handle.pool,
      config.databaseUrl ? `DATABASE_URL=${redact(databaseUrl)}` : redact(databaseUrl),
    );
    // What needs a session of its own (the relay's LISTEN, the migrations' advisory lock) bypasses a pooler.
    const directUrl = config.databaseDirectUrl ?? databaseUrl;
    const direct =
      directUrl === databaseUrl
        ? undefined
        : createPool(directUrl, { max: 2, applicationName: 'omnihub-direct' });
    if (direct) {
      closers.unshift(async () => {
        if (!direct.ended) await direct.end();
      });
      await firstContact(direct, `DATABASE_DIRECT_URL=${redact(directUrl)}`);
    }
    if (opts.migrate !== false) {
      const res = await migrate(direct ?? handle.pool);
      if (res.applied.length) logger.info({ applied: res.applied }, 'migrations applied');
    }
    const replica = config.databaseReplicaUrl
      ? createReadReplica(config.databaseReplicaUrl, { logger })
      : undefined;
    if (replica) closers.unshift(() => replica.close());
    const redis = createRedis(redisUrl);
    closers.unshift(async () => {
      redis.disconnect();
    });
    // Queues must never lose a job to eviction (QUALITY F4): refuse to start otherwise.
    await assertNoEviction(redis);
    const queues = createBackofficeQueues(redis, config.redisPrefix);
    closers.unshift(() => queues.close());
    const deps: ChannelDeps = {
      config,
      db: handle.db,
      pool: handle.pool,
      ...(direct ? { directPool: direct } : {}),
      ...(replica ? { replica } : {}),
      redis,
      redisUrl,
      redisPrefix: config.redisPrefix,
      clock: opts.clock ?? systemClock,
      logger,
      queues,
      // One group-commit queue per process: concurrent reservations share transactions.
      reservationQueue: new ReservationQueue(),
      // One registry per process: `omnihub start` serves the API node's and the worker's metrics on one
      // /metrics.
      metrics: createMetrics({ defaultMetrics: true }),
    };
    return {
      deps,
      describe: { database: redact(databaseUrl), redis: redactRedisUrl(redisUrl) },
      embeddedDatabase: embedded !== undefined,
      ...(embedded ? { embedded } : {}),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/**
 * The Redis to use: REDIS_URL (which must answer), else 127.0.0.1:6379, else the redis-server a running hub
 * started on {@link LOCAL_REDIS_PORT}, else one started here (its stop pushed onto `closers`).
 */
async function connectRedis(
  config: Config,
  logger: Logger,
  closers: Array<() => Promise<void>>,
): Promise<string> {
  if (config.redisUrl) {
    if (!(await redisReachable(config.redisUrl, 3000)))
      throw new Error(`Redis does not answer at REDIS_URL=${redactRedisUrl(config.redisUrl)}`);
    return config.redisUrl;
  }
  if (await redisReachable('redis://127.0.0.1:6379')) return 'redis://127.0.0.1:6379';
  // The redis-server a running `omnihub start` started: shared, and left to it.
  if (await redisReachable(`redis://127.0.0.1:${LOCAL_REDIS_PORT}`))
    return `redis://127.0.0.1:${LOCAL_REDIS_PORT}`;
  logger.info(
    { port: LOCAL_REDIS_PORT },
    'no REDIS_URL and nothing on 127.0.0.1:6379: starting redis-server',
  );
  const r = await startLocalRedis(LOCAL_REDIS_PORT);
  closers.push(() => r.stop());
  return r.url;
}
