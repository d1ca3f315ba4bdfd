import { upsertLocation, upsertProduct, setStockCount } from '../../../backoffice-layer/index.js';
import type { BackofficeTestContext } from '../../support/backoffice.js';
import { seededRandom } from '../../../shared/index.js';

/** A small catalogue: SKUs and locations, with optional opening stock. */
export async function givenCatalogue(
  ctx: BackofficeTestContext,
  skus: string[],
  locations: string[],
  stock: Record<string, number> = {},
): Promise<void> {
  for (const sku of skus)
    await upsertProduct(ctx.deps, sku, {
      name: `Product ${sku}`,
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
  for (const id of locations)
    await upsertLocation(ctx.deps, id, {
      name: `Location ${id}`,
      kind: id.startsWith('wh') ? 'WAREHOUSE' : 'STORE',
      fulfilsOnline: id.startsWith('wh'),
    });
  for (const [key, onHand] of Object.entries(stock)) {
    const [sku, locationId] = key.split('@') as [string, string];
    await setStockCount(ctx.deps, sku, locationId, { onHand });
  }
}

/** A level's current values (zeros when it does not exist yet). */
export async function level(
  ctx: BackofficeTestContext,
  sku: string,
  locationId: string,
): Promise<{ onHand: number; reserved: number; safetyStock: number }> {
  const row = await ctx.deps.db
    .selectFrom('stockLevels')
    .select(['onHand', 'reserved', 'safetyStock'])
    .where('sku', '=', sku)
    .where('locationId', '=', locationId)
    .executeTakeFirst();
  return row ?? { onHand: 0, reserved: 0, safetyStock: 0 };
}

/**
 * What a level's `reserved` must always equal: the units of its ACTIVE reservations plus those its orders'
 * fulfilments still hold there (placed, not yet shipped, collected, cancelled or uncollected; a transfer's at
 * its pickup store once arrived).
 */
export async function liveReserved(
  ctx: BackofficeTestContext,
  sku: string,
  locationId: string,
): Promise<number> {
  const r = await ctx.deps.db
    .selectFrom('reservationLines')
    .innerJoin('reservations', 'reservations.id', 'reservationLines.reservationId')
    .select((eb) => eb.fn.sum<number>('quantity').as('n'))
    .where('status', '=', 'ACTIVE')
    .where('sku', '=', sku)
    .where('locationId', '=', locationId)
    .executeTakeFirstOrThrow();
  const held = await ctx.deps.db
    .selectFrom('fulfilmentLines')
    .innerJoin('fulfilments', 'fulfilments.id', 'fulfilmentLines.fulfilmentId')
    .select((eb) => eb.fn.sum<number>('quantity').as('n'))
    .where('stockHeld', '=', true)
    .where('sku', '=', sku)
    // Where the units are now: an arrived transfer's store, else the fulfilment's location.
    .where((eb) => eb(eb.fn.coalesce('heldAt', 'fulfilments.locationId'), '=', locationId))
    .executeTakeFirstOrThrow();
  return Number(r.n ?? 0) + Number(held.n ?? 0);
}

/** A small seeded generator, so a failing random round can be replayed from its seed. */
export const seeded = seededRandom;
