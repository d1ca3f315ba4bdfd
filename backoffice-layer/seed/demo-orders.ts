import { randomUUID } from 'node:crypto';
import type { BackofficeDeps } from '../backoffice-deps.js';
import type { Executor } from '../tables.js';
import { getBasePrice } from '../pricing/pricing.js';
import { reserveStock } from '../stock/reservation-queue.js';
import { commitReservation } from '../stock/commit-reservation.js';
import type { FulfilmentMethod, FulfilmentStatus } from '../orders/fulfilment-lifecycle.js';
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
 * One fulfilment of a demo order: from `locationId`, `quantity` units of the first SKU of `style` (in SKU
 * order) that has them available there when the order is placed, moved through `steps` in order — the last is
 * where it stays. `COLLECTED` is the store terminal's markCollected, `CANCELLED` a cancellation of the order.
 */
export interface DemoFulfilmentPlan {
  locationId: string;
  style: string;
  quantity: number;
  steps: FulfilmentStatus[];
}

/** A demo order: a fixed id (so a second seed finds it), who placed it, its method and its fulfilments. */
export interface DemoOrderPlan {
  id: string;
  channel: 'WEB' | 'APP' | 'CALL_CENTER';
  method: FulfilmentMethod;
  fulfilments: DemoFulfilmentPlan[];
}

const DELIVERED: FulfilmentStatus[] = ['PICKING', 'PACKED', 'SHIPPED', 'DELIVERED'];
const READY: FulfilmentStatus[] = ['PICKING', 'READY_FOR_PICKUP'];
const ship = (style: string, steps: FulfilmentStatus[], quantity = 1): DemoFulfilmentPlan => ({
  locationId: 'wh-tilburg',
  style,
  quantity,
  steps,
});
const pickup = (locationId: string, style: string, steps: FulfilmentStatus[]): DemoFulfilmentPlan => ({
  locationId,
  style,
  quantity: 1,
  steps,
});
const demoId = (n: number) => `d3e0a000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * The demo orders: deliveries from the webshop warehouse at every step (cancelled by the call center while
 * picked), click & collect at every store at every step (one uncollected, one declined while ready), and one
 * order shipped from the warehouse and from the Amsterdam store of which one parcel has arrived. Styles the
 * README's examples use are left alone, so their stock reads as the README says.
 */
export const DEMO_ORDERS: readonly DemoOrderPlan[] = [
  { id: demoId(1), channel: 'WEB', method: 'DELIVERY', fulfilments: [ship('COAT-HARBOUR', [])] },
  { id: demoId(2), channel: 'APP', method: 'DELIVERY', fulfilments: [ship('TRS-GRACHT', ['PICKING'])] },
  {
    id: demoId(3),
    channel: 'WEB',
    method: 'DELIVERY',
    fulfilments: [ship('SHT-VAART', DELIVERED.slice(0, 2))],
  },
  {
    id: demoId(4),
    channel: 'WEB',
    method: 'DELIVERY',
    fulfilments: [ship('DRS-LENTE', DELIVERED.slice(0, 3))],
  },
  { id: demoId(5), channel: 'APP', method: 'DELIVERY', fulfilments: [ship('KNT-MOLEN', DELIVERED, 2)] },
  {
    id: demoId(6),
    channel: 'CALL_CENTER',
    method: 'DELIVERY',
    fulfilments: [ship('COAT-WADDEN', ['PICKING', 'CANCELLED'])],
  },
  { id: demoId(7), channel: 'WEB', method: 'PICKUP', fulfilments: [pickup('utr-01', 'TRS-KADE', [])] },
  {
    id: demoId(8),
    channel: 'APP',
    method: 'PICKUP',
    fulfilments: [pickup('ams-01', 'SHT-STRAND', ['PICKING'])],
  },
  { id: demoId(9), channel: 'WEB', method: 'PICKUP', fulfilments: [pickup('rtm-01', 'KNT-TULP', READY)] },
  {
    id: demoId(10),
    channel: 'WEB',
    method: 'PICKUP',
    fulfilments: [pickup('dhg-01', 'DRS-BLOEM', [...READY, 'COLLECTED'])],
  },
  {
    id: demoId(11),
    channel: 'APP',
    method: 'PICKUP',
    fulfilments: [pickup('ehv-01', 'SHT-HAVEN', [...READY, 'UNCOLLECTED'])],
  },
  {
    id: demoId(12),
    channel: 'WEB',
    method: 'PICKUP',
    fulfilments: [pickup('gro-01', 'COAT-POLDER', [...READY, 'CANCELLED'])],
  },
  {
    id: demoId(13),
    channel: 'WEB',
    method: 'DELIVERY',
    fulfilments: [
      ship('TRS-VELD', DELIVERED),
      { locationId: 'ams-01', style: 'COAT-DUNE', quantity: 1, steps: ['PICKING', 'PACKED'] },
    ],
  },
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
  for (const plan of DEMO_ORDERS) {
    if (!existing.has(plan.id)) {
      const lines = await demoLines(deps.db, plan, deps.clock.now());
      if (!lines) {
        if (summary.placed === 0 && existing.size === 0) return summary;
        throw new Error(`The demo catalogue has nothing left for demo order ${plan.id}`);
      }
      await placeDemoOrder(deps, plan, lines);
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
 * Places demo order `plan`: its lines reserved, then committed as the order `plan.id` (one PENDING fulfilment
 * per location, holding its units). Placement records deliveries only for now (click & collect placement
 * is not wired into orders yet), so a pickup order's fulfilments are then turned into pickups — still PENDING
 * and holding the same units at the same store — before anything moves them.
 */
async function placeDemoOrder(deps: BackofficeDeps, plan: DemoOrderPlan, lines: Line[]): Promise<void> {
  const { reservation } = await reserveStock(
    deps,
    {
      lines: lines.map(({ sku, locationId, quantity }) => ({ sku, locationId, quantity })),
      channel: plan.channel,
    },
    randomUUID(),
  );
  await commitReservation(
    deps,
    { reservationId: reservation.id, orderId: plan.id, currency: 'EUR', lines },
    randomUUID(),
  );
  if (plan.method === 'PICKUP')
    await deps.db
      .updateTable('fulfilments')
      .set({ method: 'PICKUP' })
      .where('orderId', '=', plan.id)
      .where('status', '=', 'PENDING')
      .execute();
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
  for (const f of plan.fulfilments) {
    const current = fulfilments.find((x) => x.locationId === f.locationId);
    const path: FulfilmentStatus[] = ['PENDING', ...f.steps];
    const at = current ? path.indexOf(current.status) : -1;
    if (!current || at < 0) continue;
    for (const status of path.slice(at + 1)) {
      const key = randomUUID();
      if (status === 'COLLECTED')
        await markCollected(deps, plan.id, key, STORE, { atLocationId: f.locationId });
      else if (status === 'CANCELLED') {
        const reason =
          plan.method === 'PICKUP' ? 'Declined by the customer' : 'Cancelled at the customer’s call';
        await cancelOrder(deps, plan.id, { reason }, key, plan.method === 'PICKUP' ? STORE : CALL_CENTER);
      } else {
        const by =
          status === 'UNCOLLECTED'
            ? UNCOLLECTED_BY
            : status === 'DELIVERED'
              ? CARRIER
              : plan.method === 'PICKUP'
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
