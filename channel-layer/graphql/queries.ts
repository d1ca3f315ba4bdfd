import {
  listLocations,
  listProducts,
  getProduct,
  type FulfilmentInput,
} from '../../backoffice-layer/index.js';
import { findCustomerByIdentifier, getCustomer, offers, quote } from '../../journey-layer/index.js';
import { currentRevision, DomainError } from '../../shared/index.js';
import type { IdentifierKind } from '../../journey-layer/index.js';
import { customerNamed, requireAccess } from '../access/require-access.js';
import type { CartInput, GraphqlContext } from './context.js';
import { channelMirror, type MirrorArgs } from './mirror.js';
import { customerOrders, orderQuery } from './orders.js';
import { loyaltyAnswer, offerAnswer, type OfferArgs } from './answers.js';
import { offerView, productView, quoteView } from './views.js';

/** The channel API's `Query` resolvers. Each asks the access policy (require-access.ts) before it reads. */
export const queryResolvers = {
  offer: async (_: unknown, a: OfferArgs, ctx: GraphqlContext) => {
    await requireAccess(ctx, { act: 'offer.for-customer', on: customerNamed(a.customerId) });
    return offerAnswer(ctx, a);
  },
  channelMirror: async (_: unknown, a: MirrorArgs, ctx: GraphqlContext) => {
    await requireAccess(ctx, { act: 'mirror', on: customerNamed(a.customerId) });
    return channelMirror(ctx, a);
  },
  offers: async (_: unknown, a: Omit<OfferArgs, 'sku'> & { skus: string[] }, ctx: GraphqlContext) => {
    if (a.skus.length > 100)
      throw new DomainError('BAD_USER_INPUT', 'At most 100 SKUs per offers query', { max: 100 });
    await requireAccess(ctx, { act: 'offers.for-customer', on: customerNamed(a.customerId) });
    const market = { ...a, currency: ctx.market };
    const answered = await offers(ctx.deps, market, { readModel: ctx.readModel });
    for (const o of answered) ctx.sources?.revisions.add(o.revision);
    if (a.customerId) ctx.sources?.customers.add(a.customerId);
    return answered.map(offerView);
  },
  product: async (_: unknown, a: { sku: string }, ctx: GraphqlContext) => {
    const p = await getProduct(ctx.deps.db, a.sku);
    return p ? productView(p) : null;
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
      edges: page.products.map((p) => ({ node: productView(p), cursor: p.sku })),
      pageInfo: { hasNextPage: page.next !== null, endCursor: page.products.at(-1)?.sku ?? null },
    };
  },
  quote: async (
    _: unknown,
    a: {
      input: CartInput & { minRevision?: number | null; fulfilment?: FulfilmentInput | null };
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
        ...(a.input.fulfilment ? { fulfilment: a.input.fulfilment } : {}),
        currency: ctx.market,
      },
      { readModel: ctx.readModel },
    );
    return quoteView(q);
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
    // First whether this caller may look anyone up, then whether it may see the one found.
    await requireAccess(ctx, { act: 'customer.lookup', on: customerNamed(null) });
    const id = await findCustomerByIdentifier(ctx.deps.db, a.kind, a.value);
    if (!id) return null;
    await requireAccess(ctx, { act: 'customer.lookup', on: customerNamed(id) });
    return getCustomer(ctx.deps.db, id);
  },
  order: orderQuery,
  locations: async (_: unknown, _a: unknown, ctx: GraphqlContext) => listLocations(ctx.deps.db),
  revision: async (_: unknown, _a: unknown, ctx: GraphqlContext) =>
    ctx.readModel.watermark() ?? currentRevision(ctx.deps.db),
};

/** The `Customer` type's computed fields: her loyalty status now, her orders. */
export const customerResolvers = {
  loyalty: async (c: { id: string }, _a: unknown, ctx: GraphqlContext) => loyaltyAnswer(ctx, c.id),
  orders: customerOrders,
};
