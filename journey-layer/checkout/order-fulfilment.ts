import {
  loadPromiseInputs,
  promiseAllocations,
  promiseCart,
  recordFulfilmentPlan,
  reservationMadeWith,
  reserveStock,
  type CartPromiseRequest,
  type DeliveryPromise,
  type FulfilmentInput,
  type PromiseInputs,
  type ReservationView,
  type ReserveBody,
  type SourcingAllocation,
  type SourcingReason,
} from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';
import type { WriteContext } from '../tables.js';
import type { JourneyDeps } from '../journey-deps.js';

/*
 * How an online order is fulfilled at placement (issue 12): the hub sources an order that names no location,
 * reserves at the locations it chose (sourcing again once when the stock went meanwhile), and the order keeps
 * what checkout promised, computed at the instant the order commits.
 */

type Line = { sku: string; quantity: number };

/**
 * The fulfilment request of an order: its `fulfilment`, a PICKUP without a store collected at the order's
 * `locationId`; null when the order says nothing of it (a DELIVERY from its locations, nothing promised).
 */
export function fulfilmentRequestOf(input: {
  fulfilment?: FulfilmentInput | null | undefined;
  locationId?: string | null | undefined;
}): CartPromiseRequest | null {
  const f = input.fulfilment;
  if (!f) return null;
  const pickupLocationId = f.method === 'PICKUP' ? (f.pickupLocationId ?? input.locationId ?? null) : null;
  return {
    method: f.method,
    pickupLocationId,
    postcode: f.postcode ?? null,
    countryCode: f.countryCode ?? null,
  };
}

/**
 * The allocations of units an order holds (reservation lines, SKU × location): one per location in the
 * lines' order; for a PICKUP, a location other than the pickup store is a transfer to it.
 */
export function allocationsOf(
  lines: ReadonlyArray<{ sku: string; locationId: string; quantity: number }>,
  request: CartPromiseRequest | null,
): SourcingAllocation[] {
  const by = new Map<string, SourcingAllocation>();
  const store = request?.method === 'PICKUP' ? (request.pickupLocationId ?? null) : null;
  for (const l of lines) {
    const a = by.get(l.locationId) ?? {
      locationId: l.locationId,
      lines: [],
      ...(store !== null && l.locationId !== store ? { transfer: { toLocationId: store } } : {}),
    };
    a.lines.push({ sku: l.sku, quantity: l.quantity });
    by.set(l.locationId, a);
  }
  return [...by.values()];
}

/**
 * What placement knows of an order's fulfilment before its transaction: the request (null: none), the hub's
 * configuration it is promised from (loaded when there is a request), and — when the hub chose the
 * locations — the sourcing decision's allocations (the units reserved, in the decision's order) and reasons
 * (both null when the order named its locations).
 */
export interface FulfilmentContext {
  request: CartPromiseRequest | null;
  inputs: PromiseInputs | null;
  allocations: SourcingAllocation[] | null;
  sourcing: SourcingReason[] | null;
}

/**
 * Checks, before anything is reserved or written, that the request can be served from these units (a zone for
 * the postcode, a store offering click & collect), loading the configuration when not given.
 * @throws DomainError BAD_USER_INPUT as promiseAllocations.
 */
export async function checkedContext(
  deps: JourneyDeps,
  lines: ReadonlyArray<{ sku: string; locationId: string; quantity: number }>,
  ctx: FulfilmentContext,
): Promise<FulfilmentContext> {
  if (!ctx.request) return ctx;
  const inputs = ctx.inputs ?? (await loadPromiseInputs(deps.db, []));
  promiseAllocations({
    now: deps.clock.now(),
    allocations: allocationsOf(lines, ctx.request),
    request: ctx.request,
    ...inputs,
  });
  return { ...ctx, inputs };
}

/**
 * The order transaction's step that records the plan (recordFulfilmentPlan): the promises of the units held,
 * made at the transaction's instant, so the order keeps what is true when it is placed. `promised()` answers
 * them once the step ran (empty before, and without a request).
 */
export function planStep(
  lines: ReadonlyArray<{ sku: string; locationId: string; quantity: number }>,
  ctx: FulfilmentContext,
): { run: (w: WriteContext, orderId: string) => Promise<void>; promised: () => DeliveryPromise[] } {
  let promised: DeliveryPromise[] = [];
  return {
    promised: () => promised,
    run: async (w, orderId) => {
      const { request, inputs, sourcing } = ctx;
      if (request && inputs)
        promised = promiseAllocations({
          now: w.now,
          allocations: ctx.allocations ?? allocationsOf(lines, request),
          request,
          ...inputs,
        });
      await recordFulfilmentPlan(w, orderId, {
        method: request?.method ?? 'DELIVERY',
        pickupLocationId: request?.method === 'PICKUP' ? (request.pickupLocationId ?? null) : null,
        promised,
        sourcing,
      });
    },
  };
}

/**
 * Sources an order that names no location (promiseCart over the committed stock at the clock's instant) and
 * reserves at the chosen locations under `reserveKey`. A reservation made before under that key (a replay,
 * or a retry after a failure between reserving and ordering) is taken as it is, not sourced again: the
 * stock has moved since — by that reservation too. When the stock went between sourcing and reserving
 * (INSUFFICIENT_STOCK), it sources again once with the stock as it is then.
 * @throws DomainError BAD_USER_INPUT (a request that cannot be served), INSUFFICIENT_STOCK (also after the
 *   second sourcing), NOT_FOUND (an unknown SKU), as reserveStock.
 */
export async function sourceAndReserve(
  deps: JourneyDeps,
  lines: readonly Line[],
  request: CartPromiseRequest,
  reserveKey: string,
  owner: Pick<ReserveBody, 'channel' | 'customerId'> & { clientId?: string },
): Promise<{ reservation: ReservationView; context: FulfilmentContext }> {
  const prior = await reservationMadeWith(deps.db, reserveKey);
  if (prior)
    return { reservation: prior, context: { request, inputs: null, allocations: null, sourcing: null } };
  for (let attempt = 1; ; attempt++) {
    const inputs = await loadPromiseInputs(
      deps.db,
      lines.map((l) => l.sku),
    );
    const { decision } = promiseCart({ now: deps.clock.now(), lines, request, ...inputs });
    try {
      const { reservation } = await reserveStock(
        deps,
        {
          lines: decision.allocations.flatMap((a) =>
            a.lines.map((l) => ({ ...l, locationId: a.locationId })),
          ),
          ...owner,
        },
        reserveKey,
      );
      const context = { request, inputs, allocations: decision.allocations, sourcing: decision.reasons };
      return { reservation, context };
    } catch (e) {
      if (attempt === 1 && e instanceof DomainError && e.code === 'INSUFFICIENT_STOCK') continue;
      throw e;
    }
  }
}
