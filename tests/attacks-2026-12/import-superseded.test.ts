/**
 * Attacks on an import's `supersededRows` (backoffice-layer/import/run-import.ts): a key repeated in one
 * feed, across a batch boundary (small `batchSize`, stock batches pipelined), and a repeated key whose later
 * row is refused. The same feed must leave the same stock whatever the batch size, and the ledger must match.
 * A row refused only when written supersedes nothing: the good row before it lands (it used to be dropped).
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  reserveStock,
  runImport,
  upsertLocation,
  verifyStockLedger,
  type ImportSummary,
} from '../../backoffice-layer/index.js';
import {
  createBackofficeTestContext,
  testProduct,
  type BackofficeTestContext,
} from '../support/backoffice.js';

describe('an import’s superseded rows under attack', () => {
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
  const recorded = async (importId: string) =>
    ctx.deps.db
      .selectFrom('imports')
      .select(['processedRows', 'okRows', 'errorRows', 'status'])
      .where('id', '=', importId)
      .executeTakeFirstOrThrow();

  it('a key repeated in one feed: the last row lands, the rest are superseded, counts add up', async () => {
    const s = await stock(['SUP-A,wh-1,1', 'SUP-B,wh-1,2', 'SUP-A,wh-1,3', 'SUP-A,wh-1,4', 'SUP-B,wh-1,5']);
    expect(s).toMatchObject({
      status: 'COMPLETED',
      rows: 5,
      changedRows: 2,
      supersededRows: 3,
      errorRows: 0,
    });
    expect(s.changedRows + s.unchangedRows + s.supersededRows + s.errorRows).toBe(s.rows);
    expect(await onHand('SUP-A')).toBe(4);
    expect(await onHand('SUP-B')).toBe(5);
    expect(await recorded(s.importId)).toMatchObject({ processedRows: 5, okRows: 5, errorRows: 0 });
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
  });

  it('a key repeated across batches (pipelined stock batches): the feed’s last row wins', async () => {
    // batchSize 2: every batch is a separate transaction, up to three in flight.
    const lines = Array.from({ length: 40 }, (_, i) => `SUP-${'CDE'[i % 3]},wh-1,${100 + i}`);
    const s = await stock(lines, 2);
    expect(s.status).toBe('COMPLETED');
    expect(s.errorRows).toBe(0);
    expect(s.changedRows + s.unchangedRows + s.supersededRows).toBe(40);
    expect(await onHand('SUP-C')).toBe(100 + 39);
    expect(await onHand('SUP-D')).toBe(100 + 37);
    expect(await onHand('SUP-E')).toBe(100 + 38);
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
    // A second run of the same feed with one batch: the earlier rows are superseded, the last equal.
    const again = await stock(lines);
    expect(again).toMatchObject({ changedRows: 0, unchangedRows: 3, supersededRows: 37 });
  });

  it('a new level repeated across batches in flight is created once, not refused', async () => {
    const s = await stock(
      ['SUP-F,wh-1,1', 'SUP-A,wh-1,9', 'SUP-F,wh-1,2', 'SUP-B,wh-1,9', 'SUP-F,wh-1,3'],
      1,
    );
    expect(s).toMatchObject({ status: 'COMPLETED', errorRows: 0, changedRows: 5, supersededRows: 0 });
    expect(await onHand('SUP-F')).toBe(3);
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
  });

  it('a schema-bad later row does not take the earlier good row with it', async () => {
    const s = await stock(['SUP-A,wh-1,21', 'SUP-A,wh-1,-3']);
    expect(s).toMatchObject({ changedRows: 1, supersededRows: 0, errorRows: 1 });
    expect(await onHand('SUP-A')).toBe(21);
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
