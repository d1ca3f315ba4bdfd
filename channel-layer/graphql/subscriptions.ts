import { getLoyaltyStatus, offer } from '../../journey-layer/index.js';
import { DomainError } from '../../shared/index.js';
import { customerNamed, requireAccess } from '../access/require-access.js';
import type { Notice } from './change-feed.js';
import type { GraphqlContext } from './context.js';
import { channelMirror, mirrorContent, type MirrorArgs } from './mirror.js';
import type { SnapshotHub } from './snapshot-hub.js';
import { offerView } from './views.js';
import { subscribeOrderChanged } from './orders.js';

type OfferArgs = {
  sku: string;
  customerId?: string | null;
  locationId?: string | null;
  postcode?: string | null;
  countryCode?: string | null;
};

/**
 * This connection's shared snapshots; subscriptions exist over WebSocket only. @throws BAD_USER_INPUT over
 * HTTP.
 */
function hubOf(ctx: GraphqlContext): SnapshotHub {
  if (!ctx.snapshots)
    throw new DomainError('BAD_USER_INPUT', 'Subscriptions are served over WebSocket at /graphql', {});
  return ctx.snapshots;
}

/**
 * Whether a change notice may change the offer of `at.sku` for `at.customerId`: every offer's (rules,
 * programme, a switch, a reset), the SKU's own, or anything of hers.
 */
function concernsOffer(at: { sku: string; customerId: string | null }): (n: Notice) => boolean {
  return (n) => !!(n.all || n.skus?.includes(at.sku) || (at.customerId && n.customerId === at.customerId));
}

/** The channel API's `Subscription` resolvers. Each asks the access policy's subscription act first. */
/**
 * The question an offer subscription (and the mirror's) asks, as its shared computation is keyed: the SKU,
 * customer, location, destination and the caller's market — subscribers of two currencies never share one
 * answer.
 */
function offerQuestion(
  args: { sku: string; locationId?: string | null; postcode?: string | null; countryCode?: string | null },
  customerId: string | null,
  ctx: GraphqlContext,
) {
  return {
    sku: args.sku,
    customerId,
    locationId: args.locationId ?? null,
    postcode: args.postcode ?? null,
    countryCode: args.countryCode ?? null,
    currency: ctx.market,
  };
}

export const subscriptionResolvers = {
  /**
   * Pushes the current offer at once, then again whenever something it depends on changed (price, stock,
   * promotions, her tier, the delivery promise at a cut-off or a fulfilment setting) — and only when the
   * answer really changed. Every subscriber of the same (SKU, customer, location, postcode, country) on this
   * node shares one computation per change.
   * @throws FORBIDDEN when the caller may not act for the customer; NOT_FOUND for an unknown SKU.
   */
  offerChanged: {
    subscribe: async (_: unknown, args: OfferArgs, ctx: GraphqlContext) => {
      const hub = hubOf(ctx);
      const customerId = args.customerId ?? null;
      await requireAccess(ctx, { act: 'subscription.offer', on: { kind: 'subscription', customerId } });
      const at = offerQuestion(args, customerId, ctx);
      return hub.subscribe(
        `offer:${JSON.stringify(at)}`,
        {
          initial: true,
          relevant: concernsOffer(at),
          compute: async (minRevision) => {
            const o = await offer(
              ctx.deps,
              { ...at, ...(minRevision !== undefined ? { minRevision } : {}) },
              { readModel: ctx.readModel },
            );
            return {
              content: JSON.stringify({
                price: o.price,
                availability: o.availability,
                product: o.product,
                delivery: o.delivery,
              }),
              value: { offerChanged: offerView(o) },
              revision: o.revision,
            };
          },
        },
        ctx.signal,
      );
    },
  },
  /**
   * Pushes a member's loyalty status whenever her points or tier change (one computation per change, shared).
   */
  loyaltyChanged: {
    subscribe: async (_: unknown, args: { customerId: string }, ctx: GraphqlContext) => {
      const hub = hubOf(ctx);
      await requireAccess(ctx, {
        act: 'subscription.loyalty',
        on: { kind: 'subscription', customerId: args.customerId },
      });
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
    },
  },
  /**
   * The console's channel mirror, live: pushes the mirror at once, then whenever the SKU's offer or her
   * loyalty may have changed (the notices `offerChanged` follows) and the mirror really changed — one
   * computation per change for every subscriber of the same question and market on this node.
   * @throws FORBIDDEN for any caller but the console; as channelMirror otherwise.
   */
  channelMirrorChanged: {
    subscribe: async (_: unknown, args: MirrorArgs, ctx: GraphqlContext) => {
      const hub = hubOf(ctx);
      const customerId = args.customerId ?? null;
      await requireAccess(ctx, { act: 'mirror', on: customerNamed(customerId) });
      const at = offerQuestion(args, customerId, ctx);
      return hub.subscribe(
        `mirror:${JSON.stringify(at)}`,
        {
          initial: true,
          relevant: concernsOffer(at),
          compute: async (minRevision) => {
            const m = await channelMirror(ctx, args, minRevision);
            return { content: mirrorContent(m), value: { channelMirrorChanged: m } };
          },
        },
        ctx.signal,
      );
    },
  },
  /** Pushes an order now and whenever it moves (see subscribeOrderChanged). */
  orderChanged: { subscribe: subscribeOrderChanged },
};
