import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { sql } from 'kysely';
import {
  applyEvent,
  createAdminRouter,
  FulfilmentSettingsSchema,
  registerAdminKey,
  setPrice,
  setStockCount,
  toEnvelope,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
  type AdminRoute,
} from '../../../backoffice-layer/index.js';
import { createHttpApp } from '../../../channel-layer/index.js';
import { placeOrder, placeStoreSale, setConsent, segmentsConsumer } from '../../../journey-layer/index.js';
import { createMetrics, type ManualClock } from '../../../shared/index.js';
import type { BackofficeTestContext } from '../../support/backoffice.js';

export const DAY = 86_400_000;

/**
 * A small shop: a warehouse and a store with click & collect (Amsterdam, ams-01), coats at €155.00, scarves
 * at €60.00, belts at €50.00, socks at €10.00, 1,000 of each at both.
 */
export async function openShop(ctx: BackofficeTestContext): Promise<void> {
  await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
  await upsertLocation(ctx.deps, 'ams-01', {
    name: 'Amsterdam',
    kind: 'STORE',
    fulfilsOnline: true,
    fulfilment: FulfilmentSettingsSchema.parse({
      timeZone: 'Europe/Amsterdam',
      openingHours: [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, open: '00:00', close: '23:59' })),
      pickup: true,
    }),
  });
  await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
  await addProducts(ctx, {
    'COAT-1': ['coats', 15500],
    'SCARF-1': ['scarves', 6000],
    'BELT-1': ['belts', 5000],
    'SOCK-1': ['socks', 1000],
  });
}

/**
 * Adds products (SKU → category and price in minor units) to the base price list, with `onHand` units
 * (default 1,000) at the warehouse and at Amsterdam.
 */
export async function addProducts(
  ctx: BackofficeTestContext,
  products: Record<string, [string, number]>,
  onHand: { 'wh-1'?: number; 'ams-01'?: number } = {},
): Promise<void> {
  for (const [sku, [category, amount]] of Object.entries(products)) {
    await upsertProduct(ctx.deps, sku, {
      name: sku,
      category,
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', sku, { amount, minQuantity: 1 });
    for (const at of ['wh-1', 'ams-01'] as const)
      await setStockCount(ctx.deps, sku, at, { onHand: onHand[at] ?? 1000 });
  }
}

/** Placing orders and till sales for customers, and following them through the segments consumer. */
export function shopper(ctx: BackofficeTestContext, clock: ManualClock) {
  return {
    /** An online order of one unit of `sku`, reserved at the warehouse (or a pickup at ams-01). */
    online: async (customerId: string, sku: string, pickup = false): Promise<string> =>
      (
        await placeOrder(
          ctx.deps,
          pickup
            ? {
                locationId: 'ams-01',
                fulfilment: { method: 'PICKUP', pickupLocationId: 'ams-01' },
                lines: [{ sku, quantity: 1 }],
                customerId,
              }
            : { locationId: 'wh-1', lines: [{ sku, quantity: 1 }], customerId },
          randomUUID(),
        )
      ).orderId,
    /** A sale of one unit of `sku` at the Amsterdam till. */
    store: async (customerId: string, sku: string): Promise<string> =>
      (
        await placeStoreSale(
          ctx.deps,
          { locationId: 'ams-01', lines: [{ sku, quantity: 1 }], customerId },
          randomUUID(),
        )
      ).orderId,
    /** Grants (or withdraws) the PROFILING consent. */
    profiling: (customerId: string, granted: boolean) =>
      setConsent(ctx.deps, customerId, { purpose: 'PROFILING', granted, channel: 'WEB' }),
    /** Applies every outbox event after `position` to the segments consumer, as the worker would. */
    follow: async (afterPosition: number): Promise<number> => {
      const rows = await ctx.deps.db
        .selectFrom('outbox')
        .selectAll()
        .where('position', '>', afterPosition)
        .orderBy('position')
        .execute();
      for (const row of rows)
        await applyEvent(ctx.deps.db, [segmentsConsumer(clock)], toEnvelope(row), clock.now());
      return rows.at(-1)?.position ?? afterPosition;
    },
    /** The newest outbox position. */
    position: async (): Promise<number> =>
      (await sql<{ p: number | null }>`SELECT max(position) AS p FROM outbox`.execute(ctx.deps.db)).rows[0]
        ?.p ?? 0,
  };
}

/** A real HTTP server with these admin routes under /admin/v1, and a client for it. */
export async function startRoutes(
  ctx: BackofficeTestContext,
  routes: readonly AdminRoute[],
): Promise<{
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}> {
  const adminKey = 'segments-admin-key-0123456789abcdef';
  await registerAdminKey(ctx.deps.db, adminKey, 'test', new Date());
  const app = createHttpApp({
    deps: ctx.deps,
    metrics: createMetrics(),
    mounts: { '/admin/v1': createAdminRouter(ctx.deps, routes) },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    request: async (method, path, body) => {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${adminKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
