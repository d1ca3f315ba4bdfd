/**
 * The fast path of CSV stock feeds (`plainStockReader`): it takes only rows the row schema accepts as they
 * are, and makes of them exactly the schema's row; every other row goes through the schema. So a feed's rows
 * land or are refused with the same messages whichever path reads them: the same bad rows are fed as CSV
 * (fast path) and as NDJSON of the same strings (schema path), and their reports compared.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { runImport, verifyStockLedger } from '../../../backoffice-layer/index.js';
import { plainStockReader, ROW_SCHEMAS } from '../../../backoffice-layer/import/import-rows.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue } from '../stock/fixtures.js';

const COLUMNS = ['sku', 'locationId', 'onHand', 'safetyStock'];

/** What the schema makes of the same fields: the row, or undefined when it refuses them. */
function bySchema(columns: string[], fields: string[]): unknown {
  const parsed = ROW_SCHEMAS.stock.safeParse(Object.fromEntries(columns.map((c, i) => [c, fields[i]])));
  return parsed.success ? parsed.data : undefined;
}

/** Fields that are plainly valid, nearly so, or bad in each way the schema refuses. */
const FIELDS: string[][] = [
  ['SKU-1', 'LOC-1', '7', '2'],
  ['SKU-1', 'LOC-1', '7', ''],
  ['SKU-1', 'LOC-1', '0007', '0'],
  ['SKU-1', 'LOC-1', '100000000', '100000000'],
  ['SKU-1', 'LOC-1', '100000001', ''],
  ['SKU-1', 'LOC-1', '999999999', ''],
  ['SKU-1', 'LOC-1', '0000000000007', ''],
  ['SKU-1', 'LOC-1', '-1', ''],
  ['SKU-1', 'LOC-1', '-0', ''],
  ['SKU-1', 'LOC-1', '1.5', ''],
  ['SKU-1', 'LOC-1', '1e3', ''],
  ['SKU-1', 'LOC-1', '', ''],
  ['SKU-1', 'LOC-1', 'abc', ''],
  ['SKU-1', 'LOC-1', '7', '-2'],
  ['SKU-1', 'LOC-1', '7', 'x'],
  ['bad sku', 'LOC-1', '7', ''],
  ['-SKU', 'LOC-1', '7', ''],
  ['', 'LOC-1', '7', ''],
  ['SKU-1', '', '7', ''],
  ['SKU-1', 'LOC/1', '7', ''],
  ['S'.repeat(65), 'LOC-1', '7', ''],
  ['S'.repeat(64), 'L'.repeat(64), '7', ''],
  ['SKÜ-1', 'LOC-1', '7', ''],
  ['SKU-1\u0000', 'LOC-1', '7', ''],
  ['SKU-1', 'LOC-1', '٣', ''],
];

describe('the fast path of CSV stock feeds', () => {
  it('reads only headers of the stock columns, each once, with sku, locationId and onHand', () => {
    expect(plainStockReader(COLUMNS)).toBeDefined();
    expect(plainStockReader(['onHand', 'locationId', 'sku'])).toBeDefined();
    expect(plainStockReader(['sku', 'locationId'])).toBeUndefined();
    expect(plainStockReader([...COLUMNS, 'colour'])).toBeUndefined();
    expect(plainStockReader(['sku', 'sku', 'locationId', 'onHand'])).toBeUndefined();
  });

  it('takes a row only when the schema takes it, and then makes the same row', () => {
    for (const columns of [COLUMNS, ['onHand', 'sku', 'safetyStock', 'locationId']]) {
      const read = plainStockReader(columns)!;
      for (const f of FIELDS) {
        const fields = columns.map((c) => f[COLUMNS.indexOf(c)]!);
        const fast = read(fields);
        const schema = bySchema(columns, fields);
        if (fast !== undefined) expect(fast).toEqual(schema);
        if (schema === undefined) expect(fast).toBeUndefined();
      }
    }
    // the plain rows do take the fast path
    expect(plainStockReader(COLUMNS)!(['SKU-1', 'LOC-1', '0007', ''])).toEqual({
      sku: 'SKU-1',
      locationId: 'LOC-1',
      onHand: 7,
      safetyStock: undefined,
    });
  });

  it('agrees with the schema on any fields', () => {
    const read = plainStockReader(COLUMNS)!;
    const text = fc.string({ unit: fc.constantFrom(...'aZ09-._ /é\u0000+e'.split('')), maxLength: 12 });
    const count = fc.oneof(text, fc.integer({ min: -5, max: 2e8 }).map(String), fc.constant(''));
    fc.assert(
      fc.property(text, text, count, count, (sku, loc, onHand, safety) => {
        const fields = [sku, loc, onHand, safety];
        const fast = read(fields);
        const schema = bySchema(COLUMNS, fields);
        if (schema === undefined) expect(fast).toBeUndefined();
        else if (fast !== undefined) expect(fast).toEqual(schema);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a stock feed read by either path', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await givenCatalogue(ctx, ['SKU-1', 'SKU-2'], ['LOC-1', 'LOC-2']);
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('lands the same rows and refuses the same bad rows with the same lines and messages', async () => {
    const rows = [
      ['SKU-1', 'LOC-1', '7', '2'],
      ['SKU-1', 'LOC-2', '0009', ''],
      ['SKU-2', 'LOC-1', '-1', ''],
      ['SKU-2', 'LOC-1', '1.5', ''],
      ['SKU-2', 'LOC-1', '100000001', ''],
      ['SKU-2', 'LOC-1', '3', 'x'],
      ['bad sku', 'LOC-1', '3', ''],
      ['SKU-2', 'LOC/2', '3', ''],
      ['NOPE', 'LOC-1', '3', ''],
      ['SKU-2', 'NOWHERE', '3', ''],
      ['SKU-2', 'LOC-2', '', ''],
      ['SKU-2', 'LOC-2', '4', '1'],
    ];
    const csv = `${COLUMNS.join(',')}\n${rows.map((r) => r.join(',')).join('\n')}\n`;
    const ndjson = rows
      .map((r) => JSON.stringify(Object.fromEntries(COLUMNS.map((c, i) => [c, r[i]]))))
      .join('\n');
    const run = async (format: 'csv' | 'ndjson', text: string) =>
      runImport(ctx.deps, {
        kind: 'stock',
        format,
        input: Readable.from([Buffer.from(text)]),
        source: format,
      });
    const levels = () =>
      ctx.deps.db
        .selectFrom('stockLevels')
        .select(['sku', 'locationId', 'onHand', 'safetyStock'])
        .orderBy('sku')
        .orderBy('locationId')
        .execute();

    const viaSchema = await run('ndjson', ndjson);
    const landed = await levels();
    // the same rows again through the fast path: a CSV line n is the NDJSON line n - 1
    await ctx.deps.pool.query('DELETE FROM stock_movements; DELETE FROM stock_levels');
    const viaFastPath = await run('csv', csv);

    expect(viaSchema).toMatchObject({ rows: 12, changedRows: 3, errorRows: 9 });
    expect(viaFastPath).toMatchObject({ rows: 12, changedRows: 3, errorRows: 9 });
    expect(viaFastPath.errors).toEqual(viaSchema.errors.map((e) => ({ ...e, line: e.line + 1 })));
    expect(viaSchema.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^onHand: /),
      expect.stringMatching(/^onHand: /),
      expect.stringMatching(/^onHand: /),
      expect.stringMatching(/^safetyStock: /),
      expect.stringMatching(/^sku: a SKU/),
      expect.stringMatching(/^locationId: a location id/),
      'unknown SKU NOPE',
      'unknown location NOWHERE',
      expect.stringMatching(/^onHand: /),
    ]);
    expect(await levels()).toEqual(landed);
    expect(landed).toEqual([
      { sku: 'SKU-1', locationId: 'LOC-1', onHand: 7, safetyStock: 2 },
      { sku: 'SKU-1', locationId: 'LOC-2', onHand: 9, safetyStock: 0 },
      { sku: 'SKU-2', locationId: 'LOC-2', onHand: 4, safetyStock: 1 },
    ]);
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
  });
});
