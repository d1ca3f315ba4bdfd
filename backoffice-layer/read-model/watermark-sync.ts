import { randomUUID } from 'node:crypto';
import { currentRevision, type Redis } from '../../shared/index.js';
import type { Database } from '../tables.js';
import { anchorHeld, sourceIdentity } from './source.js';
import type { ReadModelKeys } from './store.js';

/** What the watermark sync reads, and what it calls when the model in Redis may no longer be served. */
export interface WatermarkSyncOptions {
  db: Database;
  redis: Redis;
  keys: ReadModelKeys;
  /**
   * Called when the model in Redis is not (or no longer) this database's: drop whatever was cached from it.
   */
  onLost(): void;
}

/**
 * The revision this node's read model has fully reached (every event at or below it is reflected), or null
 * when unknown (the model in Redis cannot be served: read PostgreSQL). Raised by watermark notices and by
 * reading the watermark key; readers wait here for a revision.
 *
 * A watermark read with GET may run ahead of the change notices still on their way to this node (they were
 * published before the watermark was raised): trusting it at once could serve a cached entry those notices
 * drop, at a revision that claims to include them. So the new value counts only after a marker, published on
 * a channel of this node's own (`channel`) after the GET, came back through the same subscription — behind
 * every earlier notice.
 */
export class WatermarkSync {
  /** The channel this node's markers travel on (subscribe to it with the change notices). */
  readonly channel: string;
  private mark: number | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly markers = new Map<string, () => void>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly o: WatermarkSyncOptions) {
    this.channel = `${o.keys.changes}:sync:${randomUUID()}`;
  }

  /** The revision reached, or null when unknown. */
  get value(): number | null {
    return this.mark;
  }

  /** Raises the watermark to `revision` (a watermark or reset notice), never lowering it. */
  reached(revision: number): void {
    this.mark = Math.max(this.mark ?? 0, revision);
  }

  /**
   * The model was lost: read PostgreSQL until a reset notice (or a fresh read of the watermark) says
   * otherwise.
   */
  lost(): void {
    this.mark = null;
  }

  /** A marker came back on `channel`: every notice published before it has arrived. */
  markerArrived(id: string): void {
    this.markers.get(id)?.();
    this.markers.delete(id);
  }

  /** Wakes every reader waiting for a revision, to look again. */
  wake(): void {
    for (const w of this.waiters) w();
  }

  /**
   * Reads the watermark from Redis (one read at a time; concurrent callers share it). Trusting the model
   * again (first start, after a loss) requires it built from this database, never ahead of its revision, and
   * not reflecting an event it does not hold (a restored older copy): otherwise the watermark becomes
   * unknown.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.read().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async read(): Promise<void> {
    const { db, keys } = this.o;
    const [raw, built, anchor] = await this.o.redis.mget(keys.watermark, keys.built, keys.anchor);
    const source = await sourceIdentity(db);
    if (raw === null || built !== source) return this.forget();
    const seen = Number(raw);
    if (this.mark === null && (seen > (await currentRevision(db)) || !(await anchorHeld(db, anchor))))
      return this.forget();
    if (this.mark !== null && seen <= this.mark) return;
    if (await this.markerReturns()) this.reached(seen);
  }

  private forget(): void {
    this.mark = null;
    this.o.onLost();
  }

  /** Publishes a marker on `channel` and answers whether it came back within a second. */
  private async markerReturns(): Promise<boolean> {
    const id = randomUUID();
    const back = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.markers.delete(id);
        resolve(false);
      }, 1000);
      timer.unref();
      this.markers.set(id, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    await this.o.redis.publish(this.channel, id);
    return back;
  }

  /**
   * Waits until the watermark reaches `revision` or `deadline` (ms since the epoch) passes; polls meanwhile.
   */
  waitFor(revision: number, deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if ((this.mark ?? -1) >= revision || Date.now() >= deadline) {
          clearInterval(poll);
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      // Notices can be missed (reconnects); poll the watermark too.
      const poll = setInterval(() => void this.refresh().then(check, check), 25);
      const timer = setTimeout(check, Math.max(0, deadline - Date.now()));
      this.waiters.add(check);
      check();
    });
  }
}
