import { Worker, type Job } from 'bullmq';
import { sql, type Transaction } from 'kysely';
import { createRedis, type EventEnvelope } from '../../shared/index.js';
import type { BackofficeDB as DB, Database } from '../tables.js';
import type { BackofficeDeps } from '../backoffice-deps.js';
import { bullPrefix, QUEUE_NAMES } from '../jobs/queues.js';
import { loadEnvelopes } from './outbox-events.js';

/**
 * Something that reacts to outbox events. `apply` runs inside the PostgreSQL transaction that records the
 * event as applied for this consumer, so a PostgreSQL effect happens exactly once however often the event
 * arrives. Effects elsewhere (Redis) must be idempotent by revision. `afterCommit` runs once the events are
 * recorded (notifications).
 */
export interface EventConsumer {
  name: string;
  /** Event types this consumer cares about; all when omitted. Others are recorded as applied without work. */
  types?: readonly string[];
  apply(event: EventEnvelope, tx: Transaction<DB>): Promise<void>;
  /**
   * Applies several events (in revision order) at once, e.g. with one Redis round trip; else `apply` runs per
   * event.
   */
  applyBatch?(events: readonly EventEnvelope[], tx: Transaction<DB>): Promise<void>;
  /**
   * Runs after the events (of this consumer's types, in revision order) are recorded as applied — also when
   * they were applied before and arrive again. `reached()` moves this consumer's watermark and returns it.
   */
  afterCommit?(events: readonly EventEnvelope[], reached: () => Promise<number>): Promise<void>;
}

const wants = (c: EventConsumer, e: EventEnvelope): boolean => !c.types || c.types.includes(e.type);

export interface BatchOutcome {
  /** Per event id: the consumers that applied it now (not before). */
  applied: Map<string, string[]>;
  /** Events that failed, with the error; the others took effect. */
  failed: Map<string, unknown>;
}

/**
 * Applies events to every consumer. The whole batch goes in one transaction: one statement records every
 * (consumer, event) pair in `applied_events` — the row is the proof of application and the dedupe key — and
 * each consumer applies the events it had not applied yet. Should that transaction fail, each event is
 * applied to each consumer on its own, so a failing event or consumer fails only itself. Then each consumer's
 * `afterCommit` runs once for the batch.
 */
export async function applyEvents(
  db: Database,
  consumers: readonly EventConsumer[],
  events: readonly EventEnvelope[],
  now: Date,
): Promise<BatchOutcome> {
  const byId = new Map(events.map((e) => [e.id, e]));
  const sorted = [...byId.values()].sort((a, b) => a.revision - b.revision);
  const outcome: BatchOutcome = { applied: new Map(sorted.map((e) => [e.id, []])), failed: new Map() };
  if (sorted.length === 0) return outcome;
  try {
    const fresh = await db.transaction().execute((tx) => applyInOne(tx, consumers, sorted, now));
    for (const [id, names] of fresh) outcome.applied.set(id, names);
  } catch (batchError) {
    if (sorted.length === 1 && consumers.length <= 1) {
      outcome.failed.set(sorted[0]!.id, batchError);
    } else {
      for (const e of sorted) {
        for (const c of consumers) {
          try {
            const names = await db.transaction().execute((tx) => applyInOne(tx, [c], [e], now));
            outcome.applied.get(e.id)!.push(...(names.get(e.id) ?? []));
          } catch (err) {
            if (!outcome.failed.has(e.id)) outcome.failed.set(e.id, err);
          }
        }
      }
    }
  }
  const done = sorted.filter((e) => !outcome.failed.has(e.id));
  await Promise.all(
    consumers.map(async (c) => {
      const mine = done.filter((e) => wants(c, e));
      if (!c.afterCommit || mine.length === 0) return;
      try {
        await c.afterCommit(mine, () => advanceWatermark(db, c.name, now));
      } catch (err) {
        for (const e of mine) if (!outcome.failed.has(e.id)) outcome.failed.set(e.id, err);
      }
    }),
  );
  return outcome;
}

async function applyInOne(
  tx: Transaction<DB>,
  consumers: readonly EventConsumer[],
  events: readonly EventEnvelope[],
  now: Date,
): Promise<Map<string, string[]>> {
  const pairs = consumers.flatMap((c) =>
    events.map((e) => ({ consumer: c.name, id: e.id, revision: e.revision })),
  );
  const rows = await sql<{ consumer: string; eventId: string }>`
    INSERT INTO applied_events (consumer, event_id, revision, applied_at)
    SELECT c, e, r, ${now}
    FROM unnest(${pairs.map((p) => p.consumer)}::text[], ${pairs.map((p) => p.id)}::uuid[],
                ${pairs.map((p) => p.revision)}::bigint[]) AS t(c, e, r)
    ON CONFLICT (consumer, event_id) DO NOTHING
    RETURNING consumer, event_id`.execute(tx);
  const fresh = new Set(rows.rows.map((r) => `${r.consumer} ${r.eventId}`));
  const out = new Map<string, string[]>(events.map((e) => [e.id, []]));
  for (const c of consumers) {
    const mine = events.filter((e) => fresh.has(`${c.name} ${e.id}`));
    for (const e of mine) out.get(e.id)!.push(c.name);
    const work = mine.filter((e) => wants(c, e));
    if (work.length === 0) continue;
    if (c.applyBatch) await c.applyBatch(work, tx);
    else for (const e of work) await c.apply(e, tx);
  }
  return out;
}

/**
 * Applies one event to every consumer (see `applyEvents`); throws when it failed. Returns the consumers that
 * applied it now.
 */
export async function applyEvent(
  db: Database,
  consumers: readonly EventConsumer[],
  event: EventEnvelope,
  now: Date,
): Promise<string[]> {
  const outcome = await applyEvents(db, consumers, [event], now);
  if (outcome.failed.has(event.id)) throw outcome.failed.get(event.id);
  return outcome.applied.get(event.id) ?? [];
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
      SELECT CASE WHEN EXISTS (SELECT 1 FROM gap) THEN (SELECT position - 1 FROM gap)
                   ELSE coalesce((SELECT max(position) FROM outbox), 0) END AS position,
             CASE WHEN EXISTS (SELECT 1 FROM gap) THEN (SELECT revision - 1 FROM gap)
                   ELSE coalesce((SELECT max(revision) FROM outbox), 0) END AS revision
    )
    INSERT INTO consumer_watermarks AS c (consumer, position, revision, updated_at)
    SELECT ${consumer}, reached.position, reached.revision, ${now} FROM reached
    ON CONFLICT (consumer) DO UPDATE SET
      position = greatest(c.position, EXCLUDED.position), revision = greatest(c.revision, EXCLUDED.revision),
      updated_at = EXCLUDED.updated_at
    RETURNING position, revision`.execute(db);
  return r.rows[0]?.revision ?? 0;
}

export interface EventWorker {
  /** Finishes the jobs in hand, then stops. */
  stop(): Promise<void>;
}

/**
 * A BullMQ worker on the events queue that applies events to the consumers in batches: it holds up to
 * `batchSize` jobs at once (job id = event id; the event itself is read from the outbox, one query per batch)
 * and applies all it holds in one go while the next ones arrive, so a burst costs one transaction, not one
 * per event. A failing event makes its own job retry with back-off; nothing is skipped.
 */
export async function startEventWorker(
  deps: Pick<BackofficeDeps, 'db' | 'clock' | 'redisUrl' | 'redisPrefix' | 'logger' | 'metrics'>,
  consumers: readonly EventConsumer[],
  opts: { batchSize?: number; lockDurationMs?: number } = {},
): Promise<EventWorker> {
  // Jobs are short: a short lock lets another worker take over the jobs of one that died within seconds.
  const lockDuration = opts.lockDurationMs ?? 10_000;
  const batchSize = opts.batchSize ?? 200;
  const connection = createRedis(deps.redisUrl, { connectionName: 'omnihub:event-worker' });
  const held: Array<{ id: string; done: (err?: unknown) => void }> = [];
  let flushing: Promise<void> | null = null;
  const flush = async (): Promise<void> => {
    while (held.length > 0) {
      const batch = held.splice(0, batchSize);
      try {
        // Every event is taken from this database's outbox, the source of truth, never from the job: a job
        // whose data Redis lost (a hash re-created by a late write after a flush) still has its event, and a
        // job this database never wrote (left in the queue by another database under the same Redis prefix,
        // or by a restored copy's past) is dropped instead of applied.
        const found = await loadEnvelopes(
          deps.db,
          batch.map((b) => b.id),
        );
        const whole = batch.flatMap((b) => {
          const event = found.get(b.id);
          if (event) return [{ ...b, event }];
          deps.logger.warn(
            { jobId: b.id },
            "event job names no event in this database's outbox " +
              "(another database's, or pruned after every consumer applied it); dropped",
          );
          b.done();
          return [];
        });
        const outcome = await applyEvents(
          deps.db,
          consumers,
          whole.map((b) => b.event),
          deps.clock.now(),
        );
        for (const names of outcome.applied.values())
          for (const consumer of names) deps.metrics?.eventsApplied.inc({ consumer });
        for (const b of whole)
          b.done(
            outcome.failed.has(b.event.id)
              ? (outcome.failed.get(b.event.id) ?? new Error('event failed'))
              : undefined,
          );
      } catch (e) {
        for (const b of batch) b.done(e ?? new Error('event batch failed'));
      }
    }
  };
  // Jobs fetched together land here within one turn of the event loop: flush on the next, as one batch.
  const schedule = (): void => {
    flushing ??= new Promise<void>((r) => setImmediate(r)).then(flush).finally(() => {
      flushing = null;
      if (held.length > 0) schedule();
    });
  };
  const worker = new Worker<EventEnvelope>(
    QUEUE_NAMES.events,
    (job: Job<EventEnvelope>) =>
      new Promise<void>((resolve, reject) => {
        held.push({
          id: job.id ?? '',
          done: (err) =>
            err === undefined ? resolve() : reject(err instanceof Error ? err : new Error(String(err))),
        });
        schedule();
      }),
    {
      connection,
      prefix: bullPrefix(deps.redisPrefix),
      concurrency: batchSize,
      lockDuration,
      stalledInterval: Math.max(1000, lockDuration / 2),
      maxStalledCount: 1000,
    },
  );
  worker.on('error', (e) => deps.logger.warn({ err: e }, 'event worker error'));
  worker.on('failed', (job, e) =>
    deps.logger.warn({ err: e, eventId: job?.id, type: job?.name }, 'event failed; it will be retried'),
  );
  return {
    stop: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}
