import { Redis } from 'ioredis';
import type { ReadModel } from '../../backoffice-layer/index.js';
import { getLoyaltyStatus, journeyChangesChannel, offer, type JourneyChange } from '../../journey-layer/index.js';
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
    this.unsubscribeReadModel = readModel.onChange((c) => this.emit({ revision: c.revision, ...(c.skus ? { skus: c.skus } : {}), all: !!(c.reset || c.locations) }));
    this.sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.sub.on('error', () => undefined);
    this.sub.on('message', (_ch: string, msg: string) => {
      let j: JourneyChange;
      try { j = JSON.parse(msg) as JourneyChange; } catch { return; }
      this.emit({ revision: j.revision, all: j.type !== 'loyalty.changed' && j.type !== 'customer.changed' && j.type !== 'consent.changed', ...(j.customerId ? { customerId: j.customerId, loyalty: j.type === 'loyalty.changed' } : {}) });
    });
    void this.sub.subscribe(journeyChangesChannel(redisPrefix)).catch(() => undefined);
  }

  private emit(n: Notice): void {
    for (const l of this.listeners) l(n);
  }

  /** Notices as an async stream; ends when the consumer stops iterating. */
  async *stream(): AsyncGenerator<Notice> {
    const queue: Notice[] = [];
    let wake: (() => void) | null = null;
    const listener = (n: Notice) => { queue.push(n); wake?.(); };
    this.listeners.add(listener);
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => { wake = r; });
        wake = null;
        yield queue.shift()!;
      }
    } finally {
      this.listeners.delete(listener);
    }
  }

  async close(): Promise<void> {
    this.unsubscribeReadModel();
    this.listeners.clear();
    this.sub.disconnect();
  }
}

type OfferArgs = { sku: string; customerId?: string | null; locationId?: string | null };

/**
 * Pushes the current offer at once, then again whenever something it depends on changed (price, stock, promotions,
 * her tier) — and only when the answer really changed.
 */
export async function* offerChanged(feed: ChangeFeed, view: (o: Awaited<ReturnType<typeof offer>>) => unknown, args: OfferArgs, ctx: GraphqlContext): AsyncGenerator<{ offerChanged: unknown }> {
  await mayActFor(ctx, args.customerId, 'subscription.offer');
  const notices = feed.stream();
  const first = notices.next(); // listen before reading, so no change between the two is missed
  const current = await offer(ctx.deps, args, { readModel: ctx.readModel });
  let last = JSON.stringify({ price: current.price, availability: current.availability, product: current.product });
  yield { offerChanged: view(current) };
  const pending = await first;
  const rest = (async function* () { if (!pending.done) yield pending.value; yield* notices; })();
  for await (const n of rest) {
    const relevant = n.all || n.skus?.includes(args.sku) || (args.customerId && n.customerId === args.customerId);
    if (!relevant) continue;
    const o = await offer(ctx.deps, { ...args, minRevision: n.revision }, { readModel: ctx.readModel });
    const content = JSON.stringify({ price: o.price, availability: o.availability, product: o.product });
    if (content === last) continue;
    last = content;
    yield { offerChanged: view(o) };
  }
}

/** Pushes a member's loyalty status whenever her points or tier change. */
export async function* loyaltyChanged(feed: ChangeFeed, args: { customerId: string }, ctx: GraphqlContext): AsyncGenerator<{ loyaltyChanged: unknown }> {
  await mayActFor(ctx, args.customerId, 'subscription.loyalty');
  for await (const n of feed.stream()) {
    if (n.customerId !== args.customerId || !n.loyalty) continue;
    yield { loyaltyChanged: await getLoyaltyStatus(ctx.deps.db, args.customerId, ctx.deps.clock.now()) };
  }
}
