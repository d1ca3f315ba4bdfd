import { randomUUID } from 'node:crypto';
import { Worker, type Job } from 'bullmq';
import { sql, type Transaction } from 'kysely';
import { createRedis, type EventEnvelope } from '../../shared/index.js';
import type { BackofficeDB as DB, Database, Executor } from '../tables.js';
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
   * event. `batch.reached()` tells, inside the transaction, the revision this consumer will have reached once
   * it commits (see BatchContext).
   */
  applyBatch?(events: readonly EventEnvelope[], tx: Transaction<DB>, batch?: BatchContext): Promise<void>;
  /**
   * For effects that are idempotent without PostgreSQL's record (revision-guarded Redis writes): applies the
   * events of this consumer's types (in revision order) as the batch starts, alongside its transaction
   * rather than inside it (but not those it applied before, read in one query). The transaction commits
   * only once this succeeded; should it fail, the batch fails (and its events are tried one by one, this
   * called inside each one's transaction). A consumer with `applyFirst` has neither `apply` nor `applyBatch`
   * called.
   */
  applyFirst?(events: readonly EventEnvelope[], batch: BatchContext): Promise<void>;
  /**
   * Runs after the events (of this consumer's types, in revision order) are recorded as applied — also when
   * they were applied before and arrive again. `reached()` moves this consumer's watermark and returns it.
   */
  afterCommit?(events: readonly EventEnvelope[], reached: () => Promise<number>): Promise<void>;
}

/** What a consumer may ask about its batch while the batch's transaction is open. */
export interface BatchContext {
  /**
   * The revision this consumer has fully reached counting the events of this transaction and those of the
   * batch before it whose effects are done but whose transaction is still committing (pipelining): every
   * event at or below it took effect everywhere but perhaps in PostgreSQL's `applied_events`. Read-only (one
   * query); a commit that then fails changes nothing (the effects are done, the events come again and are
   * applied once more idempotently).
   */
  reached(): Promise<number>;
}

/** Options of `applyEvents`. */
export interface ApplyOptions {
  /**
   * Events of a batch whose effects are done and whose transaction is committing: counted as applied by
   * `BatchContext.reached`. The caller keeps it current (it is read when asked).
   */
  inflight?: ReadonlySet<string>;
  /**
   * Called once the batch's transaction did all its work, just before its COMMIT: the caller may open the
   * next batch's transaction meanwhile. Not called when the batch transaction fails before that.
   */
  onApplied?: () => void;
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
 * `afterCommit` runs once for the batch. See ApplyOptions for pipelining batches.
 */
export async function applyEvents(
  db: Database,
  consumers: readonly EventConsumer[],
  events: readonly EventEnvelope[],
  now: Date,
  opts: ApplyOptions = {},
): Promise<BatchOutcome> {
  const byId = new Map(events.map((e) => [e.id, e]));
  const sorted = [...byId.values()].sort((a, b) => a.revision - b.revision);
  const outcome: BatchOutcome = { applied: new Map(sorted.map((e) => [e.id, []])), failed: new Map() };
  if (sorted.length === 0) return outcome;
  // Effects that need no transaction start now, alongside it. What they ask of `reached` is read from
  // committed rows, counting this batch's events (their effects are done when the consumer uses the answer)
  // and those in flight.
  const ahead = [...(opts.inflight ?? []), ...sorted.map((e) => e.id)];
  const first = Promise.all(
    consumers.map(async (c) => {
      const mine = sorted.filter((e) => wants(c, e));
      if (!c.applyFirst || mine.length === 0) return;
      // One query: where the consumer stands, and which of these events it applied before (not again).
      const { revision, applied } = await reachedAndApplied(db, c.name, ahead, mine);
      const fresh = mine.filter((e) => !applied.has(e.id));
      if (fresh.length > 0) await c.applyFirst(fresh, { reached: () => Promise.resolve(revision) });
    }),
  );
  first.catch(() => undefined); // awaited in the transaction; a transaction that failed first leaves it
  try {
    const fresh = await db.transaction().execute(async (tx) => {
      const r = await applyInOne(tx, consumers, sorted, now, opts.inflight, true);
      await first;
      opts.onApplied?.();
      return r;
    });
    for (const [id, names] of fresh) outcome.applied.set(id, names);
  } catch (batchError) {
    // Effects begun alongside the failed transaction end before anything is tried again (in order).
    await first.catch(() => undefined);
    if (sorted.length === 1 && consumers.length <= 1) {
      outcome.failed.set(sorted[0]!.id, batchError);
    } else {
      for (const e of sorted) {
        for (const c of consumers) {
          try {
            const names = await db
              .transaction()
              .execute((tx) => applyInOne(tx, [c], [e], now, opts.inflight));
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
  inflight: ReadonlySet<string> = new Set(),
  firstDone = false,
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
    if (work.length === 0 || (c.applyFirst && firstDone)) continue;
    const batch: BatchContext = { reached: () => reachedRevision(tx, c.name, [...inflight]) };
    if (c.applyFirst) await c.applyFirst(work, batch);
    else if (c.applyBatch) await c.applyBatch(work, tx, batch);
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
 * The `WITH` clause of a query whose CTE `reached` (position, revision) is where a consumer stands: just
 * before the first outbox event after its stored watermark that it has not applied (events in `inflight`
 * count as applied), or at the newest event when there is no such gap.
 */
function reachedBy(consumer: string, inflight: readonly string[]) {
  return sql`
    WITH wm AS (
      SELECT coalesce((SELECT position FROM consumer_watermarks WHERE consumer = ${consumer}), 0) AS position
    ), gap AS (
      SELECT o.position, o.revision FROM outbox o, wm
      WHERE o.position > wm.position AND NOT (o.id = ANY(${inflight}::uuid[]))
        AND NOT EXISTS (SELECT 1 FROM applied_events a WHERE a.consumer = ${consumer} AND a.event_id = o.id)
      ORDER BY o.position LIMIT 1
    ), reached AS (
      SELECT CASE WHEN EXISTS (SELECT 1 FROM gap) THEN (SELECT position - 1 FROM gap)
                   ELSE coalesce((SELECT max(position) FROM outbox), 0) END AS position,
             CASE WHEN EXISTS (SELECT 1 FROM gap) THEN (SELECT revision - 1 FROM gap)
                   ELSE coalesce((SELECT max(revision) FROM outbox), 0) END AS revision
    )`;
}

/**
 * The revision a consumer has reached (see reachedBy) counting `inflight`, and which of `events` it has
 * applied (recorded in `applied_events`), in one query.
 */
async function reachedAndApplied(
  db: Database,
  consumer: string,
  inflight: readonly string[],
  events: readonly EventEnvelope[],
): Promise<{ revision: number; applied: Set<string> }> {
  const ids = events.map((e) => e.id);
  const r = await sql<{ revision: number; applied: string[] }>`${reachedBy(consumer, inflight)}
    SELECT (SELECT revision FROM reached) AS revision,
           ARRAY(SELECT event_id::text FROM applied_events
                 WHERE consumer = ${consumer} AND event_id = ANY(${ids}::uuid[])) AS applied`.execute(db);
  return { revision: Number(r.rows[0]!.revision), applied: new Set(r.rows[0]!.applied) };
}

/** The revision a consumer has reached (see reachedBy), without recording it. */
async function reachedRevision(db: Executor, consumer: string, inflight: readonly string[]): Promise<number> {
  const r = await sql<{
    revision: number;
  }>`${reachedBy(consumer, inflight)} SELECT revision FROM reached`.execute(db);
  return Number(r.rows[0]!.revision);
}

/**
 * Moves a consumer's watermark past every event it has applied without a gap, and returns the revision it has
 * fully reached: every event at or below it is applied. Cheap: scans from the old watermark to the first gap.
 */
export async function advanceWatermark(db: Database, consumer: string, now: Date): Promise<number> {
  const r = await sql<{ position: number; revision: number }>`${reachedBy(consumer, [])}
    INSERT INTO consumer_watermarks AS c (consumer, position, revision, updated_at)
    SELECT ${consumer}, reached.position, reached.revision, ${now} FROM reached
    ON CONFLICT (consumer) DO UPDATE SET
      position = greatest(c.position, EXCLUDED.position), revision = greatest(c.revision, EXCLUDED.revision),
      updated_at = EXCLUDED.updated_at
    RETURNING position, revision`.execute(db);
  return r.rows[0]?.revision ?? 0;
}

/**
 * Where the outbox relay hands a claimed batch of events straight to an event worker in the same process,
 * without a BullMQ job.
 */
export interface EventHandoff {
  /**
   * Takes these events (one relay claim, in outbox order) when the worker has room: it applies them as it
   * would a job's. False when it is busy (a full batch already waits) or a job queued before has not reached
   * it yet: the caller then queues them as a job (`claimJobName`), after the ones before.
   */
  offer(events: readonly EventEnvelope[]): boolean;
  /** The caller queued a job instead: events are taken again once this worker fetched it (order). */
  queued(jobId: string): void;
}

/** The data of an event job: the ids of one relay claim (older jobs: job id = event id, data = envelope). */
export interface EventJobData {
  ids?: string[];
}

/** The name and job id of a job carrying a claim of events: `outbox-<first id>-<last id>-<random>`. */
export function claimJobName(ids: readonly string[]): string {
  return `outbox-${ids[0] ?? ''}-${ids[ids.length - 1] ?? ''}-${randomUUID().slice(0, 8)}`;
}

export interface EventWorker extends EventHandoff {
  /** Finishes the batches in hand (handed over and fetched), then stops. */
  stop(): Promise<void>;
}

export interface EventWorkerOptions {
  /** Events applied in one transaction at most (default 500); a bigger job is applied in several. */
  batchSize?: number;
  /** BullMQ jobs held at once (default 4); each carries one relay claim (up to the relay's batch size). */
  jobsInHand?: number;
  lockDurationMs?: number;
}

/** Events waiting in the worker: a job's or a handed claim's, settled once every part of it is applied. */
interface Entry {
  /** Envelopes already known (a handed claim); the others are read from the outbox. */
  given: Map<string, EventEnvelope>;
  parts: number;
  failed: Map<string, unknown>;
  settle(failed: Map<string, unknown>): void;
}

/**
 * Applies outbox events to the consumers in batches of up to `batchSize` events, one transaction each. Events
 * arrive handed over by the relay of the same process (`offer`, while the worker has room) or as BullMQ jobs
 * on the events queue (a claim of ids queued while it was busy, a retry, another process' relay); their
 * envelopes come from the relay's claim or from this database's outbox, never from a job. Batches are
 * pipelined: the next batch's transaction is opened while the previous one commits, never more than two at
 * once (up to three connections with the outbox reads). A failing event is retried with back-off as a job
 * of its own (its job's, or a new one for a handed claim); nothing is skipped. A worker killed with a handed
 * claim in hand loses no event: the relay re-delivers events published but not applied after its
 * re-delivery delay (`redeliverAfterMs`, 30 s by default), where a job would be picked up by BullMQ's stalled
 * check.
 */
export async function startEventWorker(
  deps: Pick<BackofficeDeps, 'db' | 'clock' | 'redisUrl' | 'redisPrefix' | 'logger' | 'metrics' | 'queues'>,
  consumers: readonly EventConsumer[],
  opts: EventWorkerOptions = {},
): Promise<EventWorker> {
  // Jobs are short: a short lock lets another worker take over the jobs of one that died within seconds.
  const lockDuration = opts.lockDurationMs ?? 10_000;
  const batchSize = Math.max(1, opts.batchSize ?? 500);
  const connection = createRedis(deps.redisUrl, { connectionName: 'omnihub:event-worker' });
  /** Parts of entries not yet applied, oldest first; each at most `batchSize` events. */
  const waiting: Array<{ entry: Entry; ids: string[] }> = [];
  /** Jobs the relay queued that this worker has not fetched yet, with when (ms). */
  const queuedJobs = new Map<string, number>();
  /** Events whose effects are done and whose batch transaction is committing. */
  const inflight = new Set<string>();
  let stopped = false;
  let loop: Promise<void> | null = null;

  const enqueue = (ids: readonly string[], given: Map<string, EventEnvelope>, settle: Entry['settle']) => {
    const entry: Entry = { given, parts: 0, failed: new Map(), settle };
    for (let i = 0; i < ids.length; i += batchSize) {
      entry.parts++;
      waiting.push({ entry, ids: ids.slice(i, i + batchSize) });
    }
    if (entry.parts === 0) settle(entry.failed);
    pump();
  };

  /** Applies one batch; `applied` is called when the next batch may start (before this one's COMMIT). */
  const run = async (parts: typeof waiting, applied: () => void): Promise<void> => {
    const ids = parts.flatMap((p) => p.ids);
    const failed = new Map<string, unknown>();
    try {
      const given = new Map(
        parts.flatMap((p) => p.ids.flatMap((id) => p.entry.given.get(id) ?? [])).map((e) => [e.id, e]),
      );
      // Events not handed over are read from this database's outbox, the source of truth, never from the
      // job: a job whose data Redis lost still has its event, and a job this database never wrote (another
      // database's under the same Redis prefix, or a restored copy's past) is dropped instead of applied.
      const missing = ids.filter((id) => !given.has(id));
      const found =
        missing.length > 0 ? await loadEnvelopes(deps.db, missing) : new Map<string, EventEnvelope>();
      const events: EventEnvelope[] = [];
      for (const id of ids) {
        const event = given.get(id) ?? found.get(id);
        if (event) events.push(event);
        else
          deps.logger.warn(
            { eventId: id },
            "event job names no event in this database's outbox " +
              "(another database's, or pruned after every consumer applied it); dropped",
          );
      }
      const outcome = await applyEvents(deps.db, consumers, events, deps.clock.now(), {
        inflight,
        onApplied: () => {
          for (const e of events) inflight.add(e.id);
          applied();
        },
      });
      for (const names of outcome.applied.values())
        for (const consumer of names) deps.metrics?.eventsApplied.inc({ consumer });
      for (const [id, err] of outcome.failed) failed.set(id, err);
    } catch (e) {
      for (const id of ids) failed.set(id, e ?? new Error('event batch failed'));
    } finally {
      for (const id of ids) inflight.delete(id);
      applied();
    }
    for (const p of parts) {
      for (const id of p.ids) if (failed.has(id)) p.entry.failed.set(id, failed.get(id));
      if (--p.entry.parts === 0) p.entry.settle(p.entry.failed);
    }
  };

  /** The oldest waiting parts, up to `batchSize` events (at least one part). */
  const take = (): typeof waiting => {
    const parts = [waiting.shift()!];
    let n = parts[0]!.ids.length;
    while (waiting.length > 0 && n + waiting[0]!.ids.length <= batchSize) {
      n += waiting[0]!.ids.length;
      parts.push(waiting.shift()!);
    }
    return parts;
  };

  function pump(): void {
    loop ??= (async () => {
      let previous: Promise<void> = Promise.resolve();
      while (waiting.length > 0) {
        let applied!: () => void;
        const ready = new Promise<void>((r) => (applied = r));
        const done = run(take(), applied);
        await ready;
        // At most two batch transactions open: this one (committing) and the next.
        await previous;
        previous = done;
      }
      await previous;
    })().finally(() => {
      loop = null;
      if (waiting.length > 0) pump();
    });
  }

  // A job queued here holds later claims back until it has been taken up: by this worker (its processor
  // forgets it on fetching it), or by another process. Jobs not fetched here within 2 s are asked about in
  // BullMQ, and forgotten only once no longer waiting or active — never merely because this worker was busy
  // (a worker with every slot taken fetches nothing, and a later claim would overtake the waiting job). A job
  // retrying after a failure is forgotten too: its failed events are out of order already.
  let rechecking = false;
  const recheckQueuedJobs = (): void => {
    if (rechecking) return;
    const now = Date.now();
    const aged = [...queuedJobs].filter(([, at]) => now - at > 2000).map(([id]) => id);
    if (aged.length === 0) return;
    rechecking = true;
    void Promise.all(
      aged.map(async (id) => {
        const state = await deps.queues.events.getJobState(id).catch(() => 'waiting');
        if (['waiting', 'active', 'prioritized', 'waiting-children'].includes(state))
          queuedJobs.set(id, Date.now());
        else queuedJobs.delete(id);
      }),
    ).finally(() => {
      rechecking = false;
    });
  };

  const retryAsJob = async (ids: string[]): Promise<void> => {
    const name = claimJobName(ids);
    await deps.queues.events
      .add(name, { ids } satisfies EventJobData, { jobId: name })
      .catch((e: unknown) =>
        deps.logger.warn({ err: e, events: ids.length }, 'could not queue failed events; re-delivery will'),
      );
  };

  const worker = new Worker<EventJobData>(
    QUEUE_NAMES.events,
    (job: Job<EventJobData>) => {
      queuedJobs.delete(job.id ?? '');
      const ids = Array.isArray(job.data?.ids) ? job.data.ids : [job.id ?? ''];
      return new Promise<void>((resolve, reject) =>
        enqueue(ids, new Map(), (failed) => {
          if (failed.size === 0) return resolve();
          const err = failed.values().next().value;
          const error = err instanceof Error ? err : new Error(String(err ?? 'event failed'));
          // Only the failed events are tried again.
          if (Array.isArray(job.data?.ids) && failed.size < ids.length)
            void job.updateData({ ids: [...failed.keys()] }).then(
              () => reject(error),
              () => reject(error),
            );
          else reject(error);
        }),
      );
    },
    {
      connection,
      prefix: bullPrefix(deps.redisPrefix),
      concurrency: Math.max(1, opts.jobsInHand ?? 4),
      lockDuration,
      stalledInterval: Math.max(1000, lockDuration / 2),
      maxStalledCount: 1000,
    },
  );
  worker.on('error', (e) => deps.logger.warn({ err: e }, 'event worker error'));
  worker.on('failed', (job, e) =>
    deps.logger.warn({ err: e, jobId: job?.id, type: job?.name }, 'event failed; it will be retried'),
  );

  return {
    offer: (events) => {
      if (stopped) return false;
      recheckQueuedJobs();
      if (queuedJobs.size > 0) return false;
      if (waiting.reduce((n, p) => n + p.ids.length, 0) >= batchSize) return false;
      if (events.length === 0) return true;
      enqueue(
        events.map((e) => e.id),
        new Map(events.map((e) => [e.id, e])),
        (failed) => {
          if (failed.size === 0) return;
          for (const [id, err] of failed)
            deps.logger.warn({ err, eventId: id }, 'event failed; it will be retried');
          void retryAsJob([...failed.keys()]);
        },
      );
      return true;
    },
    queued: (jobId) => {
      queuedJobs.set(jobId, Date.now());
    },
    stop: async () => {
      stopped = true;
      await worker.close();
      while (loop) await loop;
      connection.disconnect();
    },
  };
}
