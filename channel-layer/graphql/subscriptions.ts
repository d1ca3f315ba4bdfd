import { Redis } from 'ioredis';
import type { ReadModel } from '../../backoffice-layer/index.js';
import {
  getLoyaltyStatus,
  journeyChangesChannel,
  offer,
  type JourneyChange,
} from '../../journey-layer/index.js';
import type { Logger } from '../../shared/index.js';
import { mayActFor, type GraphqlContext } from './resolvers.js';

export interface Notice {
  revision: number;
  skus?: string[];
  all?: boolean;
  customerId?: string;
  loyalty?: boolean;
}

/**
 * This node's stream of change notices: read-model notices (SKUs, locations, resets, watermarks) and journey notices
 * (loyalty, customers, promotions), for the subscriptions of its connected clients.
 */
export class ChangeFeed {
  private readonly listeners = new Set<(n: Notice) => void>();
  private readonly sub: Redis;
  private readonly unsubscribeReadModel: () => void;

  constructor(readModel: ReadModel, redisUrl: string, redisPrefix: string) {
    this.unsubscribeReadModel = readModel.onChange((c) =>
      this.emit({
        revision: c.revision,
        ...(c.skus ? { skus: c.skus } : {}),
        all: !!(c.reset || c.locations),
      }),
    );
    this.sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.sub.on('error', () => undefined);
    this.sub.on('message', (_ch: string, msg: string) => {
      let j: JourneyChange;
      try {
        j = JSON.parse(msg) as JourneyChange;
      } catch {
        return;
      }
      this.emit({
        revision: j.revision,
        all: j.type !== 'loyalty.changed' && j.type !== 'customer.changed' && j.type !== 'consent.changed',
        ...(j.customerId ? { customerId: j.customerId, loyalty: j.type === 'loyalty.changed' } : {}),
      });
    });
    void this.sub.subscribe(journeyChangesChannel(redisPrefix)).catch(() => undefined);
  }

  private emit(n: Notice): void {
    for (const l of this.listeners) l(n);
  }

  /** Calls `listener` with every notice until the returned function is called. */
  listen(listener: (n: Notice) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.unsubscribeReadModel();
    this.listeners.clear();
    this.sub.disconnect();
  }
}

/** Most pushes one subscriber may have waiting (a slow reader): past it the oldest are dropped; each is a whole snapshot. */
const MAX_WAITING = 10;

/**
 * A subscription's stream: what is pushed reaches its reader in order; `fail` ends it with an error (delivered as the
 * subscription's error); `return()` ends it at once, even while its reader waits — so a client that unsubscribes
 * or disconnects never leaves a listener behind.
 */
export class PushQueue<T> implements AsyncIterableIterator<T> {
  private readonly waiting: T[] = [];
  private reader: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | null = null;
  private failure: { error: unknown } | null = null;
  private ended = false;

  constructor(private readonly onEnd: () => void) {}

  push(value: T): void {
    if (this.ended) return;
    if (this.reader) {
      const r = this.reader;
      this.reader = null;
      r.resolve({ value, done: false });
      return;
    }
    this.waiting.push(value);
    if (this.waiting.length > MAX_WAITING) this.waiting.shift();
  }

  /** Ends the stream with `error` after what is already waiting. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.end();
    this.failure = { error };
    if (this.reader) {
      const r = this.reader;
      this.reader = null;
      this.failure = null;
      r.reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.waiting.length > 0) return Promise.resolve({ value: this.waiting.shift()!, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    this.waiting.length = 0;
    this.failure = null;
    if (this.reader) {
      const r = this.reader;
      this.reader = null;
      r.resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }
}

/** What a shared snapshot computes: `content` decides whether it changed, `value` is what subscribers receive. */
interface Snapshot {
  content: string;
  value: unknown;
}

/**
 * One snapshot shared by every subscriber of the same thing (the offer of one SKU for one customer at one location):
 * a change costs one computation however many subscribers share it, and each of them receives the same push.
 * Computations run one at a time, the newest notice's revision winning; one that fails is retried a second later.
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
          const s = await this.spec.compute(at);
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

/** How a shared snapshot is made: which notices concern it, how to compute it, whether a new subscriber receives it at once. */
interface SnapshotSpec {
  relevant(n: Notice): boolean;
  compute(minRevision: number | undefined): Promise<Snapshot>;
  initial: boolean;
}

/**
 * This node's shared snapshots, one per distinct subscription (see SharedSnapshot), created by their first subscriber
 * and dropped with their last.
 */
export class SnapshotHub {
  private readonly snapshots = new Map<string, SharedSnapshot>();
  constructor(
    private readonly feed: ChangeFeed,
    private readonly logger: Logger,
  ) {}

  /**
   * A subscriber's stream of the snapshot `key` names. It ends with `signal`'s reason when the signal aborts (its
   * caller's key was revoked, say).
   * @throws whatever the first computation throws (NOT_FOUND for an unknown SKU, say): the subscription is refused.
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

type OfferArgs = { sku: string; customerId?: string | null; locationId?: string | null };

/**
 * Pushes the current offer at once, then again whenever something it depends on changed (price, stock, promotions,
 * her tier) — and only when the answer really changed. Every subscriber of the same (SKU, customer, location) on this
 * node shares one computation per change.
 * @throws FORBIDDEN when the caller may not act for the customer; NOT_FOUND for an unknown SKU.
 */
export async function offerChanged(
  hub: SnapshotHub,
  view: (o: Awaited<ReturnType<typeof offer>>) => unknown,
  args: OfferArgs,
  ctx: GraphqlContext,
): Promise<AsyncIterableIterator<unknown>> {
  await mayActFor(ctx, args.customerId, 'subscription.offer');
  const at = { sku: args.sku, customerId: args.customerId ?? null, locationId: args.locationId ?? null };
  return hub.subscribe(
    `offer:${JSON.stringify(at)}`,
    {
      initial: true,
      relevant: (n) =>
        !!(n.all || n.skus?.includes(at.sku) || (at.customerId && n.customerId === at.customerId)),
      compute: async (minRevision) => {
        const o = await offer(
          ctx.deps,
          { ...at, ...(minRevision !== undefined ? { minRevision } : {}) },
          { readModel: ctx.readModel },
        );
        return {
          content: JSON.stringify({ price: o.price, availability: o.availability, product: o.product }),
          value: { offerChanged: view(o) },
        };
      },
    },
    ctx.signal,
  );
}

/** Pushes a member's loyalty status whenever her points or tier change (one computation per change, shared). */
export async function loyaltyChanged(
  hub: SnapshotHub,
  args: { customerId: string },
  ctx: GraphqlContext,
): Promise<AsyncIterableIterator<unknown>> {
  await mayActFor(ctx, args.customerId, 'subscription.loyalty');
  return hub.subscribe(
    `loyalty:${args.customerId}`,
    {
      initial: false,
      relevant: (n) => n.customerId === args.customerId && !!n.loyalty,
      compute: async () => {
        const status = await getLoyaltyStatus(ctx.deps.db, args.customerId, ctx.deps.clock.now());
        return { content: JSON.stringify(status), value: { loyaltyChanged: status } };
      },
    },
    ctx.signal,
  );
}
