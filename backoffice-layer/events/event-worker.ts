import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { sql, type Transaction } from 'kysely';
import type { DB, Database, EventEnvelope } from '../../shared/index.js';
import type { BackofficeDeps } from '../backoffice-deps.js';
import { bullPrefix, QUEUE_NAMES } from '../jobs/queues.js';

/**
 * Something that reacts to outbox events. `apply` runs inside the PostgreSQL transaction that records the event as
 * applied for this consumer, so a PostgreSQL effect happens exactly once however often the event arrives. Effects
 * elsewhere (Redis) must be idempotent by revision. `afterCommit` runs once the event is recorded (notifications).
 */
export interface EventConsumer {
  name: string;
  /** Event types this consumer cares about; all when omitted. Others are recorded as applied without work. */
  types?: readonly string[];
  apply(event: EventEnvelope, tx: Transaction<DB>): Promise<void>;
  afterCommit?(event: EventEnvelope, watermark: number): Promise<void>;
}

/**
 * Applies one event to every consumer, each in its own transaction with its `applied_events` row: the row is the
 * proof of application and the dedupe key. Returns the names of consumers that applied it now (not before).
 */
export async function applyEvent(db: Database, consumers: readonly EventConsumer[], event: EventEnvelope, now: Date): Promise<string[]> {
  const applied: string[] = [];
  for (const c of consumers) {
    const fresh = await db.transaction().execute(async (tx) => {
      const row = await tx.insertInto('appliedEvents').values({ consumer: c.name, eventId: event.id, revision: event.revision, appliedAt: now })
        .onConflict((oc) => oc.columns(['consumer', 'eventId']).doNothing()).returning('eventId').executeTakeFirst();
      if (!row) return false;
      if (!c.types || c.types.includes(event.type)) await c.apply(event, tx);
      return true;
    });
    if (fresh) applied.push(c.name);
  }
  for (const c of consumers) {
    if (c.afterCommit && (!c.types || c.types.includes(event.type))) await c.afterCommit(event, await advanceWatermark(db, c.name, now));
  }
  return applied;
}

/**
 * Moves a consumer's watermark past every event it has applied without a gap, and returns the revision it has
 * fully reached: every event at or below it is applied. Cheap: scans from the old watermark to the first gap.
 */
export async function advanceWatermark(db: Database, consumer: string, now: Date): Promise<number> {
  const r = await sql<{ position: number; revision: number }>`
    WITH wm AS (
      SELECT coalesce((SELECT position FROM consumer_watermarks WHERE consumer = ${consumer}), 0) AS position
    ), gap AS (
      SELECT o.position, o.revision FROM outbox o, wm
      WHERE o.position > wm.position
        AND NOT EXISTS (SELECT 1 FROM applied_events a WHERE a.consumer = ${consumer} AND a.event_id = o.id)
      ORDER BY o.position LIMIT 1
    ), reached AS (
      SELECT CASE WHEN EXISTS (SELECT 1 FROM gap) THEN (SELECT position - 1 FROM gap) ELSE coalesce((SELECT max(position) FROM outbox), 0) END AS position,
             CASE WHEN EXISTS (SELECT 1 FROM gap) THEN (SELECT revision - 1 FROM gap) ELSE coalesce((SELECT max(revision) FROM outbox), 0) END AS revision
    )
    INSERT INTO consumer_watermarks AS c (consumer, position, revision, updated_at)
    SELECT ${consumer}, reached.position, reached.revision, ${now} FROM reached
    ON CONFLICT (consumer) DO UPDATE SET
      position = greatest(c.position, EXCLUDED.position), revision = greatest(c.revision, EXCLUDED.revision), updated_at = EXCLUDED.updated_at
    RETURNING position, revision`.execute(db);
  return r.rows[0]?.revision ?? 0;
}

export interface EventWorker {
  /** Finishes the jobs in hand, then stops. */
  stop(): Promise<void>;
}

/**
 * A BullMQ worker on the events queue that applies each event to the consumers. Jobs carry the whole envelope
 * (job id = event id). A failing consumer makes the job retry with back-off; nothing is skipped.
 */
export async function startEventWorker(deps: Pick<BackofficeDeps, 'db' | 'clock' | 'redisUrl' | 'redisPrefix' | 'logger'>, consumers: readonly EventConsumer[], opts: { concurrency?: number; lockDurationMs?: number } = {}): Promise<EventWorker> {
  // Jobs are short: a short lock lets another worker take over the jobs of one that died within seconds.
  const lockDuration = opts.lockDurationMs ?? 10_000;
  const connection = new Redis(deps.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const worker = new Worker<EventEnvelope>(QUEUE_NAMES.events, async (job: Job<EventEnvelope>) => {
    await applyEvent(deps.db, consumers, job.data, deps.clock.now());
  }, { connection, prefix: bullPrefix(deps.redisPrefix), concurrency: opts.concurrency ?? 1, lockDuration, stalledInterval: Math.max(1000, lockDuration / 2), maxStalledCount: 1000 });
  worker.on('error', (e) => deps.logger.warn({ err: e }, 'event worker error'));
  worker.on('failed', (job, e) => deps.logger.warn({ err: e, eventId: job?.id, type: job?.data.type }, 'event failed; it will be retried'));
  return {
    stop: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}
