import { randomUUID } from 'node:crypto';
import type { BackofficeDeps } from '../backoffice-deps.js';
import type { Executor } from '../tables.js';
import { getBasePrice } from '../pricing/pricing.js';
import { reserveStock } from '../stock/reservation-queue.js';
import { commitReservation } from '../stock/commit-reservation.js';
import type { FulfilmentStatus } from '../orders/fulfilment-lifecycle.js';
import {
  loadPromiseInputs,
  promiseAllocations,
  type CartPromiseRequest,
  type PromiseInputs,
} from '../orders/cart-promise.js';
import { recordFulfilmentPlan } from '../orders/placement-records.js';
import type { SourcingAllocation } from '../orders/sourcing.js';
import {
  cancelOrder,
  markCollected,
  recordFulfilmentEvent,
  type OrderActor,
} from '../orders/fulfilment-transitions.js';
import { UNCOLLECTED_BY } from '../orders/uncollected-pickups.js';

/*
 * The demo retailer's orders (issue 12: "the demo retailer gets … a few orders in every state"): online
 * orders of both methods in every fulfilment status, and so every order status, made the way real ones are —
 * units reserved and committed as an order (reserveStock, commitReservation), then moved by the lifecycle's
 * own functions (recordFulfilmentEvent, cancelOrder, markCollected), with their stock, ledger, history and
 * events.
 */

/**
 * One fulfilment of a demo order: held at `locationId`, `quantity` units of the first SKU of `style` (in SKU
 * order) that has them available there when the order is placed, moved through `steps` in order — the last
 * is where it stays. `COLLECTED` is the store terminal's markCollected, `CANCELLED` a cancellation of the
 * order.
 */
export interface DemoFulfilmentPlan {
  locationId: string;
  style: string;
  quantity: number;
  steps: FulfilmentStatus[];
}

/**
 * A demo order: a fixed id (so a second seed finds it), who placed it, how it is fulfilled (a DELIVERY to a
 * postcode, or a PICKUP at a store: from that store's stock, or a transfer from the warehouse) and its
 * fulfilments, one per location its units are held at.
 */
export interface DemoOrderPlan {
  id: string;
  channel: 'WEB' | 'APP' | 'CALL_CENTER';
  fulfilment: CartPromiseRequest;
  fulfilments: DemoFulfilmentPlan[];
}

const DELIVERED: FulfilmentStatus[] = ['PICKING', 'PACKED', 'SHIPPED', 'DELIVERED'];
const READY: FulfilmentStatus[] = ['PICKING', 'READY_FOR_PICKUP'];
const WAREHOUSE_ID = 'wh-tilburg';
const demoId = (n: number) => `d3e0a000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Demo order `n`, shipped to `postcode` from the warehouse (and the stores of `more`). */
function delivery(
  n: number,
  channel: DemoOrderPlan['channel'],
  postcode: string,
  shipment: Omit<DemoFulfilmentPlan, 'locationId'>,
  more: DemoFulfilmentPlan[] = [],
): DemoOrderPlan {
  return {
    id: demoId(n),
    channel,
    fulfilment: { method: 'DELIVERY', postcode, countryCode: 'NL' },
    fulfilments: [{ locationId: WAREHOUSE_ID, ...shipment }, ...more],
  };
}

/** Demo order `n`: one unit of `style` collected at `store`, held there (or at `from`: a transfer). */
function pickup(
  n: number,
  channel: DemoOrderPlan['channel'],
  store: string,
  style: string,
  steps: FulfilmentStatus[],
  from = store,
): DemoOrderPlan {
  return {
    id: demoId(n),
    channel,
    fulfilment: { method: 'PICKUP', pickupLocationId: store },
    fulfilments: [{ locationId: from, style, quantity: 1, steps }],
  };
}

/**
 * The demo orders: deliveries from the webshop warehouse at every step (one cancelled by the call center
 * while picked), click & collect at every store at every step (one uncollected, one declined while ready,
 * one sent from the warehouse to Rotterdam), and one order shipped from the warehouse and from the Amsterdam
 * store of which one parcel has arrived. Styles the README's examples use are left alone, so their stock
 * reads as the README says.
 */
export const DEMO_ORDERS: readonly DemoOrderPlan[] = [
  delivery(1, 'WEB', '1017 CT', { style: 'COAT-HARBOUR', quantity: 1, steps: [] }),
  delivery(2, 'APP', '3511 AB', { style: 'TRS-GRACHT', quantity: 1, steps: ['PICKING'] }),
  delivery(3, 'WEB', '2511 BT', { style: 'SHT-VAART', quantity: 1, steps: DELIVERED.slice(0, 2) }),
  delivery(4, 'WEB', '9711 LM', { style: 'DRS-LENTE', quantity: 1, steps: DELIVERED.slice(0, 3) }),
  delivery(5, 'APP', '5611 AZ', { style: 'KNT-MOLEN', quantity: 2, steps: DELIVERED }),
  delivery(6, 'CALL_CENTER', '3011 AD', {
    style: 'COAT-WADDEN',
    quantity: 1,
    steps: ['PICKING', 'CANCELLED'],
  }),
  pickup(7, 'WEB', 'utr-01', 'TRS-KADE', []),
  pickup(8, 'APP', 'ams-01', 'SHT-STRAND', ['PICKING']),
  pickup(9, 'WEB', 'rtm-01', 'KNT-TULP', READY, WAREHOUSE_ID),
  pickup(10, 'WEB', 'dhg-01', 'DRS-BLOEM', [...READY, 'COLLECTED']),
  pickup(11, 'APP', 'ehv-01', 'SHT-HAVEN', [...READY, 'UNCOLLECTED']),
  pickup(12, 'WEB', 'gro-01', 'COAT-POLDER', [...READY, 'CANCELLED']),
  delivery(13, 'WEB', '1071 XX', { style: 'TRS-VELD', quantity: 1, steps: DELIVERED }, [
    { locationId: 'ams-01', style: 'COAT-DUNE', quantity: 1, steps: ['PICKING', 'PACKED'] },
  ]),
];

/** What {@link seedDemoOrders} did: `placed` orders new this time of `orders` planned; `skipped`: none. */
export interface DemoOrdersSummary {
  skipped: boolean;
  orders: number;
  placed: number;
}

const WAREHOUSE: OrderActor = { actor: 'admin:warehouse-system', channel: 'ADMIN' };
const CARRIER: OrderActor = { actor: 'admin:carrier', channel: 'ADMIN' };
const STORE: OrderActor = { actor: 'channel:STORE', channel: 'STORE' };
const CALL_CENTER: OrderActor = { actor: 'channel:CALL_CENTER', channel: 'CALL_CENTER' };

type Line = { sku: string; locationId: string; quantity: number; unitAmount: number; lineAmount: number };

/**
 * Seeds {@link DEMO_ORDERS} on the demo retailer, each order its own transactions like a real one. Safe to
 * run at every start: skipped (nothing written) when the database holds orders other than the demo's (the
 * retailer's own) or the demo's catalogue is not there (no SKU of a planned style with the units available
 * at its location, or no EUR price); a demo order already there is not placed again, and one left part way
 * (a seed interrupted) is moved on from where it stands — a fulfilment that has left its planned path (a demo
 * visitor collected it, the holding period ended) is left as it is.
 * @throws what placing or moving an order throws (the database unavailable…); a demo catalogue that runs out
 *   of a style part way is an internal error.
 */
export async function seedDemoOrders(deps: BackofficeDeps): Promise<DemoOrdersSummary> {
  const ids = DEMO_ORDERS.map((o) => o.id);
  const summary = { skipped: true, orders: DEMO_ORDERS.length, placed: 0 };
  const foreign = await deps.db
    .selectFrom('orders')
    .select('id')
    .where('id', 'not in', ids)
    .executeTakeFirst();
  if (foreign) return summary;
  const existing = new Set(
    (await deps.db.selectFrom('orders').select('id').where('id', 'in', ids).execute()).map((o) => o.id),
  );
  const inputs = await loadPromiseInputs(deps.db, []);
  for (const plan of DEMO_ORDERS) {
    if (!existing.has(plan.id)) {
      const lines = await demoLines(deps.db, plan, deps.clock.now());
      if (!lines) {
        if (summary.placed === 0 && existing.size === 0) return summary;
        throw new Error(`The demo catalogue has nothing left for demo order ${plan.id}`);
      }
      await placeDemoOrder(deps, plan, lines, inputs);
      summary.placed++;
    }
    await advanceDemoOrder(deps, plan);
  }
  return { ...summary, skipped: false };
}

/**
 * The lines of `plan` on this catalogue: per fulfilment, the first SKU of its style with the units available
 * at its location (on hand less reserved and safety stock), at its EUR base price at `at`; null when a style
 * has none or is unpriced.
 */
async function demoLines(db: Executor, plan: DemoOrderPlan, at: Date): Promise<Line[] | null> {
  const lines: Line[] = [];
  for (const f of plan.fulfilments) {
    const level = await db
      .selectFrom('stockLevels')
      .select('sku')
      .where('sku', 'like', `NK-${f.style}-%`)
      .where('locationId', '=', f.locationId)
      .where((eb) => eb(eb('onHand', '-', eb('reserved', '+', eb.ref('safetyStock'))), '>=', f.quantity))
      .orderBy('sku')
      .executeTakeFirst();
    const price = level && (await getBasePrice(db, level.sku, { at, quantity: f.quantity, currency: 'EUR' }));
    if (!level || !price) return null;
    lines.push({
      sku: level.sku,
      locationId: f.locationId,
      quantity: f.quantity,
      unitAmount: price.amount,
      lineAmount: price.amount * f.quantity,
    });
  }
  return lines;
}

/**
 * Places demo order `plan` as placement does an order that names its locations: its lines reserved, then
 * committed as the order `plan.id` (one PENDING fulfilment per location, holding its units) with its
 * fulfilment plan recorded in the same transaction — the method, the pickup store, and what is promised at
 * that instant from the locations' settings (`inputs`; a pickup held elsewhere travels to the store first).
 */
async function placeDemoOrder(
  deps: BackofficeDeps,
  plan: DemoOrderPlan,
  lines: Line[],
  inputs: Pick<PromiseInputs, 'locations' | 'zones'>,
): Promise<void> {
  const { reservation } = await reserveStock(
    deps,
    {
      lines: lines.map(({ sku, locationId, quantity }) => ({ sku, locationId, quantity })),
      channel: plan.channel,
    },
    randomUUID(),
  );
  const request = plan.fulfilment;
  const store = request.method === 'PICKUP' ? (request.pickupLocationId ?? null) : null;
  const allocations: SourcingAllocation[] = lines.map((l) => ({
    locationId: l.locationId,
    lines: [{ sku: l.sku, quantity: l.quantity }],
    ...(store !== null && l.locationId !== store ? { transfer: { toLocationId: store } } : {}),
  }));
  await commitReservation(
    deps,
    { reservationId: reservation.id, orderId: plan.id, currency: 'EUR', lines },
    randomUUID(),
    {
      also: (w, orderId) =>
        recordFulfilmentPlan(w, orderId, {
          method: request.method,
          pickupLocationId: store,
          promised: promiseAllocations({ now: w.now, allocations, request, ...inputs }),
          sourcing: null,
        }),
    },
  );
}

/**
 * Moves each fulfilment of demo order `plan` along its steps from where it stands: warehouse events by the
 * warehouse system (the carrier's delivery by the carrier, with a tracking code from shipment on), a pickup's
 * by the store, collection at the store's terminal, the lapse of a holding period by the hub itself, a
 * cancellation by the call center (a delivery) or the store (a pickup the customer declined).
 */
async function advanceDemoOrder(deps: BackofficeDeps, plan: DemoOrderPlan): Promise<void> {
  const fulfilments = await deps.db
    .selectFrom('fulfilments')
    .select(['id', 'locationId', 'status'])
    .where('orderId', '=', plan.id)
    .execute();
  const pickupAt = plan.fulfilment.method === 'PICKUP' ? (plan.fulfilment.pickupLocationId ?? null) : null;
  for (const f of plan.fulfilments) {
    const current = fulfilments.find((x) => x.locationId === f.locationId);
    const path: FulfilmentStatus[] = ['PENDING', ...f.steps];
    const at = current ? path.indexOf(current.status) : -1;
    if (!current || at < 0) continue;
    for (const status of path.slice(at + 1)) {
      const key = randomUUID();
      if (status === 'COLLECTED')
        await markCollected(deps, plan.id, key, STORE, { atLocationId: pickupAt ?? f.locationId });
      else if (status === 'CANCELLED') {
        const reason = pickupAt ? 'Declined by the customer' : 'Cancelled at the customer’s call';
        await cancelOrder(deps, plan.id, { reason }, key, pickupAt ? STORE : CALL_CENTER);
      } else {
        const by =
          status === 'UNCOLLECTED'
            ? UNCOLLECTED_BY
            : status === 'DELIVERED'
              ? CARRIER
              : pickupAt
                ? STORE
                : WAREHOUSE;
        const trackingCode = status === 'SHIPPED' ? `3SNKM${plan.id.slice(-8)}` : undefined;
        const reason =
          status === 'UNCOLLECTED' ? 'Not collected within the store’s holding period' : undefined;
        await recordFulfilmentEvent(deps, current.id, { status, trackingCode, reason }, key, by);
      }
    }
  }
}
