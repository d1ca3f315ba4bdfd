import { sql } from 'kysely';
import type { Clock, Logger } from '../../shared/index.js';
import type { Database } from '../tables.js';

export interface PruneResult {
  /** Outbox events deleted (with their applied_events records). */
  events: number;
  idempotencyKeys: number;
}

/**
 * Deletes what the hub no longer needs: outbox events older than `retentionMs` that every consumer has passed
 * (at or below the lowest consumer watermark — never the newest event, which carries the hub's current
 * revision) together with the consumers' records of applying them, and idempotency records older than
 * `retentionMs` (a request replayed after that executes again). Works in batches, so a large backlog never
 * holds long locks.
 * @example await pruneDelivered(deps, ['read-model', 'loyalty'], 7 * 86_400_000);
 */
export async function pruneDelivered(
  deps: { db: Database; clock: Clock },
  consumers: readonly string[],
  retentionMs: number,
  batch = 5000,
): Promise<PruneResult> {
  const cutoff = new Date(deps.clock.now().getTime() - retentionMs);
  const out: PruneResult = { events: 0, idempotencyKeys: 0 };
  if (consumers.length > 0) {
    for (;;) {
      const r = await sql<{ n: number }>`
        WITH floor AS (
          SELECT least(
            coalesce((SELECT min(coalesce(w.position, 0)) FROM unnest(${consumers}::text[]) AS c(name)
                      LEFT JOIN consumer_watermarks w ON w.consumer = c.name), 0),
            coalesce((SELECT max(position) FROM outbox), 0) - 1) AS position
        ), doomed AS (
          SELECT o.position, o.id FROM outbox o, floor
          WHERE o.position <= floor.position AND o.published_at IS NOT NULL AND o.created_at < ${cutoff}
          ORDER BY o.position LIMIT ${batch}
        ), applied AS (
          DELETE FROM applied_events a USING doomed d, unnest(${consumers}::text[]) AS c(name)
          WHERE a.consumer = c.name AND a.event_id = d.id
        ), gone AS (
          DELETE FROM outbox o USING doomed d WHERE o.position = d.position RETURNING 1
        )
        SELECT count(*)::int AS n FROM gone`.execute(deps.db);
      const n = r.rows[0]?.n ?? 0;
      out.events += n;
      if (n < batch) break;
    }
  }
  for (;;) {
    const r = await sql<{ n: number }>`
      WITH gone AS (
        DELETE FROM idempotency_keys
        WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE created_at < ${cutoff} LIMIT ${batch})
        RETURNING 1
      ) SELECT count(*)::int AS n FROM gone`.execute(deps.db);
    const n = r.rows[0]?.n ?? 0;
    out.idempotencyKeys += n;
    if (n < batch) break;
  }
  return out;
}

/**
 * Runs `pruneDelivered` every `everyMs` (first run after one interval); failures are logged and retried next
 * time.
 */
export function startRetention(
  deps: { db: Database; clock: Clock; logger: Logger },
  consumers: readonly string[],
  opts: { retentionMs: number; everyMs?: number },
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = running
      .then(async () => {
        const r = await pruneDelivered(deps, consumers, opts.retentionMs);
        if (r.events > 0 || r.idempotencyKeys > 0)
          deps.logger.info(r, 'retention: pruned delivered events and old idempotency records');
      })
      .catch((e: unknown) => deps.logger.warn({ err: e }, 'retention run failed; retrying next time'));
  };
  const timer = setInterval(tick, opts.everyMs ?? 3_600_000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
