import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  createDatabase,
  createLogger,
  createRedis,
  deleteKeysMatching,
  loadConfig,
  redisMasters,
  ManualClock,
  systemClock,
  withDatabaseName,
  type Clock,
  type DatabaseHandle,
  type Deps,
  type Redis,
  type Database,
} from '../../shared/index.js';
import type { HubTables } from '../../channel-layer/index.js';
import { TEST_ENV } from './services.js';

/** A test's deps: the database sees every layer's tables, as a hub process's does (tests check them all). */
export interface TestDeps extends Deps {
  db: Database<HubTables>;
}

export interface TestContext {
  deps: TestDeps;
  /** The connection string of this file's own database (for child processes). */
  databaseUrl: string;
  databaseName: string;
  /** The test run's REDIS_URL: one server, or a Redis Cluster's nodes (`npm run test:cluster`). */
  redisUrl: string;
  /** This file's hub prefix, a cluster hash tag (`{t…}`), as the hub's configuration makes it. */
  redisPrefix: string;
  handle: DatabaseHandle<HubTables>;
  close(): Promise<void>;
}

function required(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(
      `${name} is not set: run the tests through jest (its global set-up provides the services)`,
    );
  return v;
}

/** What a test context may be given instead of its defaults. */
export interface TestContextOptions {
  clock?: Clock;
  poolSize?: number;
  connectionTimeoutMs?: number;
  /** A hub prefix of its own choosing (default `t<random>`), e.g. a second hub on another's Redis keys. */
  redisPrefix?: string;
  /** Another REDIS_URL than the test run's (e.g. a Redis Cluster the test started). */
  redisUrl?: string;
}

/**
 * Gives one test file its own database, cloned from the migrated template, and its own Redis key/queue
 * prefix.
 * @example const ctx = await createTestContext(); afterAll(() => ctx.close());
 */
export async function createTestContext(opts: TestContextOptions = {}): Promise<TestContext> {
  const adminUrl = required(TEST_ENV.adminUrl);
  const template = required(TEST_ENV.template);
  const redisUrl = opts.redisUrl ?? required(TEST_ENV.redisUrl);
  const id = randomBytes(5).toString('hex');
  const databaseName = `omnihub_t_${Math.floor(Date.now() / 1000)}_${id}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${databaseName}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  const databaseUrl = withDatabaseName(adminUrl, databaseName);
  const handle = createDatabase<HubTables>(databaseUrl, {
    max: opts.poolSize ?? 20,
    applicationName: 'omnihub-test',
    connectionTimeoutMs: opts.connectionTimeoutMs,
  });
  const redis: Redis = createRedis(redisUrl);
  // A given prefix: a second hub sharing another's Redis keys.
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    OMNIHUB_REDIS_PREFIX: opts.redisPrefix ?? `t${id}`,
  });
  const redisPrefix = config.redisPrefix;
  const deps: TestDeps = {
    config,
    db: handle.db,
    pool: handle.pool,
    redis,
    redisUrl,
    redisPrefix,
    clock: opts.clock ?? systemClock,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'omnihub-test'),
  };
  return {
    deps,
    databaseUrl,
    databaseName,
    redisUrl,
    redisPrefix,
    handle,
    close: async () => {
      await handle.close().catch(() => undefined);
      await deleteRedisPrefix(redis, redisPrefix).catch(() => undefined);
      redis.disconnect();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`).catch(() => undefined);
      await a.end();
    },
  };
}

/** Deletes every key of a prefix (a test file's own namespace). */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<void> {
  await deleteKeysMatching(redis, `${prefix}:*`);
}

export { ManualClock };

/**
 * What FLUSHALL (or a restart without persistence) does to one hub: every key of its prefix gone in one step,
 * as one Lua script runs atomically. Not `deleteRedisPrefix`, which deletes a page of keys at a time while
 * the hub goes on writing — a wipe no Redis fault produces, and one no marker can detect (a rebuild could run
 * between pages). On a cluster the script runs on every master (each sees only its own keys); the prefix's
 * hash tag keeps all of one hub's keys on one of them, so the wipe is still one step.
 */
export async function flushRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  const script = `local n = 0
local keys = redis.call('KEYS', ARGV[1])
for i = 1, #keys, 1000 do n = n + redis.call('DEL', unpack(keys, i, math.min(i + 999, #keys))) end
return n`;
  let deleted = 0;
  for (const node of await redisMasters(redis)) deleted += Number(await node.eval(script, 0, `${prefix}:*`));
  return deleted;
}
