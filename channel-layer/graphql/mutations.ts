import { getReservation, releaseReservation, reserveStock, returnItems, IdempotencyKeySchema, type ReservationView } from '../../backoffice-layer/index.js';
import { enrollCustomer, linkIdentifier, placeOrder, placeStoreSale, redeemPoints, setConsent, type Quote } from '../../journey-layer/index.js';
import { DomainError, formatMoney, type ConsentPurpose, type IdentifierKind } from '../../shared/index.js';
import { mayActFor, type GraphqlContext } from './resolvers.js';
import { issueCustomerToken } from '../clients/customer-tokens.js';
import { eraseCustomer, exportCustomerData, getCustomer } from '../../journey-layer/index.js';

const money = (amount: number, currency = 'EUR') => ({ amount, currency, formatted: formatMoney({ amount, currency }) });

function key(k: string): string {
  const r = IdempotencyKeySchema.safeParse(k);
  if (!r.success) throw new DomainError('BAD_USER_INPUT', 'idempotencyKey must be 1–200 printable characters without spaces', {});
  return r.data;
}

/** A store terminal acts only at its own store. */
function ownStore(ctx: GraphqlContext, locationId: string): void {
  if (ctx.client.channel === 'STORE' && ctx.client.locationId !== locationId) throw new DomainError('FORBIDDEN', `This terminal belongs to ${ctx.client.locationId}; it cannot act at ${locationId}`, { locationId });
}


const reservation = (r: ReservationView) => r;

function order(orderId: string, q: Quote, revision: number) {
  const c = q.currency;
  return {
    id: orderId,
    lines: q.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, base: money(l.base, c), final: money(l.final, c), savings: money(l.savings, c), vat: money(l.vat, c), adjustments: l.adjustments.map((a) => ({ ...a, amount: money(a.amount, c) })) })),
    total: money(q.total, c), pointsEarned: q.loyalty?.pointsEarned ?? 0, revision,
  };
}

export const mutationResolvers = {
  reserveStock: async (_: unknown, a: { input: { lines: Array<{ sku: string; quantity: number; locationId: string }>; ttlSeconds?: number | null }; idempotencyKey: string }, ctx: GraphqlContext) => {
    for (const l of a.input.lines) ownStore(ctx, l.locationId);
    if (a.input.lines.length === 0 || a.input.lines.length > 500) throw new DomainError('BAD_USER_INPUT', 'A reservation has 1–500 lines', {});
    for (const l of a.input.lines) if (!Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > 10_000) throw new DomainError('BAD_USER_INPUT', 'quantity must be 1–10,000', { sku: l.sku });
    const ttl = a.input.ttlSeconds ?? undefined;
    if (ttl !== undefined && (ttl < 1 || ttl > 86_400)) throw new DomainError('BAD_USER_INPUT', 'ttlSeconds must be 1–86,400', {});
    const r = await reserveStock(ctx.deps, { lines: a.input.lines, ...(ttl !== undefined ? { ttlSeconds: ttl } : {}), channel: ctx.client.channel }, `${ctx.client.id}:${key(a.idempotencyKey)}`);
    return reservation(r.reservation);
  },
  releaseReservation: async (_: unknown, a: { id: string }, ctx: GraphqlContext) => {
    const existing = await getReservation(ctx.deps.db, a.id);
    if (!existing) throw new DomainError('NOT_FOUND', `No reservation ${a.id}`, { reservationId: a.id });
    for (const l of existing.lines) ownStore(ctx, l.locationId);
    return reservation((await releaseReservation(ctx.deps, a.id)).reservation);
  },
  placeOrder: async (_: unknown, a: { input: { reservationId?: string | null; lines: Array<{ sku: string; quantity: number }>; customerId?: string | null; couponCodes?: string[] | null; locationId?: string | null }; idempotencyKey: string }, ctx: GraphqlContext) => {
    await mayActFor(ctx, a.input.customerId, 'order.for-customer');
    const k = `${ctx.client.id}:${key(a.idempotencyKey)}`;
    let reservationId = a.input.reservationId ?? null;
    if (!reservationId) {
      if (!a.input.locationId) throw new DomainError('BAD_USER_INPUT', 'Give a reservationId, or a locationId to reserve the lines at', {});
      ownStore(ctx, a.input.locationId);
      reservationId = (await reserveStock(ctx.deps, { lines: a.input.lines.map((l) => ({ ...l, locationId: a.input.locationId! })), channel: ctx.client.channel }, `${k}:reserve`)).reservation.id;
    }
    const o = await placeOrder(ctx.deps, { reservationId, customerId: a.input.customerId ?? null, ...(a.input.couponCodes ? { couponCodes: a.input.couponCodes } : {}) }, k);
    return order(o.orderId, o.quote, o.revision);
  },
  issueCustomerToken: async (_: unknown, a: { customerId: string }, ctx: GraphqlContext) => {
    if (ctx.client.channel !== 'WEB' && ctx.client.channel !== 'APP') throw new DomainError('FORBIDDEN', 'Customer tokens are for web and app clients whose app signed the customer in', {});
    const customer = await getCustomer(ctx.deps.db, a.customerId);
    if (!customer) throw new DomainError('NOT_FOUND', `No customer ${a.customerId}`, {});
    return issueCustomerToken(ctx.deps.db, customer.id, ctx.client.id, ctx.deps.clock.now());
  },
  exportCustomerData: async (_: unknown, a: { customerId: string }, ctx: GraphqlContext) => {
    if (ctx.client.channel === 'STORE') throw new DomainError('FORBIDDEN', 'Data exports are for the customer herself, the call center or the console', {});
    await mayActFor(ctx, a.customerId, 'customer.export');
    return JSON.stringify(await exportCustomerData(ctx.deps, a.customerId, `client:${ctx.client.id}`));
  },
  eraseCustomer: async (_: unknown, a: { customerId: string }, ctx: GraphqlContext) => {
    if (ctx.client.channel === 'STORE') throw new DomainError('FORBIDDEN', 'Erasure is for the customer herself, the call center or the console', {});
    await mayActFor(ctx, a.customerId, 'customer.erase-request');
    const r = await eraseCustomer(ctx.deps, a.customerId, `client:${ctx.client.id}`);
    return { erasureId: r.erasureId, erasedAt: r.erasedAt, revision: r.revision };
  },
  recordStoreSale: async (_: unknown, a: { input: { lines: Array<{ sku: string; quantity: number }>; customerId?: string | null; couponCodes?: string[] | null }; idempotencyKey: string }, ctx: GraphqlContext) => {
    if (ctx.client.channel !== 'STORE' || !ctx.client.locationId) throw new DomainError('FORBIDDEN', 'Only a store terminal records store sales', {});
    await mayActFor(ctx, a.input.customerId, 'sale.for-customer');
    const o = await placeStoreSale(ctx.deps, { locationId: ctx.client.locationId, lines: a.input.lines, customerId: a.input.customerId ?? null, ...(a.input.couponCodes ? { couponCodes: a.input.couponCodes } : {}) }, `${ctx.client.id}:${key(a.idempotencyKey)}`);
    return order(o.orderId, o.quote, o.revision);
  },
  returnItems: async (_: unknown, a: { input: { orderId: string; locationId?: string | null; lines: Array<{ sku: string; quantity: number; sellable: boolean }> }; idempotencyKey: string }, ctx: GraphqlContext) => {
    const locationId = a.input.locationId ?? ctx.client.locationId;
    if (!locationId) throw new DomainError('BAD_USER_INPUT', 'Give the locationId the items are returned to', {});
    ownStore(ctx, locationId);
    if (!/^[0-9a-f-]{36}$/i.test(a.input.orderId)) throw new DomainError('NOT_FOUND', `No order ${a.input.orderId}`, {});
    const r = await returnItems(ctx.deps, { orderId: a.input.orderId, locationId, lines: a.input.lines }, `${ctx.client.id}:${key(a.idempotencyKey)}`);
    return { id: r.returnId, refund: money(r.refundAmount), revision: r.revision };
  },
  enrollCustomer: async (_: unknown, a: { input: { displayName?: string | null; email?: string | null; phone?: string | null; loyaltyCard?: string | null; consents?: ConsentPurpose[] | null }; idempotencyKey: string }, ctx: GraphqlContext) => {
    const input = Object.fromEntries(Object.entries(a.input).filter(([, v]) => v !== null && v !== undefined));
    return (await enrollCustomer(ctx.deps, input, { channel: ctx.client.channel, idempotencyKey: `${ctx.client.id}:${key(a.idempotencyKey)}` })).customer;
  },
  linkIdentifier: async (_: unknown, a: { customerId: string; kind: IdentifierKind; value: string }, ctx: GraphqlContext) => {
    await mayActFor(ctx, a.customerId, 'customer.link-identifier');
    return (await linkIdentifier(ctx.deps, a.customerId, a.kind, a.value, ctx.client.channel)).customer;
  },
  redeemPoints: async (_: unknown, a: { customerId: string; points: number; idempotencyKey: string }, ctx: GraphqlContext) => {
    await mayActFor(ctx, a.customerId, 'loyalty.redeem');
    return (await redeemPoints(ctx.deps, a.customerId, a.points, `${ctx.client.id}:${key(a.idempotencyKey)}`)).status;
  },
  setConsent: async (_: unknown, a: { customerId: string; purpose: ConsentPurpose; granted: boolean }, ctx: GraphqlContext) => {
    await mayActFor(ctx, a.customerId, 'customer.consent');
    return (await setConsent(ctx.deps, a.customerId, a.purpose, a.granted, ctx.client.channel)).customer;
  },
};

