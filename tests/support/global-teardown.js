/** Stops whatever the global set-up started (an embedded PostgreSQL, a redis-server child). */
export default async function globalTeardown() {
  await globalThis.__omnihubTestServices?.stop();
}
