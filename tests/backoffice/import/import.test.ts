import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  reserveStock,
  runImport,
  verifyStockLedger,
  type ImportSummary,
} from '../../../backoffice-layer/index.js';
import { assertAllRejected, type FuzzCase } from '../../support/fuzz.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

const feed = (text: string) => Readable.from([Buffer.from(text)]);
const count = async (ctx: BackofficeTestContext, table: 'stockMovements' | 'priceHistory' | 'outbox') =>
  Number(
    (
      await ctx.deps.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('bulk import', () => {
  let ctx: BackofficeTestContext;
  let api: AdminClient;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    api = await startAdminApi(ctx);
  });
  afterAll(async () => {
    await api.close();
    await ctx.close();
  });

  it(
    'imports products from CSV, extra columns becoming ' + 'attributes, with per-row errors for bad rows',
    async () => {
      const csv = [
        'sku,name,category,vatRate,size,colour',
        'COAT-1-M,Wollen jas,coats,21,M,navy',
        'COAT-1-L,Wollen jas,coats,21,L,navy',
        'bad sku,X,coats,21,M,red',
        'SOCK-1,Sokken,accessories,abc,,',
        'SOCK-2,Sokken,accessories,9,,',
      ].join('\n');
      const s = await runImport(ctx.deps, {
        kind: 'products',
        format: 'csv',
        input: feed(csv),
        source: 'test',
      });
      expect(s).toMatchObject({ rows: 5, changedRows: 3, errorRows: 2, status: 'COMPLETED' });
      expect(s.errors.map((e) => e.line)).toEqual([4, 5]);
      expect(s.errors[0]!.message).toMatch(/sku/);
      expect(s.errors[1]!.message).toMatch(/vatRate/);
      const p = await ctx.deps.db
        .selectFrom('products')
        .selectAll()
        .where('sku', '=', 'COAT-1-M')
        .executeTakeFirstOrThrow();
      expect(p).toMatchObject({
        name: 'Wollen jas',
        vatRateBp: 2100,
        attributes: { size: 'M', colour: 'navy' },
      });
      const sock = await ctx.deps.db
        .selectFrom('products')
        .select('attributes')
        .where('sku', '=', 'SOCK-2')
        .executeTakeFirstOrThrow();
      expect(sock.attributes).toEqual({});
    },
  );

  it('imports locations-bound stock from NDJSON; re-running the same file changes nothing', async () => {
    await ctx.deps.db
      .insertInto('locations')
      .values([
        {
          id: 'wh-1',
          name: 'Warehouse',
          kind: 'WAREHOUSE',
          fulfilsOnline: true,
          revision: 0,
          createdAt: new Date(),
          updatedAt: new Date(),
        },
        {
          id: 'ams-01',
          name: 'Amsterdam',
          kind: 'STORE',
          fulfilsOnline: false,
          revision: 0,
          createdAt: new Date(),
          updatedAt: new Date(),
        },
      ])
      .execute();
    const ndjson =
      [
        { sku: 'COAT-1-M', locationId: 'wh-1', onHand: 12, safetyStock: 2 },
        { sku: 'COAT-1-L', locationId: 'wh-1', onHand: '7' },
        { sku: 'COAT-1-M', locationId: 'ams-01', onHand: 3 },
        { sku: 'NOPE', locationId: 'wh-1', onHand: 1 },
        { sku: 'COAT-1-M', locationId: 'nowhere', onHand: 1 },
        { sku: 'COAT-1-L', locationId: 'ams-01', onHand: -1 },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n{broken json\n';
    const first = await runImport(ctx.deps, {
      kind: 'stock',
      format: 'ndjson',
      input: feed(ndjson),
      source: 'test',
      batchSize: 2,
    });
    expect(first).toMatchObject({ rows: 7, changedRows: 3, errorRows: 4 });
    expect(first.errors.map((e) => [e.line, e.message])).toEqual(
      expect.arrayContaining([
        [4, 'unknown SKU NOPE'],
        [5, 'unknown location nowhere'],
        [6, expect.stringMatching(/onHand/)],
        [7, 'not valid JSON'],
      ]),
    );
    expect(first.revisions).not.toBeNull();
    const levels = await ctx.deps.db
      .selectFrom('stockLevels')
      .select(['sku', 'locationId', 'onHand', 'safetyStock'])
      .orderBy('sku')
      .orderBy('locationId')
      .execute();
    expect(levels).toEqual([
      { sku: 'COAT-1-L', locationId: 'wh-1', onHand: 7, safetyStock: 0 },
      { sku: 'COAT-1-M', locationId: 'ams-01', onHand: 3, safetyStock: 0 },
      { sku: 'COAT-1-M', locationId: 'wh-1', onHand: 12, safetyStock: 2 },
    ]);
    const before = { movements: await count(ctx, 'stockMovements'), outbox: await count(ctx, 'outbox') };
    const again = await runImport(ctx.deps, {
      kind: 'stock',
      format: 'ndjson',
      input: feed(ndjson),
      source: 'test',
      batchSize: 2,
    });
    expect(again).toMatchObject({ changedRows: 0, unchangedRows: 3, errorRows: 4, revisions: null });
    expect({ movements: await count(ctx, 'stockMovements'), outbox: await count(ctx, 'outbox') }).toEqual(
      before,
    );
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
    const events = await ctx.deps.db
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'catalogue.bulk-changed')
      .where('aggregateId', '=', 'stock')
      .execute();
    expect(events.flatMap((e) => (e.payload as { skus: string[] }).skus).sort()).toEqual([
      'COAT-1-L',
      'COAT-1-M',
      'COAT-1-M',
    ]);
  });

  it('refuses an on-hand below the units reserved for customers, and keeps the ledger exact', async () => {
    await reserveStock(ctx.deps, { lines: [{ sku: 'COAT-1-M', locationId: 'wh-1', quantity: 5 }] }, 'hold-5');
    const s = await runImport(ctx.deps, {
      kind: 'stock',
      format: 'csv',
      input: feed('sku,locationId,onHand\nCOAT-1-M,wh-1,4\nCOAT-1-M,ams-01,9\n'),
      source: 'test',
    });
    expect(s).toMatchObject({
      changedRows: 1,
      errorRows: 1,
      errors: [{ line: 2, message: 'onHand 4 is below the 5 units reserved for customers' }],
    });
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
  });

  it('imports prices with history; the last row for a key wins; unknown lists are row errors', async () => {
    await ctx.deps.db
      .insertInto('priceLists')
      .values({
        id: 'base',
        name: 'Base',
        currency: 'EUR',
        priority: 0,
        validFrom: null,
        validTo: null,
        revision: 0,
        createdAt: new Date(),
        updatedAt: new Date(),
      })
      .execute();
    const csv =
      'priceListId,sku,amount,minQuantity,validFrom,validTo\nbase,COAT-1-M,12995,,,\n' +
      'base,COAT-1-M,11995,,,\nbase,SOCK-2,999,3,2026-12-01T00:00:00Z,\nnope,SOCK-2,1,,,\n' +
      'base,SOCK-2,1.5,,,\n';
    const s = await runImport(ctx.deps, { kind: 'prices', format: 'csv', input: feed(csv), source: 'test' });
    expect(s).toMatchObject({ rows: 5, changedRows: 2, errorRows: 2 });
    const prices = await ctx.deps.db
      .selectFrom('prices')
      .select(['sku', 'minQuantity', 'amount', 'validFrom'])
      .orderBy('sku')
      .execute();
    expect(prices).toEqual([
      { sku: 'COAT-1-M', minQuantity: 1, amount: 11995, validFrom: null },
      { sku: 'SOCK-2', minQuantity: 3, amount: 999, validFrom: new Date('2026-12-01T00:00:00Z') },
    ]);
    const history = await count(ctx, 'priceHistory');
    expect(history).toBe(2);
    await runImport(ctx.deps, { kind: 'prices', format: 'csv', input: feed(csv), source: 'test' });
    expect(await count(ctx, 'priceHistory')).toBe(2);
  });

  it('streams a feed over REST, reports progress and result, and rejects bad requests with 4xx', async () => {
    const body = 'sku,locationId,onHand\nCOAT-1-L,ams-01,4\nNOPE,ams-01,1\n';
    const res = await api.request('POST', '/admin/v1/imports?kind=stock', body, {
      'content-type': 'text/csv',
    });
    expect(res.status).toBe(201);
    const summary = res.body as ImportSummary;
    expect(summary).toMatchObject({ changedRows: 1, errorRows: 1, status: 'COMPLETED' });
    const status = await api.request('GET', `/admin/v1/imports/${summary.importId}`);
    expect(status.body.import).toMatchObject({
      status: 'COMPLETED',
      processedRows: 2,
      okRows: 1,
      errorRows: 1,
      errors: [{ row: 3, code: 'BAD_USER_INPUT', message: 'unknown SKU NOPE' }],
    });
    expect((await api.request('GET', '/admin/v1/imports')).body.imports[0].id).toBe(summary.importId);

    const cases: fc.Arbitrary<FuzzCase> = fc.oneof(
      fc
        .constantFrom('?kind=stocks', '?kind=', '', '?kind=stock&format=xml', '?kind=stock&extra=1')
        .map((q) => ({ method: 'POST', path: `/admin/v1/imports${q}`, raw: 'sku,locationId,onHand\n' })),
      fc
        .constantFrom(
          '/admin/v1/imports/not-a-uuid',
          '/admin/v1/imports/00000000-0000-4000-8000-000000000000',
        )
        .map((path) => ({ method: 'GET', path })),
    );
    await assertAllRejected(ctx, api, cases, 40);
    const wrongType = await api.request('POST', '/admin/v1/imports?kind=stock', 'x', {
      'content-type': 'application/pdf',
    });
    expect(wrongType).toMatchObject({ status: 400, body: { code: 'BAD_USER_INPUT' } });
  });
});
