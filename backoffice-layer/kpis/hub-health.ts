import { sql } from 'kysely';
import { currentRevision } from '../../shared/index.js';
import type { BackofficeDeps } from '../backoffice-deps.js';
import { readModelWatermark } from '../read-model/consumer.js';
import {
  lastConsistencyVerdict,
  recentPropagation,
  type ConsistencyVerdict,
  type PropagationSample,
} from './hub-samples.js';

/**
 * The hub's own health, as far as the database and the read model record it:
 * - `revision`: the highest committed revision;
 * - `outboxBacklog.unpublished`: outbox events the relay has not published yet;
 *   `outboxBacklog.undelivered`: events not yet applied by every consumer that keeps a delivery watermark
 *   (consumer_watermarks: those are the consumers the relay delivers to; one that never ran has none);
 * - `propagation`: commit → visible. The read model's position: `readModelRevision`, the revision its
 *   watermark has reached (null: no read model built from this database), and `lagRevisions`, committed
 *   revisions not yet visible through it (null with it); and the times the worker measured (where it
 *   observes `omnihub_commit_to_visible_seconds`): `samples`, the newest PROPAGATION_SAMPLES (oldest first:
 *   when the revision became visible, the revision, the time in ms), with their median `p50Ms` and 99th
 *   percentile `p99Ms` (null without samples);
 * - `consistency`: the verdict of the last periodic read-model check (`ok`, `checkedAt`, `differences`,
 *   `examples`), null until a worker ran the first.
 */
export interface HubHealth {
  revision: number;
  outboxBacklog: { unpublished: number; undelivered: number };
  propagation: {
    readModelRevision: number | null;
    lagRevisions: number | null;
    samples: PropagationSample[];
    p50Ms: number | null;
    p99Ms: number | null;
  };
  consistency: ConsistencyVerdict | null;
}

/**
 * Reads {@link HubHealth}: one statement for the outbox backlog, the committed revision, the watermark,
 * and two Redis reads for the samples and the verdict.
 */
export async function hubHealth(
  deps: Pick<BackofficeDeps, 'db' | 'redis' | 'redisPrefix'>,
): Promise<HubHealth> {
  const [backlog, revision, watermark, measured, consistency] = await Promise.all([
    sql<{ unpublished: number; undelivered: number }>`
      SELECT count(*) FILTER (WHERE o.published_at IS NULL)::int AS unpublished,
        count(*) FILTER (WHERE EXISTS (
          SELECT 1 FROM consumer_watermarks c
          WHERE NOT EXISTS (SELECT 1 FROM applied_events a
                            WHERE a.consumer = c.consumer AND a.event_id = o.id)
        ))::int AS undelivered
      FROM outbox o
      WHERE o.position > (SELECT coalesce(min(position), 0) FROM consumer_watermarks)`.execute(deps.db),
    currentRevision(deps.db),
    readModelWatermark(deps),
    recentPropagation(deps.redis, deps.redisPrefix),
    lastConsistencyVerdict(deps.redis, deps.redisPrefix),
  ]);
  const b = backlog.rows[0] ?? { unpublished: 0, undelivered: 0 };
  return {
    revision,
    outboxBacklog: { unpublished: b.unpublished, undelivered: b.undelivered },
    propagation: {
      readModelRevision: watermark,
      lagRevisions: watermark === null ? null : Math.max(0, revision - watermark),
      ...measured,
    },
    consistency,
  };
}
