import type { Clock, EventEnvelope, Metrics, Redis } from '../../shared/index.js';
import { recordPropagation, type PropagationSample } from '../kpis/hub-samples.js';

/**
 * Commits waiting for the watermark that a process keeps at most (a long gap drops the oldest, not memory).
 */
const MAX_PENDING = 10_000;

/**
 * Measures commit → visible for the read model: each committed revision is observed once in
 * `omnihub_commit_to_visible_seconds`, from its commit instant (the events' `occurredAt`, from the hub's
 * clock) to the moment the Redis watermark covers it — from then on every API node serves it, as soon as the
 * change notice reaches it. An event applied ahead of a gap waits here until a later batch raises the
 * watermark past it; a revision at or below a watermark this process already saw is a repeat (a re-delivery)
 * and is not observed again.
 */
export class CommitVisibility {
  /** Commit instant (ms) of each revision applied but not yet covered by the watermark. */
  private readonly pending = new Map<number, number>();
  private covered = 0;

  constructor(
    /** Where each measure is observed too; none in a process without a metrics registry. */
    private readonly histogram: Metrics['commitToVisible'] | undefined,
    private readonly clock: Clock,
  ) {}

  /**
   * Records that `events` were applied and the watermark now stands at `watermark` (-1: the model is not this
   * database's; nothing is visible through it then, and nothing is observed).
   * @returns the revisions observed now, each with the instant it became visible (ISO 8601) and its commit →
   *   visible time in ms (what the histogram observed, in seconds): the hub keeps the newest for its health.
   */
  applied(events: readonly EventEnvelope[], watermark: number): PropagationSample[] {
    for (const e of events) {
      if (e.revision <= this.covered) continue;
      const at = Date.parse(e.occurredAt);
      if (Number.isNaN(at)) continue;
      this.pending.set(e.revision, Math.min(at, this.pending.get(e.revision) ?? at));
    }
    while (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    if (watermark <= this.covered) return [];
    this.covered = watermark;
    const now = this.clock.now().getTime();
    const visibleAt = new Date(now).toISOString();
    const observed: PropagationSample[] = [];
    for (const [revision, at] of this.pending) {
      if (revision > watermark) continue;
      const ms = Math.max(0, now - at);
      this.histogram?.observe(ms / 1000);
      observed.push({ at: visibleAt, revision, ms });
      this.pending.delete(revision);
    }
    return observed;
  }
}

/**
 * Keeps commit → visible samples for the hub's health (hub-samples.ts): gathered in memory and stored at most
 * every `everyMs` (200 ms by default) in one LPUSH and LTRIM, not per batch. Best effort: the histogram holds
 * the measure, and a lost sample must not hold the consumer back (a process that dies loses at most the
 * last 200 ms of samples).
 */
export class PropagationRecorder {
  private buffer: PropagationSample[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly redisPrefix: string,
    private readonly everyMs = 200,
  ) {}

  /** Adds samples; they are stored within `everyMs`. */
  add(samples: readonly PropagationSample[]): void {
    if (samples.length === 0) return;
    this.buffer.push(...samples);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      const batch = this.buffer;
      this.buffer = [];
      void recordPropagation(this.redis, this.redisPrefix, batch).catch(() => undefined);
    }, this.everyMs);
    this.timer.unref();
  }
}
