import type { PoolClient } from 'pg';
import { sql } from 'kysely';
import { OUTBOX_CHANNEL } from '../../shared/index.js';
import type { BackofficeDeps } from '../backoffice-deps.js';
import { advanceWatermark, claimJobName, type EventHandoff, type EventJobData } from './event-worker.js';
import { toEnvelope, type OutboxRow } from './outbox-events.js';

export interface OutboxRelayOptions {
  /** Polling fallback when no NOTIFY arrives (lost connection, another node's writes). */
  pollMs?: number;
  batchSize?: number;
  /**
   * Consumers whose confirmation counts; events they have not applied are re-delivered after
   * `redeliverAfterMs`.
   */
  consumers?: readonly string[];
  redeliverAfterMs?: number;
  /**
   * The event worker of this process: a claim goes to it directly while it has room, else as a BullMQ job.
   */
  handoff?: EventHandoff;
}

export interface OutboxRelay {
  /** Publishes everything pending now (tests, shutdown). */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

type Deps = Pick<BackofficeDeps, 'db' | 'pool' | 'directPool' | 'clock' | 'queues' | 'logger' | 'metrics'>;

/**
 * Hands claimed rows (outbox order) to the worker of this process when it has room, else queues one BullMQ
 * job carrying their ids (`claimJobName`). Should queueing fail, the rows are marked unpublished again and
 * the error is thrown.
 */
async function deliver(
  deps: Deps,
  rows: ReadonlyArray<OutboxRow & { position: number }>,
  handoff?: EventHandoff,
): Promise<void> {
  if (rows.length === 0 || handoff?.offer(rows.map(toEnvelope))) return;
  const ids = rows.map((r) => r.id);
  const name = claimJobName(ids);
  handoff?.queued(name);
  try {
    await deps.queues.events.add(name, { ids } satisfies EventJobData, { jobId: name });
  } catch (e) {
    await deps.db
      .updateTable('outbox')
      .set({ publishedAt: null })
      .where(
        'position',
        'in',
        rows.map((r) => r.position),
      )
      .execute()
      .catch(() => undefined);
    throw e;
  }
}

/**
 * Publishes committed outbox events, oldest first, in one statement per claim of up to `batchSize` events:
 * rows are claimed with `FOR UPDATE SKIP LOCKED` (several relays can run) and marked published at once, then
 * handed to `handoff` (the event worker of this process) when it has room, else queued as one BullMQ job
 * carrying the claim's event ids. Should the process die in between (or with a handed claim in hand), the
 * re-delivery of published-but-unapplied events delivers them later (consumers dedupe).
 */
export async function publishPending(deps: Deps, batchSize = 500, handoff?: EventHandoff): Promise<number> {
  let total = 0;
  for (;;) {
    const claimed = await sql<OutboxRow & { position: number }>`
      UPDATE outbox o SET published_at = ${deps.clock.now()}
      FROM (SELECT position FROM outbox WHERE published_at IS NULL ORDER BY position LIMIT ${batchSize}
            FOR UPDATE SKIP LOCKED) c
      WHERE o.position = c.position
      RETURNING o.position, o.id, o.revision, o.type, o.aggregate_type, o.aggregate_id, o.payload,
                o.created_at`.execute(deps.db);
    const rows = claimed.rows.sort((x, y) => x.position - y.position);
    if (rows.length > 0) {
      await deliver(deps, rows, handoff);
      deps.metrics?.outboxRelayed.inc(rows.length);
    }
    total += rows.length;
    if (rows.length < batchSize) return total;
  }
}

/**
 * Outbox events not yet published (the relay's backlog); counted on the partial index of unpublished rows.
 */
async function countUnpublished(db: BackofficeDeps['db']): Promise<number> {
  const r = await sql<{ n: string }>`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Publishes again what was published long enough ago but is still not applied by every consumer: a worker
 * died with the claim in hand, the job was lost (Redis flushed, or restarted without persistence) or failed
 * for good. Scans from the lowest consumer watermark; the rows are marked published now (so they come again
 * only after another `olderThanMs`) and delivered like a claim. An event still waiting in a job that long
 * (a backlog) is delivered twice and applied once.
 */
export async function redeliverUnapplied(
  deps: Deps,
  consumers: readonly string[],
  olderThanMs: number,
  limit = 500,
  handoff?: EventHandoff,
): Promise<number> {
  if (consumers.length === 0) return 0;
  // Move every consumer's watermark past what it has applied, so the scan below starts late in the outbox.
  for (const c of consumers) await advanceWatermark(deps.db, c, deps.clock.now());
  const cutoff = new Date(deps.clock.now().getTime() - olderThanMs);
  const claimed = await sql<OutboxRow & { position: number }>`
    UPDATE outbox u SET published_at = ${deps.clock.now()}
    FROM (
      SELECT o.position FROM outbox o
      WHERE o.position > (SELECT coalesce(min(coalesce(w.position, 0)), 0)
                          FROM unnest(${consumers}::text[]) AS c(name)
                          LEFT JOIN consumer_watermarks w ON w.consumer = c.name)
        AND o.published_at IS NOT NULL AND o.published_at < ${cutoff}
        AND EXISTS (SELECT 1 FROM unnest(${consumers}::text[]) AS c(name)
                    WHERE NOT EXISTS (SELECT 1 FROM applied_events a
                                      WHERE a.consumer = c.name AND a.event_id = o.id))
      ORDER BY o.position LIMIT ${limit}
      FOR UPDATE OF o SKIP LOCKED) c
    WHERE u.position = c.position
    RETURNING u.position, u.id, u.revision, u.type, u.aggregate_type, u.aggregate_id, u.payload,
              u.created_at`.execute(deps.db);
  const rows = claimed.rows.sort((x, y) => x.position - y.position);
  await deliver(deps, rows, handoff);
  const n = rows.length;
  if (n > 0)
    deps.logger.warn({ redelivered: n }, 'outbox: re-delivered events that were published but never applied');
  return n;
}

/**
 * The relay: wakes on `NOTIFY omnihub_outbox` (sent by every commit that wrote events) and polls as a
 * fallback; hands claims to `opts.handoff` (the worker of this process) when it has room, else queues them as
 * jobs; re-delivers unconfirmed events after `redeliverAfterMs`. Keeps one pooled connection for LISTEN
 * and reconnects it when it drops.
 */
export async function startOutboxRelay(deps: Deps, opts: OutboxRelayOptions = {}): Promise<OutboxRelay> {
  const pollMs = opts.pollMs ?? 500;
  const redeliverAfterMs = opts.redeliverAfterMs ?? 30_000;
  let stopped = false;
  let listener: { client: PoolClient; release(): void } | undefined;
  let running: Promise<number> | undefined;
  let again = false;

  const pump = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let n = 0;
      do {
        again = false;
        try {
          n += await publishPending(deps, opts.batchSize, opts.handoff);
        } catch (e) {
          deps.logger.warn({ err: e }, 'outbox relay pass failed; retrying on the next wake-up');
        }
      } while (again && !stopped);
      return n;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const listen = async (): Promise<void> => {
    if (stopped) return;
    try {
      // LISTEN needs a session of its own: never through a pooler in transaction mode (DATABASE_DIRECT_URL).
      const client = await (deps.directPool ?? deps.pool).connect();
      // A client released normally goes back to the pool: these handlers must leave with it (else the next
      // user of the connection inherits them). A dying connection may report more than one error, but it is
      // destroyed once.
      let released = false;
      const onNotification = () => void pump();
      /**
       * Gives the connection back once: healthy, without these handlers; broken, destroyed (its no-op error
       * handler stays).
       */
      const release = (broken: boolean): boolean => {
        if (released) return false;
        released = true;
        client.off('notification', onNotification);
        if (!broken) client.off('error', onError);
        client.release(broken);
        return true;
      };
      const onError = () => {
        if (!release(true)) return;
        if (listener?.client === client) listener = undefined;
        if (!stopped) setTimeout(() => void listen(), 1000).unref();
      };
      client.on('notification', onNotification);
      client.on('error', onError);
      try {
        await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      } catch (e) {
        if (!release(true)) return; // the error handler released it and retries
        throw e;
      }
      if (stopped) {
        release(false);
        return;
      }
      listener = { client, release: () => void release(false) };
      // Listening again after a dropped connection: what was committed while nobody listened is published
      // now, not at the next poll (which may be a minute away).
      void pump();
    } catch (e) {
      deps.logger.warn({ err: e }, 'outbox relay could not LISTEN; polling only, retrying');
      if (!stopped) setTimeout(() => void listen(), 1000).unref();
    }
  };

  await listen();
  const unsample = deps.metrics?.sample('outboxUnpublished', () => countUnpublished(deps.db));
  const poll = setInterval(() => void pump(), pollMs);
  let redelivering = false;
  const redeliver = setInterval(
    () => {
      if (redelivering || !opts.consumers?.length) return;
      redelivering = true;
      redeliverUnapplied(deps, opts.consumers, redeliverAfterMs, 500, opts.handoff)
        .catch((e: unknown) => deps.logger.warn({ err: e }, 'outbox re-delivery pass failed'))
        .finally(() => {
          redelivering = false;
        });
    },
    Math.max(1000, Math.min(redeliverAfterMs, 10_000)),
  );
  void pump();

  return {
    drain: pump,
    stop: async () => {
      stopped = true;
      unsample?.();
      clearInterval(poll);
      clearInterval(redeliver);
      await running;
      if (listener) {
        const l = listener;
        listener = undefined;
        await l.client.query(`UNLISTEN ${OUTBOX_CHANNEL}`).catch(() => undefined);
        l.release();
      }
    },
  };
}
