import { z } from 'zod';
import {
  commitReservation,
  getReservation,
  parseInput,
  recordStoreSale,
  releaseReservation,
  reserveStock,
  ReserveBodySchema,
  type ReserveBody,
} from '../../backoffice-layer/index.js';
import { DomainError, prorate } from '../../shared/index.js';
import type { WriteContext } from '../tables.js';
import { lockLiveCustomer } from '../customers/customers.js';
import type { JourneyDeps } from '../journey-deps.js';
import type { PricedCart } from '../promotions/engine.js';
import { COUPON_USED_BY_CUSTOMER, COUPON_USED_UP, lockBudgets, redeemAtCommit } from '../promotions/store.js';
import { QuoteInputSchema, repricableQuote, type Quote, type RepricableQuote } from '../pricing/quote.js';

const LocationIdSchema = ReserveBodySchema.shape.lines.element.shape.locationId;
const CouponCodesSchema = QuoteInputSchema.shape.couponCodes.unwrap().nullish();

/**
 * An online order: the lines the customer buys, and either the reservation that holds them or the location to
 * reserve them at. Every field is honoured or the order is refused: lines that differ from the reservation's, a
 * location other than the reservation's, a coupon that cannot be used — all BAD_USER_INPUT (a coupon used up by
 * others meanwhile: CONFLICT).
 */
export const PlaceOrderInputSchema = z
  .strictObject({
    reservationId: z.uuid().nullish(),
    lines: QuoteInputSchema.shape.lines,
    customerId: QuoteInputSchema.shape.customerId,
    couponCodes: CouponCodesSchema,
    locationId: LocationIdSchema.nullish(),
  })
  .refine((i) => i.reservationId || i.locationId, {
    message: 'give a reservationId, or a locationId to reserve the lines at',
    path: ['reservationId'],
  });
export type PlaceOrderInput = z.input<typeof PlaceOrderInputSchema>;

/** A sale at a till: the store, the lines, the customer if she is known, her coupon codes. */
export const StoreSaleOrderInputSchema = z.strictObject({
  locationId: LocationIdSchema,
  lines: QuoteInputSchema.shape.lines,
  customerId: QuoteInputSchema.shape.customerId,
  couponCodes: CouponCodesSchema,
});
export type StoreSaleOrderInput = z.input<typeof StoreSaleOrderInputSchema>;

/** What placing an order or a store sale answers: the order, the quote it was priced by, its revision. */
export interface PlacedOrder {
  orderId: string;
  quote: Quote;
  revision: number;
  replayed: boolean;
}

/** Units per SKU, whatever the order or repetition of the lines. */
function unitsBySku(lines: ReadonlyArray<{ sku: string; quantity: number }>): Map<string, number> {
  const by = new Map<string, number>();
  for (const l of lines) by.set(l.sku, (by.get(l.sku) ?? 0) + l.quantity);
  return by;
}

/**
 * A coupon code the customer gave is part of what she asked: an order never goes through without a code she gave.
 * Used up (by others or by her): CONFLICT; unknown, not valid now or not applicable to this cart: BAD_USER_INPUT.
 */
function refuseUnusedCoupons(q: Quote): void {
  if (q.rejectedCoupons.length === 0) return;
  const usedUp = q.rejectedCoupons.every(
    (c) => c.reason === COUPON_USED_UP || c.reason === COUPON_USED_BY_CUSTOMER,
  );
  throw new DomainError(
    usedUp ? 'CONFLICT' : 'BAD_USER_INPUT',
    `Coupon ${q.rejectedCoupons.map((c) => `${c.code}: ${c.reason}`).join('; ')}`,
    { rejectedCoupons: q.rejectedCoupons },
  );
}

/** What an order used of each promotion (for coupon counts and budgets), from its priced lines. */
function usage(priced: PricedCart): Array<{ code: string | null; promotionId: string; amount: number }> {
  const couponOf = new Map(priced.couponUse.map((c) => [c.ruleId, c.code]));
  const by = new Map<string, number>();
  for (const l of priced.lines)
    for (const a of l.adjustments) if (a.source !== 'LOYALTY') by.set(a.id, (by.get(a.id) ?? 0) + a.amount);
  return [...by].map(([promotionId, amount]) => ({
    code: couponOf.get(promotionId) ?? null,
    promotionId,
    amount,
  }));
}

/**
 * What an order's transaction does for the journey, whichever way the order was placed. `reprice`: the rows of the
 * budgeted promotions the price uses are locked; a price that would give more than is left of a budget (another order
 * spent it meanwhile) is priced again with what is left — a budget caps a discount, it never refuses a sale — and any
 * budgeted promotion the new price uses is locked and checked in turn. `lockFirst`: the customer's live profile is
 * locked before anything else (NOT_FOUND when she was erased meanwhile). `also`: counts the coupon use and budgets of the
 * final price, and records the extra points its promotions promised a member. `final()` is the quote the order was
 * written with. Only the budgets a cart uses are locked, so orders that use none never wait for each other here.
 */
function orderTransaction<L>(priced: RepricableQuote, customerId: string | null, linesOf: (q: Quote) => L) {
  let final = priced.quote;
  const budgeted = (q: Quote) => usage(q).filter((u) => priced.budgets.has(u.promotionId));
  return {
    final: () => final,
    hooks: {
      // First in the hub's lock order (shared/database/write-transaction.ts): the order serialises with her erasure
      // and merges. After an erasure it finds nobody and is refused (NOT_FOUND) — never written under her old id.
      lockFirst: async (w: WriteContext): Promise<void> => {
        if (customerId !== null) await lockLiveCustomer(w.tx, customerId);
      },
      reprice: async (w: WriteContext): Promise<L | null> => {
        const left = new Map<string, number>();
        // Each round locks the budgets the price newly uses; there are only so many budgeted promotions.
        for (let round = 0; round <= priced.budgets.size + 1; round++) {
          const unlocked = budgeted(final)
            .map((u) => u.promotionId)
            .filter((id) => !left.has(id));
          const locked = await lockBudgets(w, unlocked);
          for (const id of unlocked) left.set(id, locked.get(id) ?? Infinity); // no longer budgeted: no cap
          if (budgeted(final).every((u) => u.amount <= left.get(u.promotionId)!))
            return final === priced.quote ? null : linesOf(final);
          final = priced.reprice(new Map([...priced.budgets, ...left]));
        }
        throw new Error('repricing within promotion budgets did not settle');
      },
      also: async (w: WriteContext, orderId: string): Promise<void> => {
        await redeemAtCommit(w, orderId, customerId, usage(final));
        if (final.loyalty && final.extraPoints > 0) {
          await w.tx
            .insertInto('orderBonusPoints')
            .values({ orderId, points: final.extraPoints, createdAt: w.now })
            .onConflict((oc) => oc.column('orderId').doNothing())
            .execute();
        }
      },
    },
  };
}

/**
 * A sale at a till, priced by the pipeline (promotions, coupons, member discount) and recorded by the backoffice
 * with coupon use and budgets counted in the same transaction. Points are earned when the sale event is applied.
 * @throws BAD_USER_INPUT for invalid input or a coupon that cannot be used; CONFLICT when a coupon was used up; NOT_FOUND for an unknown SKU or
 * customer, or one erased before the sale committed (a sale that commits first is pseudonymised by her erasure).
 */
export async function placeStoreSale(
  deps: JourneyDeps,
  raw: StoreSaleOrderInput,
  idempotencyKey: string,
): Promise<PlacedOrder> {
  const input = parseInput(StoreSaleOrderInputSchema, raw, 'body');
  const customerId = input.customerId ?? null;
  const priced = await repricableQuote(deps, {
    lines: input.lines,
    customerId,
    ...(input.couponCodes ? { couponCodes: input.couponCodes } : {}),
  });
  refuseUnusedCoupons(priced.quote);
  const saleLines = (q: Quote) =>
    q.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitAmount: l.unitAmount, lineAmount: l.final }));
  const tx = orderTransaction(priced, customerId, saleLines);
  const sale = await recordStoreSale(
    deps,
    {
      locationId: input.locationId,
      currency: priced.quote.currency,
      customerRef: customerId,
      channel: 'STORE',
      lines: saleLines(priced.quote),
    },
    idempotencyKey,
    tx.hooks,
  );
  return { orderId: sale.orderId, quote: tx.final(), revision: sale.revision, replayed: sale.replayed };
}

/**
 * An online order. With `reservationId`: the reservation's units are sold, and `lines` must be exactly what it holds
 * (per SKU, in any order) — else BAD_USER_INPUT, and so is a `locationId` other than the reservation's. With only
 * `locationId`: the lines are reserved there first, and if the order then fails the reservation is released (and its
 * key forgotten): a failed call leaves no hold behind, and coupon use and budgets count only with a committed order.
 * Priced by the pipeline; coupon use and budgets count in the order's transaction. `channel` and `clientId` (the
 * channel client placing it) are recorded with a reservation made here, and so is the order's customer.
 * @throws BAD_USER_INPUT, NOT_FOUND (reservation, SKU, customer — also one erased before the order committed), INSUFFICIENT_STOCK, CONFLICT (reservation no longer active, coupon used up).
 */
export async function placeOrder(
  deps: JourneyDeps,
  raw: PlaceOrderInput,
  idempotencyKey: string,
  opts: { channel?: ReserveBody['channel']; clientId?: string } = {},
): Promise<PlacedOrder> {
  const input = parseInput(PlaceOrderInputSchema, raw, 'body');
  if (input.reservationId) return orderFromReservation(deps, input, input.reservationId, idempotencyKey);
  const reserveKey = `${idempotencyKey}:reserve`;
  const locationId = input.locationId!;
  const { reservation } = await reserveStock(
    deps,
    {
      lines: input.lines.map((l) => ({ ...l, locationId })),
      ...(opts.channel ? { channel: opts.channel } : {}),
      ...(opts.clientId ? { clientId: opts.clientId } : {}),
      ...(input.customerId ? { customerId: input.customerId } : {}),
    },
    reserveKey,
  );
  try {
    return await orderFromReservation(deps, input, reservation.id, idempotencyKey);
  } catch (e) {
    // A reservation already committed (a replay) is not released; any other failure to release is logged, and the
    // reservation then expires on its own.
    await releaseReservation(deps, reservation.id, { forgetReserveKey: reserveKey }).catch((err: unknown) => {
      if (!(err instanceof DomainError))
        deps.logger.warn(
          { err, reservationId: reservation.id },
          'could not release the reservation of a failed order',
        );
    });
    throw e;
  }
}

async function orderFromReservation(
  deps: JourneyDeps,
  input: z.infer<typeof PlaceOrderInputSchema>,
  reservationId: string,
  idempotencyKey: string,
): Promise<PlacedOrder> {
  const reservation = await getReservation(deps.db, reservationId);
  if (!reservation) throw new DomainError('NOT_FOUND', `No reservation ${reservationId}`, { reservationId });
  const held = unitsBySku(reservation.lines);
  const asked = unitsBySku(input.lines);
  if (held.size !== asked.size || [...asked].some(([sku, n]) => held.get(sku) !== n)) {
    const holds = [...held].map(([sku, n]) => `${n} × ${sku}`).join(', ');
    throw new DomainError(
      'BAD_USER_INPUT',
      `The lines do not match reservation ${reservationId}, which holds ${holds}`,
      { reservationId, reserved: [...held].map(([sku, quantity]) => ({ sku, quantity })) },
    );
  }
  if (input.locationId && reservation.lines.some((l) => l.locationId !== input.locationId)) {
    throw new DomainError(
      'BAD_USER_INPUT',
      `Reservation ${reservationId} holds units elsewhere than ${input.locationId}`,
      { reservationId, locationId: input.locationId },
    );
  }
  const customerId = input.customerId ?? null;
  const priced = await repricableQuote(deps, {
    lines: input.lines,
    customerId,
    ...(input.couponCodes ? { couponCodes: input.couponCodes } : {}),
  });
  refuseUnusedCoupons(priced.quote);
  // Reserved lines of one SKU at several locations share the SKU's quoted line pro rata by quantity.
  const orderLines = (q: Quote) =>
    q.lines.flatMap((l) => {
      const parts = reservation.lines.filter((r) => r.sku === l.sku);
      const amounts = prorate(
        l.final,
        parts.map((p) => p.quantity),
      );
      return parts.map((r, i) => ({
        sku: r.sku,
        locationId: r.locationId,
        quantity: r.quantity,
        unitAmount: l.unitAmount,
        lineAmount: amounts[i]!,
      }));
    });
  const tx = orderTransaction(priced, customerId, orderLines);
  const order = await commitReservation(
    deps,
    {
      reservationId,
      currency: priced.quote.currency,
      customerRef: customerId,
      lines: orderLines(priced.quote),
    },
    idempotencyKey,
    tx.hooks,
  );
  return { orderId: order.orderId, quote: tx.final(), revision: order.revision, replayed: order.replayed };
}
