// `npm run test:cluster` (jest.cluster.config.js): the same services as global-setup.js, but the run's Redis
// is a Redis Cluster of three masters (tests/support/redis-cluster.ts): every hub in these tests runs on it.
import { tsImport } from 'tsx/esm/api';

/** Runs once per cluster run: real PostgreSQL, a Redis Cluster, and the migrated template database. */
export default async function globalSetup() {
  const { ensureTestServices, TEST_ENV } = await tsImport('./services.ts', import.meta.url);
  const services = await ensureTestServices((line) => process.stderr.write(`[test services] ${line}\n`), {
    redis: 'cluster',
  });
  globalThis.__omnihubTestServices = services;
  // Workers (and the hub processes tests start) are spawned after this returns and inherit the environment.
  process.env[TEST_ENV.adminUrl] = services.adminUrl;
  process.env[TEST_ENV.redisUrl] = services.redisUrl;
  process.env[TEST_ENV.template] = services.templateDb;
}
