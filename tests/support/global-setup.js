// Jest loads global set-up outside its module system, so the TypeScript services module is loaded through
// tsx.
import { tsImport } from 'tsx/esm/api';

/** Runs once per jest run: real PostgreSQL and Redis, and the migrated template database. */
export default async function globalSetup() {
  const { ensureTestServices, TEST_ENV } = await tsImport('./services.ts', import.meta.url);
  const services = await ensureTestServices((line) => process.stderr.write(`[test services] ${line}\n`));
  globalThis.__omnihubTestServices = services;
  // Workers are spawned after this returns and inherit the environment.
  process.env[TEST_ENV.adminUrl] = services.adminUrl;
  process.env[TEST_ENV.redisUrl] = services.redisUrl;
  process.env[TEST_ENV.template] = services.templateDb;
  // The console's browser tests serve dist/console: built once here, before any worker, when it is stale.
  const { ensureConsoleBuilt } = await tsImport('./console-build.ts', import.meta.url);
  ensureConsoleBuilt();
}
