import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedDemoRetailer } from '../../../backoffice-layer/index.js';
import {
  findCustomerByIdentifier,
  listDataUse,
  placeStoreSale,
  seedDemoJourney,
} from '../../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

describe('a personal offer applied to her order is on her data-use record', () => {
  let ctx: BackofficeTestContext;
  let coat: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedDemoRetailer(ctx.deps);
    await seedDemoJourney(ctx.deps);
    coat = (
      await ctx.deps.db
        .selectFrom('stockLevels')
        .innerJoin('products', 'products.sku', 'stockLevels.sku')
        .select('products.sku')
        .where('products.category', '=', 'coats')
        .where('stockLevels.locationId', '=', 'ams-01')
        .where('stockLevels.onHand', '>', 2)
        .orderBy('products.sku')
        .executeTakeFirstOrThrow()
    ).sku;
  });
  afterAll(async () => ctx.close());

  const personalUses = async (customerId: string) =>
    (await listDataUse(ctx.deps.db, customerId, { first: 200 })).items.filter(
      (u) => u.purpose === 'PERSONALISATION',
    );

  it('records the student offer Chantal got at the till, once, with the order', async () => {
    const chantal = (await findCustomerByIdentifier(ctx.deps.db, 'EMAIL', 'chantal.bakker@example.nl'))!;
    const sale = await placeStoreSale(
      ctx.deps,
      { locationId: 'ams-01', lines: [{ sku: coat, quantity: 1 }], customerId: chantal },
      'chantal-coat',
    );
    expect(sale.quote.lines[0]!.adjustments.map((a) => a.id)).toContain('students-coats');
    expect(await personalUses(chantal)).toEqual([
      expect.objectContaining({
        actor: 'channel:STORE',
        channel: 'STORE',
        what: `applied the personal offer "Student offer: coats" to order ${sale.orderId}`,
      }),
    ]);
    // A replay of the same sale records nothing more.
    await placeStoreSale(
      ctx.deps,
      { locationId: 'ams-01', lines: [{ sku: coat, quantity: 1 }], customerId: chantal },
      'chantal-coat',
    );
    expect(await personalUses(chantal)).toHaveLength(1);
  });

  it('records nothing when no offer of hers used her data', async () => {
    const anne = (await findCustomerByIdentifier(ctx.deps.db, 'EMAIL', 'anne.devries@example.nl'))!;
    const sale = await placeStoreSale(
      ctx.deps,
      { locationId: 'ams-01', lines: [{ sku: coat, quantity: 1 }], customerId: anne },
      'anne-coat',
    );
    expect(sale.quote.lines[0]!.adjustments.map((a) => a.id)).not.toContain('students-coats');
    expect(await personalUses(anne)).toEqual([]);
  });
});
