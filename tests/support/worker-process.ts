/**
 * A real worker process for fault tests: the outbox relay and the event worker with the read-model consumer
 * and a test consumer whose effect is a PostgreSQL row per application (table `test_effects`, created by the
 * test), slowed a little so that a SIGKILL lands mid-job. Run: node --import tsx
 * tests/support/worker-process.ts
 */
import {
  createBackofficeQueues,
  readModelConsumer,
  startEventWorker,
  startOutboxRelay,
  startReadModelMaintenance,
  type EventConsumer,
} from '../../backoffice-layer/index.js';
import { createDatabase, createLogger, createRedis, loadConfig, systemClock } from '../../shared/index.js';
import type { HubTables } from '../../channel-layer/index.js';

const config = loadConfig(process.env);
const handle = createDatabase<HubTables>(config.databaseUrl!, {
  max: 5,
  applicationName: 'omnihub-test-worker',
});
const redis = createRedis(config.redisUrl!);
const deps = {
  config,
  db: handle.db,
  pool: handle.pool,
  redis,
  redisUrl: config.redisUrl!,
  redisPrefix: config.redisPrefix,
  clock: systemClock,
  logger: createLogger('silent'),
  queues: createBackofficeQueues(redis, config.redisPrefix),
};
const effects: EventConsumer = {
  name: 'test-effects',
  async apply(event, tx) {
    await tx
      .insertInto('testEffects' as never)
      .values({ eventId: event.id } as never)
      .execute();
    await new Promise((r) => setTimeout(r, Number(process.env.TEST_EFFECT_DELAY_MS ?? 3)));
  },
};
const consumers = [readModelConsumer(deps), effects];
startReadModelMaintenance(deps, { everyMs: 200 });
const worker = await startEventWorker(deps, consumers, { batchSize: 4, lockDurationMs: 2000 });
await startOutboxRelay(deps, {
  handoff: worker,
  consumers: consumers.map((c) => c.name),
  pollMs: 100,
  redeliverAfterMs: 1000,
});
process.stdout.write('worker ready\n');
