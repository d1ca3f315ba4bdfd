import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import {
  listMigrations,
  migrate,
  MIGRATIONS_DIR,
  redisReachable,
  sha256,
  startEmbeddedPostgres,
  startLocalRedis,
  withDatabaseName,
  type EmbeddedPostgresHandle,
  type LocalRedisHandle,
} from '../../shared/index.js';
import { startRedisCluster, type RedisClusterHandle } from './redis-cluster.js';

/** Environment variables through which the global set-up hands the services to every jest worker. */
export const TEST_ENV = {
  adminUrl: 'OMNIHUB_TEST_PG_ADMIN_URL',
  template: 'OMNIHUB_TEST_TEMPLATE_DB',
  redisUrl: 'OMNIHUB_TEST_REDIS_URL',
} as const;

export interface TestServices {
  adminUrl: string;
  redisUrl: string;
  templateDb: string;
  stop(): Promise<void>;
}

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Finds or starts real PostgreSQL and Redis for the test run, and builds the migrated template database that
 * every test file clones (`CREATE DATABASE … TEMPLATE …`). Uses the machine's servers when they answer;
 * otherwise starts an embedded PostgreSQL and a `redis-server` child, and says clearly what is missing when
 * it cannot. With `redis: 'cluster'` (`npm run test:cluster`) the run's Redis is a Redis Cluster instead:
 * the one TEST_REDIS_CLUSTER_URL names (its nodes, comma-separated) when it answers, else three masters
 * started here on free ports and stopped with the run.
 */
export async function ensureTestServices(
  log: (line: string) => void,
  opts: { redis?: 'server' | 'cluster' } = {},
): Promise<TestServices> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let localRedis: LocalRedisHandle | undefined;
  let cluster: RedisClusterHandle | undefined;

  let adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await postgresReachable(adminUrl)) {
    log(`PostgreSQL: using ${new URL(adminUrl).host}`);
  } else {
    log(
      `PostgreSQL: nothing answers at ${new URL(adminUrl).host}; starting an embedded ` +
        `PostgreSQL (.omnihub/test-pg, port 54330)`,
    );
    embedded = await startEmbeddedPostgres({ dataDir: '.omnihub/test-pg', port: 54330 });
    adminUrl = embedded.url;
  }

  let redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const givenCluster = process.env.TEST_REDIS_CLUSTER_URL;
  if (opts.redis === 'cluster') {
    if (givenCluster && (await redisReachable(givenCluster))) {
      redisUrl = givenCluster;
      log(`Redis Cluster: using ${redisUrl}`);
    } else {
      const started = Date.now();
      cluster = await startRedisCluster(3);
      redisUrl = cluster.url;
      log(`Redis Cluster: started 3 masters (${redisUrl}) in ${Date.now() - started} ms`);
    }
  } else if (await redisReachable(redisUrl)) {
    log(`Redis: using ${new URL(redisUrl).host}`);
  } else {
    log(`Redis: nothing answers at ${new URL(redisUrl).host}; starting redis-server on port 63790`);
    localRedis = await startLocalRedis(63790);
    redisUrl = localRedis.url;
  }

  // The template's name carries a hash of every migration, so a changed migration set gets a fresh template.
  const files = await listMigrations();
  const contents = await Promise.all(files.map((f) => readFile(path.join(MIGRATIONS_DIR, f), 'utf8')));
  const templateDb = `omnihub_tpl_${sha256(files.join('\n') + contents.join('\n')).slice(0, 12)}`;

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock(7401355199)');
    // Per-file databases are named omnihub_t_<unix seconds>_<random>; ones left by a crashed run are dropped
    // after two hours. Younger ones may belong to a run going on in parallel, so they are left alone.
    const dbs = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'omnihub_t\\_%'`,
    );
    const cutoff = Math.floor(Date.now() / 1000) - 7200;
    for (const { datname } of dbs.rows) {
      const born = Number(/^omnihub_t_(\d+)_/.exec(datname)?.[1] ?? 0);
      if (born < cutoff)
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
    }
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [templateDb]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${templateDb}"`);
      const pool = new pg.Pool({ connectionString: withDatabaseName(adminUrl, templateDb), max: 1 });
      try {
        await migrate(pool);
      } catch (e) {
        await pool.end();
        await admin.query(`DROP DATABASE IF EXISTS "${templateDb}" WITH (FORCE)`);
        throw e;
      }
      await pool.end();
      log(`Template database ${templateDb}: migrated (${files.length} migration(s))`);
    }
    await admin.query('SELECT pg_advisory_unlock(7401355199)');
  } finally {
    await admin.end();
  }

  return {
    adminUrl,
    redisUrl,
    templateDb,
    stop: async () => {
      await cluster?.stop();
      await localRedis?.stop();
      await embedded?.stop();
    },
  };
}
