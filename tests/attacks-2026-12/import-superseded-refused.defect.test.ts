/**
 * A defect found attacking an import's `supersededRows` (backoffice-layer/import/run-import.ts): a key
 * repeated in one batch whose later row is refused when written (on-hand below what is reserved) takes the
 * earlier good row with it, so the same feed leaves other stock depending on the batch size.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reserveStock, runImport, upsertLocation, type ImportSummary } from '../../backoffice-layer/index.js';
import {
  createBackofficeTestContext,
  testProduct,
  type BackofficeTestContext,
} from '../support/backoffice.js';

describe('an import’s superseded rows when the later row is refused', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    for (const s of ['SUP-A', 'SUP-B', 'SUP-C', 'SUP-D', 'SUP-E', 'SUP-F']) await testProduct(ctx, s);
  });
  afterAll(async () => {
    await ctx.close();
  });

  const onHand = async (sku: string) =>
    (
      await ctx.deps.db
        .selectFrom('stockLevels')
        .select('onHand')
        .where('sku', '=', sku)
        .where('locationId', '=', 'wh-1')
        .executeTakeFirst()
    )?.onHand ?? null;
  const stock = (lines: string[], batchSize?: number): Promise<ImportSummary> =>
    runImport(ctx.deps, {
      kind: 'stock',
      format: 'csv',
      input: Readable.from([['sku,locationId,onHand', ...lines].join('\n')]),
      source: 'attack',
      ...(batchSize ? { batchSize } : {}),
    });

  /**
   * The later row is refused only when written (on-hand below what is reserved). Decided here: a refused row
   * supersedes nothing — the earlier good row lands, as it does when the two rows fall in separate batches
   * and as it does when the later row is refused by the schema. The end state must not depend on batchSize.
   */
  it('a later row refused at write time: the same end state whatever the batch size', async () => {
    await stock(['SUP-B,wh-1,50']);
    await reserveStock(
      ctx.deps,
      { lines: [{ sku: 'SUP-B', locationId: 'wh-1', quantity: 5 }], ttlSeconds: 600 },
      'sup-hold',
    );
    const feed = ['SUP-B,wh-1,10', 'SUP-B,wh-1,2']; // 2 < 5 reserved: refused
    const apart = await stock(feed, 1);
    expect(apart).toMatchObject({ changedRows: 1, errorRows: 1, supersededRows: 0 });
    expect(await onHand('SUP-B')).toBe(10);
    await stock(['SUP-B,wh-1,50']);

    const together = await stock(feed);
    expect({ errorRows: together.errorRows, onHand: await onHand('SUP-B') }).toEqual({
      errorRows: 1,
      onHand: 10,
    });
    // A row counted superseded must have been replaced by a row that landed.
    expect(together.supersededRows).toBe(0);
    expect(together.changedRows).toBe(1);
  });
});
