import {
  putShippingZone,
  putSourcingRules,
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
  type BackofficeDeps,
} from '../../backoffice-layer/index.js';
import { demoFulfilment } from '../../backoffice-layer/seed/demo-fulfilment.js';

/** The coat every delivery-promise test sells (12995 minor units). */
export const PROMISE_SKU = 'PR-COAT-M';
/** A scarf only the Amsterdam store holds (2495 minor units). */
export const STORE_ONLY_SKU = 'PR-SCARF';

/**
 * The demo retailer's fulfilment, small: warehouse `wh-1` (cut-off 22:00 Europe/Amsterdam, Monday to
 * Saturday), store `ams-01` Amsterdam (fulfils online, ships from store, cut-off 17:00, click & collect) and
 * store `utr-01` Utrecht (click & collect only); zones NL (whole country, 1 carrier day) and BE (2 days); the
 * demo's sourcing rules (fewest shipments, then the warehouse first). Stock: `warehouse` coats at wh-1, 2 at
 * ams-01, none at utr-01; 4 scarves at ams-01 only.
 */
export async function givenPromiseShop(
  deps: BackofficeDeps,
  opts: { warehouse?: number } = {},
): Promise<void> {
  const locations = [
    { id: 'wh-1', name: 'Warehouse Tilburg', kind: 'WAREHOUSE', fulfilsOnline: true },
    { id: 'ams-01', name: 'Amsterdam', kind: 'STORE', fulfilsOnline: true },
    { id: 'utr-01', name: 'Utrecht', kind: 'STORE', fulfilsOnline: false },
  ] as const;
  const demo = demoFulfilment(locations);
  for (const l of locations)
    await upsertLocation(deps, l.id, {
      name: l.name,
      kind: l.kind,
      fulfilsOnline: l.fulfilsOnline,
      fulfilment: demo.settings[l.id]!,
    });
  for (const zone of demo.shippingZones) await putShippingZone(deps, zone);
  await putSourcingRules(deps, demo.sourcing);
  await upsertPriceList(deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
  for (const [sku, amount] of [
    [PROMISE_SKU, 12995],
    [STORE_ONLY_SKU, 2495],
  ] as const) {
    await upsertProduct(deps, sku, {
      name: sku,
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await setPrice(deps, 'base', sku, { amount, minQuantity: 1 });
  }
  await setStockCount(deps, PROMISE_SKU, 'wh-1', { onHand: opts.warehouse ?? 1 });
  await setStockCount(deps, PROMISE_SKU, 'ams-01', { onHand: 2 });
  await setStockCount(deps, PROMISE_SKU, 'utr-01', { onHand: 0 });
  await setStockCount(deps, STORE_ONLY_SKU, 'ams-01', { onHand: 4 });
}
