import path from 'node:path';
import {
  assertNoEviction, createDatabase, createLogger, createMetrics, createRedis, migrate, redisReachable, startEmbeddedPostgres, startLocalRedis,
  systemClock, type Clock, type Config, type Logger,
} from '../../shared/index.js';
import { createBackofficeQueues, type BackofficeDeps } from '../../backoffice-layer/index.js';

/** Port of the embedded PostgreSQL a hub starts when no DATABASE_URL is given. */
export const EMBEDDED_PG_PORT = 54329;
/** Port of the redis-server child a hub starts when nothing answers on 127.0.0.1:6379. */
export const LOCAL_REDIS_PORT = 63799;

export interface Runtime {
  deps: BackofficeDeps;
  /** Where the hub's database and Redis are, for the start-up banner. */
  describe: { database: string; redis: string };
  /** True when this process started the embedded PostgreSQL (first start on an empty database seeds it). */
  embeddedDatabase: boolean;
  close(): Promise<void>;
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * Connects a hub process to its PostgreSQL and Redis, starting embedded ones when none are configured, and runs
 * migrations (under an advisory lock, so N nodes starting together is safe).
 */
export async function bootstrapRuntime(config: Config, opts: { logger?: Logger; clock?: Clock; migrate?: boolean } = {}): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const closers: Array<() => Promise<void>> = [];
  let databaseUrl = config.databaseUrl;
  let embeddedDatabase = false;
  if (!databaseUrl) {
    const dataDir = path.join(config.dataDir, 'pg');
    logger.info({ dataDir, port: EMBEDDED_PG_PORT }, 'no DATABASE_URL: starting the embedded PostgreSQL');
    const pg = await startEmbeddedPostgres({ dataDir, port: EMBEDDED_PG_PORT });
    databaseUrl = pg.url;
    embeddedDatabase = true;
    closers.push(() => pg.stop());
  }

  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    if (await redisReachable('redis://127.0.0.1:6379')) {
      redisUrl = 'redis://127.0.0.1:6379';
    } else {
      logger.info({ port: LOCAL_REDIS_PORT }, 'no REDIS_URL and nothing on 127.0.0.1:6379: starting redis-server');
      const r = await startLocalRedis(LOCAL_REDIS_PORT);
      redisUrl = r.url;
      closers.push(() => r.stop());
    }
  } else if (!(await redisReachable(redisUrl, 3000))) {
    throw new Error(`Redis does not answer at REDIS_URL=${redact(redisUrl)}`);
  }

  const handle = createDatabase(databaseUrl, { applicationName: 'omnihub' });
  closers.unshift(() => handle.close());
  if (opts.migrate !== false) {
    const res = await migrate(handle.pool);
    if (res.applied.length) logger.info({ applied: res.applied }, 'migrations applied');
  }
  const redis = createRedis(redisUrl);
  closers.unshift(async () => { redis.disconnect(); });
  // Queues must never lose a job to eviction (QUALITY F4): refuse to start otherwise.
  try {
    await assertNoEviction(redis);
  } catch (e) {
    for (const c of closers) await c().catch(() => undefined);
    throw e;
  }
  const queues = createBackofficeQueues(redis, config.redisPrefix);
  closers.unshift(() => queues.close());

  const deps: BackofficeDeps = {
    config, db: handle.db, pool: handle.pool, redis, redisUrl, redisPrefix: config.redisPrefix,
    clock: opts.clock ?? systemClock, logger, queues,
    // One registry per process: `omnihub start` serves the API node's and the worker's metrics on one /metrics.
    metrics: createMetrics({ defaultMetrics: true }),
  };
  return {
    deps,
    describe: { database: redact(databaseUrl), redis: redact(redisUrl) },
    embeddedDatabase,
    close: async () => {
      for (const c of closers) await c().catch((e: unknown) => logger.warn({ err: e }, 'error while closing'));
    },
  };
}
