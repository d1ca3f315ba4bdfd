import { GraphQLScalarType, Kind } from 'graphql';
import {
  listLocations,
  listProducts,
  getProduct,
  type ReadModel,
  type BackofficeDeps,
} from '../../backoffice-layer/index.js';
import {
  findCustomerByIdentifier,
  getCustomer,
  getLoyaltyStatus,
  offer,
  offers,
  quote,
  type Adjustment,
  type Offer,
} from '../../journey-layer/index.js';
import { currentRevision, DomainError, formatMoney } from '../../shared/index.js';
import type { IdentifierKind } from '../../journey-layer/index.js';
import { customerNamed, requireAccess } from '../access/require-access.js';
import type { ChannelClient } from '../clients/clients.js';
import { mutationResolvers } from './mutations.js';
import { loyaltyChanged, offerChanged, type SnapshotHub } from './subscriptions.js';

export interface GraphqlContext {
  deps: BackofficeDeps;
  readModel: ReadModel;
  client: ChannelClient;
  /** The customer a web or app client acts for (from X-Customer-Token), if any. */
  customerId: string | null;
  /** This node's shared subscription snapshots (WebSocket operations only). */
  snapshots?: SnapshotHub;
  /** Aborts when the caller's connection may no longer receive anything (its key was revoked): subscriptions end with its reason. */
  signal?: AbortSignal;
}

const money = (amount: number, currency = 'EUR') => ({
  amount,
  currency,
  formatted: formatMoney({ amount, currency }),
});
const adjustment = (a: Adjustment, currency: string) => ({ ...a, amount: money(a.amount, currency) });

function parseRevision(value: unknown): number {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string' || !/^\d{1,15}$/.test(s))
    throw new DomainError('BAD_USER_INPUT', 'A revision is a decimal string of digits', {});
  return Number(s);
}

const Revision = new GraphQLScalarType({
  name: 'Revision',
  description: 'Decimal string of a 64-bit revision.',
  serialize: (v) => String(v),
  parseValue: parseRevision,
  parseLiteral: (ast) =>
    ast.kind === Kind.STRING || ast.kind === Kind.INT
      ? parseRevision(ast.value)
      : (() => {
          throw new DomainError('BAD_USER_INPUT', 'A revision is a decimal string', {});
        })(),
});
const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  description: 'ISO 8601, UTC.',
  serialize: (v) => (v instanceof Date ? v.toISOString() : String(v)),
});

/**
 * Who may act for a customer, as the access policy's customer rule says (channel-layer/access/policy.ts): with no
 * customer named, anyone; a web or app client only for the customer of its customer token; staff channels for
 * anyone, and every such read or act is audit-logged with `why` as its action. `subscription.offer` and
 * `subscription.loyalty` are asked as the policy's subscription acts.
 * @throws DomainError FORBIDDEN (nothing written).
 */
export async function mayActFor(
  ctx: GraphqlContext,
  customerId: string | null | undefined,
  why: string,
): Promise<void> {
  if (why === 'subscription.offer' || why === 'subscription.loyalty')
    await requireAccess(ctx, { act: why, on: { kind: 'subscription', customerId: customerId ?? null } });
  else await requireAccess(ctx, { act: 'customer.act', on: customerNamed(customerId), auditAs: why });
}

export function offerView(o: Offer) {
  const locations = new Map(o.locationDetails.map((l) => [l.id, l]));
  const level = (l: { locationId: string | null; available: number; status: string }) => ({
    location: l.locationId ? (locations.get(l.locationId) ?? null) : null,
    available: l.available,
    status: l.status,
  });
  return {
    sku: o.sku,
    product: {
      ...o.product,
      attributes: Object.entries(o.product.attributes)
        .sort()
        .map(([name, value]) => ({ name, value })),
      status: 'ACTIVE',
    },
    price: {
      base: money(o.price.base, o.price.currency),
      final: money(o.price.final, o.price.currency),
      savings: money(o.price.savings, o.price.currency),
      adjustments: o.price.adjustments.map((a) => adjustment(a, o.price.currency)),
    },
    availability: {
      online: level(o.availability.online),
      atLocation: o.availability.atLocation ? level(o.availability.atLocation) : null,
      locations: o.availability.locations.map(level),
    },
    revision: o.revision,
    fingerprint: o.fingerprint,
  };
}

export const resolvers = {
  Revision,
  DateTime,
  Query: {
    offer: async (
      _: unknown,
      a: { sku: string; customerId?: string | null; locationId?: string | null; minRevision?: number },
      ctx: GraphqlContext,
    ) => {
      await requireAccess(ctx, { act: 'offer.for-customer', on: customerNamed(a.customerId) });
      return offerView(await offer(ctx.deps, a, { readModel: ctx.readModel }));
    },
    offers: async (
      _: unknown,
      a: { skus: string[]; customerId?: string | null; locationId?: string | null; minRevision?: number },
      ctx: GraphqlContext,
    ) => {
      if (a.skus.length > 100)
        throw new DomainError('BAD_USER_INPUT', 'At most 100 SKUs per offers query', { max: 100 });
      await requireAccess(ctx, { act: 'offers.for-customer', on: customerNamed(a.customerId) });
      return (await offers(ctx.deps, a, { readModel: ctx.readModel })).map(offerView);
    },
    product: async (_: unknown, a: { sku: string }, ctx: GraphqlContext) => {
      const p = await getProduct(ctx.deps.db, a.sku);
      return p
        ? {
            ...p,
            attributes: Object.entries(p.attributes)
              .sort()
              .map(([name, value]) => ({ name, value })),
          }
        : null;
    },
    products: async (
      _: unknown,
      a: { first: number; after?: string | null; search?: string | null },
      ctx: GraphqlContext,
    ) => {
      if (a.first < 1 || a.first > 100) throw new DomainError('BAD_USER_INPUT', 'first must be 1–100', {});
      const page = await listProducts(ctx.deps.db, {
        limit: a.first,
        ...(a.after ? { after: a.after } : {}),
        ...(a.search ? { search: a.search } : {}),
      });
      return {
        edges: page.products.map((p) => ({
          node: {
            ...p,
            attributes: Object.entries(p.attributes)
              .sort()
              .map(([name, value]) => ({ name, value })),
          },
          cursor: p.sku,
        })),
        pageInfo: { hasNextPage: page.next !== null, endCursor: page.products.at(-1)?.sku ?? null },
      };
    },
    quote: async (
      _: unknown,
      a: {
        input: {
          lines: Array<{ sku: string; quantity: number }>;
          customerId?: string | null;
          couponCodes?: string[] | null;
          minRevision?: number | null;
        };
      },
      ctx: GraphqlContext,
    ) => {
      await requireAccess(ctx, { act: 'quote.for-customer', on: customerNamed(a.input.customerId) });
      const q = await quote(
        ctx.deps,
        {
          lines: a.input.lines,
          customerId: a.input.customerId ?? null,
          ...(a.input.couponCodes ? { couponCodes: a.input.couponCodes } : {}),
          ...(a.input.minRevision != null ? { minRevision: a.input.minRevision } : {}),
        },
        { readModel: ctx.readModel },
      );
      const c = q.currency;
      return {
        lines: q.lines.map((l) => ({
          sku: l.sku,
          quantity: l.quantity,
          base: money(l.base, c),
          final: money(l.final, c),
          savings: money(l.savings, c),
          vat: money(l.vat, c),
          adjustments: l.adjustments.map((x) => adjustment(x, c)),
        })),
        subtotal: money(q.subtotal, c),
        discountTotal: money(q.discountTotal, c),
        total: money(q.total, c),
        vatTotal: money(q.vatTotal, c),
        loyalty: q.loyalty,
        rejectedCoupons: q.rejectedCoupons,
        revision: q.revision,
        fingerprint: q.fingerprint,
      };
    },
    customer: async (_: unknown, a: { id: string }, ctx: GraphqlContext) => {
      await requireAccess(ctx, { act: 'customer.read', on: customerNamed(a.id) });
      return getCustomer(ctx.deps.db, a.id);
    },
    customerByIdentifier: async (
      _: unknown,
      a: { kind: IdentifierKind; value: string },
      ctx: GraphqlContext,
    ) => {
      await requireAccess(ctx, { act: 'customer.lookup', on: customerNamed(null) }); // may this caller look anyone up?
      const id = await findCustomerByIdentifier(ctx.deps.db, a.kind, a.value);
      if (!id) return null;
      await requireAccess(ctx, { act: 'customer.lookup', on: customerNamed(id) });
      return getCustomer(ctx.deps.db, id);
    },
    locations: async (_: unknown, _a: unknown, ctx: GraphqlContext) => listLocations(ctx.deps.db),
    revision: async (_: unknown, _a: unknown, ctx: GraphqlContext) =>
      ctx.readModel.watermark() ?? currentRevision(ctx.deps.db),
  },
  Mutation: mutationResolvers,
  Subscription: {
    offerChanged: {
      subscribe: async (
        _: unknown,
        a: { sku: string; customerId?: string | null; locationId?: string | null },
        ctx: GraphqlContext,
      ) => {
        if (!ctx.snapshots)
          throw new DomainError('BAD_USER_INPUT', 'Subscriptions are served over WebSocket at /graphql', {});
        return offerChanged(ctx.snapshots, offerView, a, ctx);
      },
    },
    loyaltyChanged: {
      subscribe: async (_: unknown, a: { customerId: string }, ctx: GraphqlContext) => {
        if (!ctx.snapshots)
          throw new DomainError('BAD_USER_INPUT', 'Subscriptions are served over WebSocket at /graphql', {});
        return loyaltyChanged(ctx.snapshots, a, ctx);
      },
    },
  },
  Customer: {
    loyalty: async (c: { id: string }, _a: unknown, ctx: GraphqlContext) =>
      getLoyaltyStatus(ctx.deps.db, c.id, ctx.deps.clock.now()),
  },
};
