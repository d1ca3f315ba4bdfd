import { z } from 'zod';
import {
  commitReservation,
  FulfilmentInputSchema,
  getOrder,
  getReservation,
  recordStoreSale,
  releaseReservation,
  reserveStock,
  ReserveBodySchema,
  type DeliveryPromise,
  type ReservationView,
  type ReserveBody,
  type SourcingReason,
} from '../../backoffice-layer/index.js';
import { DomainError, parseInput, prorate, UuidSchema } from '../../shared/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import { QuoteInputSchema, type Quote } from '../pricing/quote.js';
import { orderTransaction, priceOrder } from './order-transaction.js';
import {
  checkedContext,
  fulfilmentRequestOf,
  planStep,
  sourceAndReserve,
  type FulfilmentContext,
} from './order-fulfilment.js';

const LocationIdSchema = ReserveBodySchema.shape.lines.element.shape.locationId;
const CouponCodesSchema = QuoteInputSchema.shape.couponCodes.unwrap().nullish();

/**
 * An online order: the lines the customer buys; the reservation that holds them, or the location to reserve
 * them at, or neither — then the hub sources them (`fulfilment` required); and how she receives them
 * (`fulfilment`, API.md `FulfilmentInput`: a DELIVERY to a postcode, or a PICKUP at a store; absent: a
 * delivery from the order's locations, nothing promised). Every field is honoured or the order is refused:
 * lines that differ from the reservation's, a location other than the reservation's, a postcode no zone
 * serves, a store without click & collect, a coupon that cannot be used — all BAD_USER_INPUT (a coupon used
 * up by others meanwhile: CONFLICT).
 */
export const PlaceOrderInputSchema = z
  .strictObject({
    reservationId: UuidSchema.nullish(),
    lines: QuoteInputSchema.shape.lines,
    customerId: QuoteInputSchema.shape.customerId,
    couponCodes: CouponCodesSchema,
    locationId: LocationIdSchema.nullish(),
    fulfilment: FulfilmentInputSchema.nullish(),
    currency: QuoteInputSchema.shape.currency,
  })
  .refine((i) => i.reservationId || i.locationId || i.fulfilment, {
    message: 'give a reservationId, a locationId to reserve the lines at, or a fulfilment to source them for',
    path: ['fulfilment'],
  });
export type PlaceOrderInput = z.input<typeof PlaceOrderInputSchema>;

/** A sale at a till: the store, the lines, the customer if she is known, her coupon codes. */
export const StoreSaleOrderInputSchema = z.strictObject({
  locationId: LocationIdSchema,
  lines: QuoteInputSchema.shape.lines,
  customerId: QuoteInputSchema.shape.customerId,
  couponCodes: CouponCodesSchema,
  currency: QuoteInputSchema.shape.currency,
});
export type StoreSaleOrderInput = z.input<typeof StoreSaleOrderInputSchema>;

/**
 * What placing an order or a store sale answers: the order, the quote it was priced by, its revision; what
 * checkout promised (`promised`: one DELIVERY promise per shipping location, or the one PICKUP promise;
 * empty for a store sale or an order placed without a fulfilment request) and, when the hub chose the
 * locations, why (`sourcing`: a reason per SKU and location; null otherwise). A replay answers what the order
 * kept.
 */
export interface PlacedOrder {
  orderId: string;
  quote: Quote;
  revision: number;
  replayed: boolean;
  promised: DeliveryPromise[];
  sourcing: SourcingReason[] | null;
}

/** Units per SKU, whatever the order or repetition of the lines. */
function unitsBySku(lines: ReadonlyArray<{ sku: string; quantity: number }>): Map<string, number> {
  const by = new Map<string, number>();
  for (const l of lines) by.set(l.sku, (by.get(l.sku) ?? 0) + l.quantity);
  return by;
}

/**
 * A sale at a till, priced by the pipeline (promotions, coupons, member discount) and recorded by the
 * backoffice with coupon use and budgets counted in the same transaction. Points are earned when the sale
 * event is applied.
 * @throws BAD_USER_INPUT for invalid input or a coupon that cannot be used; CONFLICT when a coupon was used
 * up; NOT_FOUND for an unknown SKU or customer, or one erased before the sale committed (a sale that commits
 * first is pseudonymised by her erasure).
 */
export async function placeStoreSale(
  deps: JourneyDeps,
  raw: StoreSaleOrderInput,
  idempotencyKey: string,
): Promise<PlacedOrder> {
  const input = parseInput(StoreSaleOrderInputSchema, raw, 'body');
  const customerId = input.customerId ?? null;
  const priced = await priceOrder(deps, {
    lines: input.lines,
    customerId,
    couponCodes: input.couponCodes,
    currency: input.currency,
  });
  const saleLines = (q: Quote) =>
    q.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitAmount: l.unitAmount, lineAmount: l.final }));
  const tx = orderTransaction(priced, customerId, saleLines, { channel: 'STORE', actor: 'channel:STORE' });
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
  return {
    orderId: sale.orderId,
    quote: tx.final(),
    revision: sale.revision,
    replayed: sale.replayed,
    promised: [],
    sourcing: null,
  };
}

/**
 * An online order. With `reservationId`: the reservation's units are sold, and `lines` must be exactly what
 * it holds (per SKU, in any order) — else BAD_USER_INPUT, and so is a `locationId` other than the
 * reservation's. With only `locationId`: the lines are reserved there first. With neither: the hub sources
 * the lines for `fulfilment` (promiseCart: the retailer's rules, the locations with fulfilment settings and
 * the stock at the clock's instant), reserves at the chosen locations — possibly several, a PICKUP's transfer
 * from a warehouse included — and sources once more if the stock went in between. A reservation made here is
 * released (and its key forgotten) if the order then fails: a failed call leaves no hold behind, and coupon
 * use and budgets count only with a committed order. Priced by the pipeline; coupon use and budgets count in
 * the order's transaction. With `fulfilment`, the order records its method and pickup store, and keeps what
 * is promised at the instant it commits (fulfilments' `deliverBy`/`readyBy`, the order's `promised`).
 * `channel` and `clientId` (the channel client placing it) are recorded with a reservation made here, and so
 * is the order's customer.
 * @throws BAD_USER_INPUT, NOT_FOUND (reservation, SKU, customer — also one erased before the order
 * committed), INSUFFICIENT_STOCK, CONFLICT (reservation no longer active, coupon used up).
 */
export async function placeOrder(
  deps: JourneyDeps,
  raw: PlaceOrderInput,
  idempotencyKey: string,
  opts: { channel?: ReserveBody['channel']; clientId?: string } = {},
): Promise<PlacedOrder> {
  const input = parseInput(PlaceOrderInputSchema, raw, 'body');
  const named: FulfilmentContext = {
    request: fulfilmentRequestOf(input),
    inputs: null,
    allocations: null,
    sourcing: null,
  };
  if (input.reservationId)
    return orderFromReservation(deps, input, input.reservationId, idempotencyKey, named, opts);
  const reserveKey = `${idempotencyKey}:reserve`;
  const owner = {
    ...(opts.channel ? { channel: opts.channel } : {}),
    ...(opts.clientId ? { clientId: opts.clientId } : {}),
    ...(input.customerId ? { customerId: input.customerId } : {}),
  };
  let reservation: ReservationView;
  let context: FulfilmentContext;
  const locationId = input.locationId;
  if (locationId) {
    const lines = input.lines.map((l) => ({ ...l, locationId }));
    context = await checkedContext(deps, lines, named);
    ({ reservation } = await reserveStock(deps, { lines, ...owner }, reserveKey));
  } else {
    ({ reservation, context } = await sourceAndReserve(deps, input.lines, named.request!, reserveKey, owner));
  }
  try {
    return await orderFromReservation(deps, input, reservation.id, idempotencyKey, context, opts);
  } catch (e) {
    // A reservation already committed (a replay) is not released; any other failure to release is logged, and
    // the reservation then expires on its own.
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
  named: FulfilmentContext,
  opts: { channel?: ReserveBody['channel']; clientId?: string },
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
  const context = await checkedContext(deps, reservation.lines, named);
  const customerId = input.customerId ?? null;
  const priced = await priceOrder(deps, {
    lines: input.lines,
    customerId,
    couponCodes: input.couponCodes,
    currency: input.currency,
  });
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
  const tx = orderTransaction(priced, customerId, orderLines, {
    channel: opts.channel ?? 'ADMIN',
    actor: opts.clientId ? `client:${opts.clientId}` : 'system',
  });
  const plan = planStep(reservation.lines, context);
  const order = await commitReservation(
    deps,
    {
      reservationId,
      currency: priced.quote.currency,
      customerRef: customerId,
      lines: orderLines(priced.quote),
    },
    idempotencyKey,
    {
      ...tx.hooks,
      also: async (w, orderId) => {
        await tx.hooks.also(w, orderId);
        await plan.run(w, orderId);
      },
    },
  );
  const kept = order.replayed ? await getOrder(deps.db, order.orderId) : null;
  return {
    orderId: order.orderId,
    quote: tx.final(),
    revision: order.revision,
    replayed: order.replayed,
    promised: kept ? kept.promised : plan.promised(),
    sourcing: kept ? kept.sourcing : context.sourcing,
  };
}
