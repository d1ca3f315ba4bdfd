import { z } from 'zod';
import {
  releaseReservation,
  reserveStock,
  returnItems,
  ReserveBodySchema,
  ReturnSchema,
} from '../../backoffice-layer/index.js';
import {
  enrollCustomer,
  eraseCustomer,
  exportCustomerData,
  getCustomer,
  linkIdentifier,
  placeOrder,
  placeStoreSale,
  PlaceOrderInputSchema,
  redeemPoints,
  setConsent,
  StoreSaleOrderInputSchema,
} from '../../journey-layer/index.js';
import { DomainError, isUuid, parseInput } from '../../shared/index.js';
import type { ConsentPurpose, IdentifierKind } from '../../journey-layer/index.js';
import { checkAccess, customerNamed, withAccess } from '../access/require-access.js';
import { scopeLimit } from '../clients/clients.js';
import { issueCustomerToken } from '../clients/customer-tokens.js';
import type { CartInput, GraphqlContext } from './context.js';
import { actOn, journeyActor } from './journey.js';
import { checkedKey as key, clientKey } from './keys.js';
import { orderView, returnView } from './views.js';
import { cancelOrderMutation, markCollectedMutation } from './orders.js';

/**
 * A mutation's input, checked by the zod schema of the domain function it goes to before anything runs (the
 * same schema the admin API and the domain use: one definition of valid input). Anything else is
 * BAD_USER_INPUT naming each bad field, never a database check or an INTERNAL error.
 */
function valid<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  return parseInput(schema, value, 'input');
}

/**
 * Drops the fields a client sent as null (GraphQL's "not given"), so optional zod fields read them as absent.
 */
function given<T extends object>(input: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], null>;
  };
}

/**
 * Units one channel client may hold in active reservations at once, unless its scopes say otherwise
 * (`held-units:<n>`).
 */
export const DEFAULT_HELD_UNITS = 5_000;

/**
 * The channel API's `Mutation` resolvers: each checks its input with the domain's schema, asks the access
 * policy before it writes and writes through `withAccess` (require-access.ts: a staff act's data-use entry
 * only once the write succeeded), and scopes idempotency keys to the calling client.
 */
export const mutationResolvers = {
  reserveStock: async (
    _: unknown,
    a: {
      input: {
        lines: Array<{ sku: string; quantity: number; locationId: string }>;
        ttlSeconds?: number | null;
        customerId?: string | null;
      };
      idempotencyKey: string;
    },
    ctx: GraphqlContext,
  ) => {
    const input = valid(ReserveBodySchema, given(a.input));
    const on = {
      kind: 'reservation' as const,
      clientId: ctx.client.id,
      customerId: input.customerId ?? null,
      locationIds: input.lines.map((l) => l.locationId),
    };
    return withAccess(ctx, [{ act: 'reservation.for-customer', on }], async () => {
      if (input.customerId && !(await getCustomer(ctx.deps.db, input.customerId)))
        throw new DomainError('NOT_FOUND', `No customer ${input.customerId}`, {
          customerId: input.customerId,
        });
      // A client holds at most so many units at once (a leaked or buggy client cannot hold a shop's whole
      // stock): RATE_LIMITED past it, checked where concurrent reservations cannot slip past each other.
      const r = await reserveStock(
        ctx.deps,
        { ...input, channel: ctx.client.channel, clientId: ctx.client.id },
        clientKey(ctx, key(a.idempotencyKey)),
        { maxHeldUnits: scopeLimit(ctx.client, 'held-units', DEFAULT_HELD_UNITS) },
      );
      return r.reservation;
    });
  },
  releaseReservation: async (_: unknown, a: { id: string }, ctx: GraphqlContext) => {
    return withAccess(
      ctx,
      [{ act: 'reservation.release', on: { kind: 'reservation', reservationId: a.id } }],
      async () => (await releaseReservation(ctx.deps, a.id)).reservation,
    );
  },
  placeOrder: async (
    _: unknown,
    a: {
      input: CartInput & {
        reservationId?: string | null;
        locationId?: string | null;
        fulfilment?: { method: string; pickupLocationId?: string | null } | null;
      };
      idempotencyKey: string;
    },
    ctx: GraphqlContext,
  ) => {
    const input = valid(PlaceOrderInputSchema, { ...given(a.input), currency: ctx.market });
    return withAccess(
      ctx,
      [
        {
          act: 'order.for-customer',
          on: { kind: 'order', customerId: input.customerId ?? null, locationId: input.locationId ?? null },
        },
        ...(input.reservationId
          ? [
              {
                act: 'reservation.order' as const,
                on: { kind: 'reservation' as const, reservationId: input.reservationId },
              },
            ]
          : []),
      ],
      async () =>
        orderView(
          await placeOrder(ctx.deps, input, clientKey(ctx, key(a.idempotencyKey)), {
            channel: ctx.client.channel,
            clientId: ctx.client.id,
          }),
        ),
    );
  },
  cancelOrder: async (
    _: unknown,
    a: { id: string; reason?: string | null; idempotencyKey: string },
    ctx: GraphqlContext,
  ) => cancelOrderMutation(_, a, ctx, key),
  markCollected: async (_: unknown, a: { orderId: string; idempotencyKey: string }, ctx: GraphqlContext) =>
    markCollectedMutation(_, a, ctx, key),
  issueCustomerToken: async (_: unknown, a: { customerId: string }, ctx: GraphqlContext) => {
    return actOn(ctx, 'customer.token', a.customerId, async () => {
      const customer = await getCustomer(ctx.deps.db, a.customerId);
      if (!customer) throw new DomainError('NOT_FOUND', `No customer ${a.customerId}`, {});
      return issueCustomerToken(ctx.deps.db, customer.id, ctx.client.id, ctx.deps.clock.now());
    });
  },
  exportCustomerData: async (_: unknown, a: { customerId: string }, ctx: GraphqlContext) => {
    return actOn(ctx, 'customer.export', a.customerId, async () =>
      JSON.stringify(await exportCustomerData(ctx.deps, a.customerId, journeyActor(ctx))),
    );
  },
  eraseCustomer: async (_: unknown, a: { customerId: string }, ctx: GraphqlContext) => {
    return actOn(ctx, 'customer.erase-request', a.customerId, async () => {
      const r = await eraseCustomer(ctx.deps, a.customerId, journeyActor(ctx));
      return { erasureId: r.erasureId, erasedAt: r.erasedAt, revision: r.revision };
    });
  },
  recordStoreSale: async (
    _: unknown,
    a: {
      input: CartInput;
      idempotencyKey: string;
    },
    ctx: GraphqlContext,
  ) => {
    // First whether this caller records sales at all (a store terminal, at its store), then for whom.
    await checkAccess(ctx, {
      act: 'sale.for-customer',
      on: { kind: 'order', customerId: null, locationId: ctx.client.locationId },
    });
    const input = valid(StoreSaleOrderInputSchema, {
      ...given(a.input),
      locationId: ctx.client.locationId,
      currency: ctx.market,
    });
    return withAccess(
      ctx,
      [
        {
          act: 'sale.for-customer',
          on: { kind: 'order', customerId: input.customerId ?? null, locationId: input.locationId },
        },
      ],
      async () => orderView(await placeStoreSale(ctx.deps, input, clientKey(ctx, key(a.idempotencyKey)))),
    );
  },
  returnItems: async (
    _: unknown,
    a: {
      input: {
        orderId: string;
        locationId?: string | null;
        lines: Array<{ sku: string; quantity: number; sellable: boolean }>;
      };
      idempotencyKey: string;
    },
    ctx: GraphqlContext,
  ) => {
    if (!isUuid(a.input.orderId)) throw new DomainError('NOT_FOUND', `No order ${a.input.orderId}`, {});
    const locationId = a.input.locationId ?? ctx.client.locationId;
    if (!locationId)
      throw new DomainError('BAD_USER_INPUT', 'Give the locationId the items are returned to', {});
    const input = valid(ReturnSchema, { ...a.input, locationId });
    const on = { kind: 'return' as const, orderId: input.orderId, locationId: input.locationId };
    return withAccess(ctx, [{ act: 'order.return', on }], async () => {
      const r = await returnItems(ctx.deps, input, clientKey(ctx, key(a.idempotencyKey)));
      // A refund is in the order's own currency; a return answered before orders carried theirs (an
      // idempotent replay of an older one) is in the hub's default.
      return returnView(r, r.currency ?? ctx.deps.config.defaultCurrency);
    });
  },
  enrollCustomer: async (
    _: unknown,
    a: {
      input: {
        displayName?: string | null;
        email?: string | null;
        phone?: string | null;
        loyaltyCard?: string | null;
        consents?: ConsentPurpose[] | null;
      };
      idempotencyKey: string;
    },
    ctx: GraphqlContext,
  ) => {
    return withAccess(
      ctx,
      [{ act: 'customer.enroll', on: customerNamed(null) }],
      async () =>
        (
          await enrollCustomer(ctx.deps, given(a.input), {
            channel: ctx.client.channel,
            idempotencyKey: clientKey(ctx, key(a.idempotencyKey)),
          })
        ).customer,
    );
  },
  linkIdentifier: async (
    _: unknown,
    a: { customerId: string; kind: IdentifierKind; value: string },
    ctx: GraphqlContext,
  ) => {
    const { customerId, ...link } = a;
    const by = { ...link, channel: ctx.client.channel };
    return actOn(
      ctx,
      'customer.link-identifier',
      customerId,
      async () => (await linkIdentifier(ctx.deps, customerId, by, journeyActor(ctx))).customer,
    );
  },
  redeemPoints: async (
    _: unknown,
    a: { customerId: string; points: number; idempotencyKey: string },
    ctx: GraphqlContext,
  ) => {
    return actOn(
      ctx,
      'loyalty.redeem',
      a.customerId,
      async () =>
        (await redeemPoints(ctx.deps, a.customerId, a.points, clientKey(ctx, key(a.idempotencyKey)))).status,
    );
  },
  setConsent: async (
    _: unknown,
    a: {
      customerId: string;
      purpose: ConsentPurpose;
      granted: boolean;
      source?: string | null;
      expiresAt?: string | null;
    },
    ctx: GraphqlContext,
  ) => {
    const { customerId, ...decision } = a;
    const by = { ...decision, channel: ctx.client.channel };
    return actOn(
      ctx,
      'customer.consent',
      customerId,
      async () => (await setConsent(ctx.deps, customerId, by, journeyActor(ctx))).customer,
    );
  },
};
