import type { z } from 'zod';
import { getReservation, parseInput, releaseReservation, reserveStock, returnItems, IdempotencyKeySchema, ReserveBodySchema, ReturnSchema, type ReservationView } from '../../backoffice-layer/index.js';
import { enrollCustomer, linkIdentifier, placeOrder, placeStoreSale, PlaceOrderInputSchema, redeemPoints, setConsent, StoreSaleOrderInputSchema, type Quote } from '../../journey-layer/index.js';
import { DomainError, formatMoney, type ConsentPurpose, type IdentifierKind } from '../../shared/index.js';
import { mayActFor, type GraphqlContext } from './resolvers.js';
import { issueCustomerToken } from '../clients/customer-tokens.js';
import { eraseCustomer, exportCustomerData, getCustomer } from '../../journey-layer/index.js';

const money = (amount: number, currency = 'EUR') => ({ amount, currency, formatted: formatMoney({ amount, currency }) });

/**
 * A mutation's input, checked by the zod schema of the domain function it goes to before anything runs (the same
 * schema the admin API and the domain use: one definition of valid input). Anything else is BAD_USER_INPUT naming
 * each bad field, never a database check or an INTERNAL error.
 */
function valid<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  return parseInput(schema, value, 'input');
}

/** Drops the fields a client sent as null (GraphQL's "not given"), so optional zod fields read them as absent. */
function given<T extends object>(input: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined)) as { [K in keyof T]?: Exclude<T[K], null> };
}

function key(k: string): string {
  return valid(IdempotencyKeySchema, k);
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
    const input = valid(ReserveBodySchema, given(a.input));
    for (const l of input.lines) ownStore(ctx, l.locationId);
    const r = await reserveStock(ctx.deps, { ...input, channel: ctx.client.channel }, `${ctx.client.id}:${key(a.idempotencyKey)}`);
    return reservation(r.reservation);
  },
  releaseReservation: async (_: unknown, a: { id: string }, ctx: GraphqlContext) => {
    const existing = await getReservation(ctx.deps.db, a.id);
    if (!existing) throw new DomainError('NOT_FOUND', `No reservation ${a.id}`, { reservationId: a.id });
    for (const l of existing.lines) ownStore(ctx, l.locationId);
    return reservation((await releaseReservation(ctx.deps, a.id)).reservation);
  },
  placeOrder: async (_: unknown, a: { input: { reservationId?: string | null; lines: Array<{ sku: string; quantity: number }>; customerId?: string | null; couponCodes?: string[] | null; locationId?: string | null }; idempotencyKey: string }, ctx: GraphqlContext) => {
    const input = valid(PlaceOrderInputSchema, given(a.input));
    await mayActFor(ctx, input.customerId, 'order.for-customer');
    if (input.locationId) ownStore(ctx, input.locationId);
    if (input.reservationId && ctx.client.channel === 'STORE') for (const l of (await getReservation(ctx.deps.db, input.reservationId))?.lines ?? []) ownStore(ctx, l.locationId);
    const o = await placeOrder(ctx.deps, input, `${ctx.client.id}:${key(a.idempotencyKey)}`, { channel: ctx.client.channel });
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
    const input = valid(StoreSaleOrderInputSchema, { ...given(a.input), locationId: ctx.client.locationId });
    await mayActFor(ctx, input.customerId, 'sale.for-customer');
    const o = await placeStoreSale(ctx.deps, input, `${ctx.client.id}:${key(a.idempotencyKey)}`);
    return order(o.orderId, o.quote, o.revision);
  },
  returnItems: async (_: unknown, a: { input: { orderId: string; locationId?: string | null; lines: Array<{ sku: string; quantity: number; sellable: boolean }> }; idempotencyKey: string }, ctx: GraphqlContext) => {
    if (!/^[0-9a-f-]{36}$/i.test(a.input.orderId)) throw new DomainError('NOT_FOUND', `No order ${a.input.orderId}`, {});
    const locationId = a.input.locationId ?? ctx.client.locationId;
    if (!locationId) throw new DomainError('BAD_USER_INPUT', 'Give the locationId the items are returned to', {});
    const input = valid(ReturnSchema, { ...a.input, locationId });
    ownStore(ctx, input.locationId);
    const r = await returnItems(ctx.deps, input, `${ctx.client.id}:${key(a.idempotencyKey)}`);
    return { id: r.returnId, refund: money(r.refundAmount), revision: r.revision };
  },
  enrollCustomer: async (_: unknown, a: { input: { displayName?: string | null; email?: string | null; phone?: string | null; loyaltyCard?: string | null; consents?: ConsentPurpose[] | null }; idempotencyKey: string }, ctx: GraphqlContext) => {
    return (await enrollCustomer(ctx.deps, given(a.input), { channel: ctx.client.channel, idempotencyKey: `${ctx.client.id}:${key(a.idempotencyKey)}` })).customer;
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

