import type { Logger } from '../../shared/index.js';
import type { ChangeFeed, Notice } from './change-feed.js';
import { PushQueue } from './push-queue.js';

/**
 * What a shared snapshot computes: `content` decides whether it changed, `value` is what subscribers receive.
 */
export interface Snapshot {
  content: string;
  value: unknown;
  /** The revision it was computed at, when it has one: a snapshot older than one pushed is never pushed. */
  revision?: number;
}

/**
 * One snapshot shared by every subscriber of the same thing (the offer of one SKU for one customer at one
 * location): a change costs one computation however many subscribers share it, and each of them receives the
 * same push. Computations run one at a time, the newest notice's revision winning; one that fails is retried
 * a second later.
 */
class SharedSnapshot {
  readonly subscribers = new Set<PushQueue<unknown>>();
  private last: Snapshot | undefined;
  private wanted: number | null = null;
  private running: Promise<void> | null = null;
  private retry: NodeJS.Timeout | undefined;
  private readonly stopListening: () => void;
  /** Settles when the first snapshot is known (rejects with its error: the subscription is refused). */
  readonly ready: Promise<void>;

  constructor(
    feed: ChangeFeed,
    private readonly spec: SnapshotSpec,
    private readonly logger: Logger,
    private readonly dispose: () => void,
  ) {
    // Listen before the first read, so no change between the two is missed.
    this.stopListening = feed.listen((n) => {
      if (spec.relevant(n)) this.refresh(n.revision);
    });
    this.ready = spec.initial
      ? spec.compute(undefined).then((s) => {
          this.last = this.last ?? s;
        })
      : Promise.resolve();
    this.ready.catch(() => undefined);
  }

  /** Adds a subscriber; with `initial` snapshots it receives the current one first. */
  async join(queue: PushQueue<unknown>): Promise<void> {
    this.subscribers.add(queue);
    try {
      await this.ready;
    } catch (e) {
      this.leave(queue);
      throw e;
    }
    if (this.last) queue.push(this.last.value);
  }

  leave(queue: PushQueue<unknown>): void {
    this.subscribers.delete(queue);
    if (this.subscribers.size > 0) return;
    this.stopListening();
    clearTimeout(this.retry);
    this.dispose();
  }

  private refresh(revision: number): void {
    this.wanted = Math.max(this.wanted ?? 0, revision);
    if (this.running) return;
    this.running = (async () => {
      await this.ready.catch(() => undefined);
      while (this.wanted !== null && this.subscribers.size > 0) {
        const at = this.wanted;
        this.wanted = null;
        try {
          // Never below what was pushed: a notice of an earlier revision arriving late (or a read that fell
          // back to PostgreSQL and answered ahead of the read model) must not send subscribers back in time.
          const floor = this.last?.revision ?? 0;
          const s = await this.spec.compute(Math.max(at, floor));
          if (s.revision !== undefined && s.revision < floor) continue;
          if (s.content === this.last?.content) continue;
          this.last = s;
          for (const q of this.subscribers) q.push(s.value);
        } catch (e) {
          this.logger.warn({ err: e }, 'a shared subscription snapshot failed; retrying in a second');
          clearTimeout(this.retry);
          this.retry = setTimeout(() => this.refresh(at), 1_000);
          this.retry.unref();
        }
      }
    })().finally(() => {
      this.running = null;
    });
  }
}

/**
 * How a shared snapshot is made: which notices concern it, how to compute it, whether a new subscriber
 * receives it at once.
 */
export interface SnapshotSpec {
  relevant(n: Notice): boolean;
  compute(minRevision: number | undefined): Promise<Snapshot>;
  initial: boolean;
}

/**
 * This node's shared snapshots, one per distinct subscription (see SharedSnapshot), created by their first
 * subscriber and dropped with their last.
 */
export class SnapshotHub {
  private readonly snapshots = new Map<string, SharedSnapshot>();
  constructor(
    private readonly feed: ChangeFeed,
    private readonly logger: Logger,
  ) {}

  /**
   * A subscriber's stream of the snapshot `key` names. It ends with `signal`'s reason when the signal aborts
   * (its caller's key was revoked, say).
   * @throws whatever the first computation throws (NOT_FOUND for an unknown SKU, say): the subscription is
   *   refused.
   */
  async subscribe(
    key: string,
    spec: SnapshotSpec,
    signal: AbortSignal | undefined,
  ): Promise<PushQueue<unknown>> {
    signal?.throwIfAborted();
    const shared = this.snapshots.get(key) ?? this.create(key, spec);
    const onAbort = () => queue.fail(signal!.reason);
    const queue: PushQueue<unknown> = new PushQueue(() => {
      signal?.removeEventListener('abort', onAbort);
      shared.leave(queue);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    await shared.join(queue);
    return queue;
  }

  /** A new shared snapshot under `key`, forgotten when its last subscriber leaves. */
  private create(key: string, spec: SnapshotSpec): SharedSnapshot {
    const created: SharedSnapshot = new SharedSnapshot(this.feed, spec, this.logger, () => {
      if (this.snapshots.get(key) === created) this.snapshots.delete(key);
    });
    this.snapshots.set(key, created);
    return created;
  }
}
