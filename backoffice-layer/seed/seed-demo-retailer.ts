import { runWrite } from '../../shared/index.js';
import type { WriteDeps } from '../tables.js';
import { generateDemoRetailer } from './demo-retailer.js';

export interface SeedSummary {
  locations: number;
  products: number;
  priceLists: number;
  prices: number;
  stockLevels: number;
  revision: number;
  skipped: boolean;
}

const CHUNK = 1000;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Loads the demo retailer in one transaction (one revision), with receipts in the stock ledger and the events
 * that announce it. Does nothing (skipped) when the catalogue already has products: seeding never overwrites
 * a retailer's data.
 * @example await seedDemoRetailer(deps);
 */
export async function seedDemoRetailer(deps: WriteDeps): Promise<SeedSummary> {
  const demo = generateDemoRetailer(deps.clock.now());
  const { result, revision } = await runWrite(deps, async (w) => {
    const existing = await w.tx.selectFrom('products').select('sku').limit(1).executeTakeFirst();
    if (existing) return { skipped: true };
    const now = w.now;
    w.atRevision(async (tx, rev) => {
      await tx
        .insertInto('locations')
        .values(
          demo.locations.map((l) => ({
            ...l,
            fulfilment: JSON.stringify(demo.fulfilment.settings[l.id]),
            revision: rev,
            createdAt: now,
            updatedAt: now,
          })),
        )
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            kind: eb.ref('excluded.kind'),
            fulfilsOnline: eb.ref('excluded.fulfilsOnline'),
            fulfilment: eb.ref('excluded.fulfilment'),
            revision: rev,
            updatedAt: now,
          })),
        )
        .execute();
      await tx
        .insertInto('shippingZones')
        .values(demo.fulfilment.shippingZones.map((z) => ({ ...z, revision: rev, updatedAt: now })))
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            countryCode: eb.ref('excluded.countryCode'),
            postcodePrefixes: eb.ref('excluded.postcodePrefixes'),
            transitDays: eb.ref('excluded.transitDays'),
            carrierHolidays: eb.ref('excluded.carrierHolidays'),
            revision: rev,
            updatedAt: now,
          })),
        )
        .execute();
      const sourcing = JSON.stringify(demo.fulfilment.sourcing);
      await tx
        .insertInto('sourcingRules')
        .values({ definition: sourcing, revision: rev, updatedAt: now })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ definition: sourcing, revision: rev, updatedAt: now }),
        )
        .execute();
      for (const part of chunks(demo.products)) {
        await tx
          .insertInto('products')
          .values(
            part.map((p) => ({
              ...p,
              attributes: JSON.stringify(p.attributes),
              status: 'ACTIVE' as const,
              revision: rev,
              createdAt: now,
              updatedAt: now,
            })),
          )
          .onConflict((oc) =>
            oc.column('sku').doUpdateSet((eb) => ({
              name: eb.ref('excluded.name'),
              category: eb.ref('excluded.category'),
              attributes: eb.ref('excluded.attributes'),
              vatRateBp: eb.ref('excluded.vatRateBp'),
              revision: rev,
              updatedAt: now,
            })),
          )
          .execute();
      }
      await tx
        .insertInto('priceLists')
        .values(demo.priceLists.map((l) => ({ ...l, revision: rev, createdAt: now, updatedAt: now })))
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            priority: eb.ref('excluded.priority'),
            validFrom: eb.ref('excluded.validFrom'),
            validTo: eb.ref('excluded.validTo'),
            revision: rev,
            updatedAt: now,
          })),
        )
        .execute();
      for (const part of chunks(demo.prices)) {
        await tx
          .insertInto('prices')
          .values(part.map((p) => ({ ...p, validFrom: null, validTo: null, revision: rev })))
          .onConflict((oc) =>
            oc
              .columns(['priceListId', 'sku', 'minQuantity'])
              .doUpdateSet((eb) => ({ amount: eb.ref('excluded.amount'), revision: rev })),
          )
          .execute();
        await tx
          .insertInto('priceHistory')
          .values(
            part.map((p) => ({
              ...p,
              validFrom: null,
              validTo: null,
              revision: rev,
              changedAt: now,
              source: 'seed',
            })),
          )
          .execute();
      }
      for (const part of chunks(demo.stock)) {
        // Opening stock is booked as the opening stock take (a COUNT, with the level as its delta), so the
        // ledger re-derives every level from the first revision on and no row starts out as never counted.
        await tx
          .insertInto('stockLevels')
          .values(part.map((s) => ({ ...s, reserved: 0, revision: rev, updatedAt: now })))
          .execute();
        await tx
          .insertInto('stockMovements')
          .values(
            part.map((s) => ({
              sku: s.sku,
              locationId: s.locationId,
              kind: 'COUNT' as const,
              onHandDelta: s.onHand,
              reservedDelta: 0,
              safetyStockDelta: s.safetyStock,
              reference: 'seed',
              reason: 'demo retailer opening stock take',
              revision: rev,
              createdAt: now,
            })),
          )
          .execute();
      }
    });
    for (const l of demo.locations)
      w.emit({
        type: 'location.changed',
        aggregateType: 'location',
        aggregateId: l.id,
        payload: { location: l, fulfilment: demo.fulfilment.settings[l.id]! },
      });
    for (const z of demo.fulfilment.shippingZones)
      w.emit({
        type: 'shipping-zone.changed',
        aggregateType: 'shipping-zone',
        aggregateId: z.id,
        payload: { shippingZone: z },
      });
    w.emit({
      type: 'sourcing.changed',
      aggregateType: 'sourcing',
      aggregateId: 'sourcing',
      payload: { sourcing: demo.fulfilment.sourcing },
    });
    for (const l of demo.priceLists)
      w.emit({
        type: 'price-list.changed',
        aggregateType: 'price-list',
        aggregateId: l.id,
        payload: {
          priceList: {
            ...l,
            validFrom: l.validFrom?.toISOString() ?? null,
            validTo: l.validTo?.toISOString() ?? null,
          },
        },
      });
    for (const kind of ['products', 'prices', 'stock'] as const) {
      for (const part of chunks(
        demo.products.map((p) => p.sku),
        500,
      )) {
        w.emit({
          type: 'catalogue.bulk-changed',
          aggregateType: 'catalogue',
          aggregateId: kind,
          payload: { kind, skus: part },
        });
      }
    }
    return { skipped: false };
  });
  return {
    locations: demo.locations.length,
    products: demo.products.length,
    priceLists: demo.priceLists.length,
    prices: demo.prices.length,
    stockLevels: demo.stock.length,
    revision,
    skipped: result.skipped,
  };
}
