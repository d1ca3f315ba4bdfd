import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reserveStock, runImport, type ImportSummary } from '../../../backoffice-layer/index.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  testProduct,
  type AdminClient,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

const MB = 1024 * 1024;

/** A feed of `size` bytes of one repeated chunk, produced as it is read (never held whole). */
function* filler(size: number, chunk = Buffer.alloc(64 * 1024, 'x')): Generator<Buffer> {
  for (let left = size; left > 0; left -= chunk.length)
    yield left >= chunk.length ? chunk : chunk.subarray(0, left);
}

describe('imports never crash, never write half, and report every bad row with its line', () => {
  let ctx: BackofficeTestContext;
  let api: AdminClient;
  const onHand = async (sku: string, locationId: string) =>
    (
      await ctx.deps.db
        .selectFrom('stockLevels')
        .select('onHand')
        .where('sku', '=', sku)
        .where('locationId', '=', locationId)
        .executeTakeFirst()
    )?.onHand ?? null;
  const postCsv = (kind: string, body: string) =>
    api.request('POST', `/admin/v1/imports?kind=${kind}`, body, { 'content-type': 'text/csv' });

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    api = await startAdminApi(ctx);
    const at = new Date();
    await ctx.deps.db
      .insertInto('locations')
      .values([
        {
          id: 'ams-01',
          name: 'Amsterdam',
          kind: 'STORE',
          fulfilsOnline: false,
          revision: 0,
          createdAt: at,
          updatedAt: at,
        },
        {
          id: 'wh-1',
          name: 'Warehouse',
          kind: 'WAREHOUSE',
          fulfilsOnline: true,
          revision: 0,
          createdAt: at,
          updatedAt: at,
        },
      ])
      .execute();
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
        createdAt: at,
        updatedAt: at,
      })
      .execute();
    for (const sku of ['NK-ACC-MUTS-NAVY', 'NK-ACC-MUTS-OCHRE', 'NK-ACC-MUTS-GREY'])
      await testProduct(ctx, sku);
  });
  afterAll(async () => {
    await api.close();
    await ctx.close();
  });

  it(
    'a CSV row with too few or too many fields is a row ' + 'error with its line; every good row lands',
    async () => {
      const body = [
        'sku,locationId,onHand',
        'NK-ACC-MUTS-NAVY,ams-01,5',
        'NK-ACC-MUTS-OCHRE,ams-01',
        'NK-ACC-MUTS-GREY,ams-01,7',
        'NK-ACC-MUTS-NAVY,wh-1,2,9',
        'NK-ACC-MUTS-GREY,wh-1,3',
      ].join('\r\n');
      const res = await postCsv('stock', body);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        status: 'COMPLETED',
        rows: 5,
        changedRows: 3,
        unchangedRows: 0,
        errorRows: 2,
      });
      expect((res.body as ImportSummary).errors).toEqual([
        { line: 3, message: 'CSV: 2 fields where the header has 3 (sku,locationId,onHand)' },
        { line: 5, message: 'CSV: 4 fields where the header has 3 (sku,locationId,onHand)' },
      ]);
      expect([
        await onHand('NK-ACC-MUTS-NAVY', 'ams-01'),
        await onHand('NK-ACC-MUTS-GREY', 'ams-01'),
        await onHand('NK-ACC-MUTS-GREY', 'wh-1'),
      ]).toEqual([5, 7, 3]);
      expect([await onHand('NK-ACC-MUTS-OCHRE', 'ams-01'), await onHand('NK-ACC-MUTS-NAVY', 'wh-1')]).toEqual(
        [null, null],
      );
      const stored = await api.request('GET', `/admin/v1/imports/${(res.body as ImportSummary).importId}`);
      expect(stored.body.import).toMatchObject({
        status: 'COMPLETED',
        processedRows: 5,
        okRows: 3,
        errorRows: 2,
        errors: [
          { row: 3, code: 'BAD_USER_INPUT' },
          { row: 5, code: 'BAD_USER_INPUT' },
        ],
      });
    },
  );

  it('a quote left open is reported on the line it opens; the rows before it land', async () => {
    const body =
      'sku,locationId,onHand\nNK-ACC-MUTS-NAVY,ams-01,6\n"NK-ACC-MUTS-OCHRE,ams-01,1\n' +
      'NK-ACC-MUTS-GREY,ams-01,8\n';
    const res = await postCsv('stock', body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'COMPLETED', rows: 2, changedRows: 1, errorRows: 1 });
    expect((res.body as ImportSummary).errors).toEqual([
      {
        line: 3,
        message:
          'a quoted field opened on this line is never closed (lines 3–5, the rest of the ' +
          'feed, were read as part of it)',
      },
    ]);
    expect(await onHand('NK-ACC-MUTS-NAVY', 'ams-01')).toBe(6);
    expect(await onHand('NK-ACC-MUTS-GREY', 'ams-01')).toBe(7);
    // Quoted fields themselves are read as CSV defines them, line breaks, commas and doubled quotes included.
    const quoted = await postCsv(
      'products',
      'sku,name,category,vatRate\nNK-ACC-MUTS-NAVY,"Muts, ""navy""\nwol",accessories,21\n' +
        'NK-ACC-MUTS-GREY,Muts "grijs",accessories,21\n',
    );
    expect(quoted.body).toMatchObject({
      status: 'COMPLETED',
      rows: 2,
      changedRows: 1,
      errorRows: 1,
      errors: [{ line: 4, message: expect.stringMatching(/field 2: a quote inside an unquoted field/) }],
    });
    expect(
      (
        await ctx.deps.db
          .selectFrom('products')
          .select('name')
          .where('sku', '=', 'NK-ACC-MUTS-NAVY')
          .executeTakeFirstOrThrow()
      ).name,
    ).toBe('Muts, "navy"\nwol');
  });

  it(
    'a CSV header that cannot be read fails the import with nothing written, answered as a 400 ' +
      'problem with the import id',
    async () => {
      const res = await postCsv('stock', 'sku,loc"ationId,onHand\nNK-ACC-MUTS-NAVY,ams-01,1\n');
      expect(res).toMatchObject({
        status: 400,
        body: {
          code: 'BAD_USER_INPUT',
          status: 400,
          line: 3,
          rows: 0,
          changedRows: 0,
          detail: expect.stringMatching(
            /^The CSV header \(line 1\) cannot be read: a quoted field opened on this line is never closed/,
          ),
        },
      });
      const stored = await api.request('GET', `/admin/v1/imports/${res.body.importId as string}`);
      expect(stored.body.import).toMatchObject({
        status: 'FAILED',
        processedRows: 0,
        okRows: 0,
        revision: null,
        errors: [{ row: 3, code: 'BAD_USER_INPUT' }],
      });
      expect(await onHand('NK-ACC-MUTS-NAVY', 'ams-01')).toBe(6);
    },
  );

  it('a CSV header naming a column twice fails the import, nothing written, as a 400', async () => {
    const res = await postCsv('stock', 'sku,locationId,onHand,onHand\nNK-ACC-MUTS-NAVY,ams-01,9,8\n');
    expect(res).toMatchObject({
      status: 400,
      body: {
        code: 'BAD_USER_INPUT',
        changedRows: 0,
        detail: 'The CSV header (line 1) names the column "onHand" twice: which one counts is unclear',
      },
    });
    expect(await onHand('NK-ACC-MUTS-NAVY', 'ams-01')).toBe(6);
  });

  it('a key given twice in one feed: the later row wins, the earlier is counted as superseded', async () => {
    const body = [
      'sku,locationId,onHand',
      'NK-ACC-MUTS-GREY,wh-1,11',
      'NK-ACC-MUTS-NAVY,wh-1,12',
      'NK-ACC-MUTS-GREY,wh-1,13',
      'NK-ACC-MUTS-GREY,wh-1,14',
    ].join('\n');
    const res = await postCsv('stock', body);
    expect(res).toMatchObject({
      status: 201,
      body: { rows: 4, changedRows: 2, unchangedRows: 0, supersededRows: 2, errorRows: 0 },
    });
    expect(await onHand('NK-ACC-MUTS-GREY', 'wh-1')).toBe(14);
    expect(await onHand('NK-ACC-MUTS-NAVY', 'wh-1')).toBe(12);
    const { importId } = res.body as ImportSummary;
    const progress = await api.request('GET', `/admin/v1/imports/${importId}`);
    expect(progress.body).toMatchObject({ import: { processedRows: 4, okRows: 4, errorRows: 0 } });
  });

  it(
    '10,000 good rows and one with a NUL byte: the NUL row is a row error with its line, the ' +
      '10,000 land, COMPLETED',
    async () => {
      const lines = ['sku,name,category,vatRate'];
      for (let i = 0; i < 10_000; i++) {
        lines.push(`BULK-${String(i).padStart(5, '0')},Jas ${i},coats,21`);
        if (i === 4999) lines.push('BULK-NUL,Jas\u0000 met NUL,coats,21');
      }
      const res = await postCsv('products', `${lines.join('\n')}\n`);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        status: 'COMPLETED',
        rows: 10_001,
        changedRows: 10_000,
        unchangedRows: 0,
        errorRows: 1,
      });
      expect((res.body as ImportSummary).errors).toEqual([
        { line: 5002, message: 'name: holds a NUL character (\\u0000), which cannot be stored' },
      ]);
      const bulk = await ctx.deps.db
        .selectFrom('products')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('sku', 'like', 'BULK-%')
        .executeTakeFirstOrThrow();
      expect(Number(bulk.n)).toBe(10_000);
      const stored = await api.request('GET', `/admin/v1/imports/${(res.body as ImportSummary).importId}`);
      expect(stored.body.import).toMatchObject({
        status: 'COMPLETED',
        processedRows: 10_001,
        okRows: 10_000,
        errorRows: 1,
        errors: [{ row: 5002, code: 'BAD_USER_INPUT' }],
      });
    },
    60_000,
  );

  it(
    'lone surrogates and bytes that are not UTF-8 are row errors at the boundary, in NDJSON and ' +
      'CSV alike',
    async () => {
      const ndjson = [
        '{"sku":"NK-ACC-MUTS-NAVY","locationId":"wh-1","onHand":4}',
        '{"sku":"NK-ACC-MUTS-GREY","locationId":"wh-1","onHand":5,"note\\u0000":1}',
        '{"sku":"NK-ACC-MUTS-GREY\\ud800","locationId":"wh-1","onHand":5}',
      ].join('\n');
      const n = await api.request('POST', '/admin/v1/imports?kind=stock', ndjson, {
        'content-type': 'application/x-ndjson',
      });
      expect(n.body).toMatchObject({ status: 'COMPLETED', rows: 3, changedRows: 1, errorRows: 2 });
      expect((n.body as ImportSummary).errors).toEqual([
        {
          line: 2,
          message: 'note\\u0000: the field name holds a NUL character (\\u0000), which cannot be stored',
        },
        { line: 3, message: 'sku: holds a lone UTF-16 surrogate (not valid Unicode text)' },
      ]);
      const csv = Buffer.concat([
        Buffer.from('sku,locationId,onHand\nNK-ACC-MUTS-GREY,wh-1,'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('\nNK-ACC-MUTS-OCHRE,wh-1,2\n'),
      ]);
      const s = await runImport(ctx.deps, {
        kind: 'stock',
        format: 'csv',
        input: Readable.from([csv]),
        source: 'test',
      });
      expect(s).toMatchObject({
        status: 'COMPLETED',
        rows: 2,
        changedRows: 1,
        errorRows: 1,
        errors: [{ line: 2, message: 'not valid UTF-8 text' }],
      });
      expect(await onHand('NK-ACC-MUTS-OCHRE', 'wh-1')).toBe(2);
    },
  );

  it('a row the database refuses is a row error of its own; the rest of its batch lands', async () => {
    const csv =
      'priceListId,sku,amount,minQuantity,validFrom,validTo\nbase,NK-ACC-MUTS-NAVY,1995,,,\n' +
      'base,NK-ACC-MUTS-GREY,1895,,0000-01-01T00:00:00Z,\nbase,NK-ACC-MUTS-OCHRE,1795,,,\n';
    const res = await postCsv('prices', csv);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'COMPLETED',
      rows: 3,
      changedRows: 2,
      errorRows: 1,
      errors: [{ line: 3, message: 'the database refused a value of this row (out of range or malformed)' }],
    });
    const prices = await ctx.deps.db
      .selectFrom('prices')
      .select(['sku', 'amount'])
      .where('priceListId', '=', 'base')
      .orderBy('sku')
      .execute();
    expect(prices).toEqual([
      { sku: 'NK-ACC-MUTS-NAVY', amount: 1995 },
      { sku: 'NK-ACC-MUTS-OCHRE', amount: 1795 },
    ]);
  });

  it('a count below the units reserved is a row error of its own; the rest of its batch lands', async () => {
    await runImport(ctx.deps, {
      kind: 'stock',
      format: 'csv',
      input: Readable.from(['sku,locationId,onHand\nNK-ACC-MUTS-NAVY,ams-01,5\n']),
      source: 'test',
    });
    await reserveStock(
      ctx.deps,
      { lines: [{ sku: 'NK-ACC-MUTS-NAVY', locationId: 'ams-01', quantity: 4 }] },
      'rule-1',
    );
    const s = await runImport(ctx.deps, {
      kind: 'stock',
      format: 'csv',
      input: Readable.from([
        'sku,locationId,onHand\nNK-ACC-MUTS-OCHRE,ams-01,61\nNK-ACC-MUTS-NAVY,ams-01,2\n' +
          'NK-ACC-MUTS-GREY,ams-01,71\n',
      ]),
      source: 'test',
    });
    expect(s).toMatchObject({
      status: 'COMPLETED',
      rows: 3,
      changedRows: 2,
      errorRows: 1,
      errors: [{ line: 3, message: 'onHand 2 is below the 4 units reserved for customers' }],
    });
    expect([
      await onHand('NK-ACC-MUTS-OCHRE', 'ams-01'),
      await onHand('NK-ACC-MUTS-NAVY', 'ams-01'),
      await onHand('NK-ACC-MUTS-GREY', 'ams-01'),
    ]).toEqual([61, 5, 71]);
  });

  it(
    'reports row errors by line, whether a row was refused ' + 'while read or when its batch was written',
    async () => {
      // NK-ACC-MUTS-NAVY still has 4 units reserved (above): line 3 is refused when the batch is written,
      // after line 4 was already refused while it was read.
      const s = await runImport(ctx.deps, {
        kind: 'stock',
        format: 'csv',
        input: Readable.from([
          'sku,locationId,onHand\nNK-ACC-MUTS-OCHRE,ams-01,62\nNK-ACC-MUTS-NAVY,ams-01,1\nbroken,row\n',
        ]),
        source: 'test',
      });
      expect(s.errors.map((e) => e.line)).toEqual([3, 4]);
    },
  );

  it(
    'an NDJSON line of 200 MB is a row error with its line, read ' +
      'in flat memory; the lines after it land',
    async () => {
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 10);
      const feed = Readable.from(
        (function* () {
          yield Buffer.from('{"sku":"NK-ACC-MUTS-NAVY","locationId":"ams-01","onHand":11}\n{"sku":"');
          yield* filler(200 * MB);
          yield Buffer.from('"}\n{"sku":"NK-ACC-MUTS-GREY","locationId":"ams-01","onHand":12}\n');
        })(),
      );
      const s = await runImport(ctx.deps, {
        kind: 'stock',
        format: 'ndjson',
        input: feed,
        source: 'test',
      }).finally(() => clearInterval(sampler));
      expect(s).toMatchObject({
        status: 'COMPLETED',
        rows: 3,
        changedRows: 2,
        errorRows: 1,
        errors: [
          {
            line: 2,
            message: 'the record is longer than 1048576 bytes; line 2 skipped up to the next line break',
          },
        ],
      });
      expect(s.bytes).toBeGreaterThan(200 * MB);
      expect(peak - before).toBeLessThan(60 * MB);
      expect([
        await onHand('NK-ACC-MUTS-NAVY', 'ams-01'),
        await onHand('NK-ACC-MUTS-GREY', 'ams-01'),
      ]).toEqual([11, 12]);
    },
    60_000,
  );

  it(
    'an oversized CSV record, an unclosed quote mid-file included, is a row error; reading ' +
      'resumes at the next line',
    async () => {
      const feed = Readable.from(
        (function* () {
          yield Buffer.from('sku,locationId,onHand\nNK-ACC-MUTS-NAVY,ams-01,21\nNK-ACC-MUTS-OCHRE,ams-01,"');
          yield* filler(3 * MB);
          yield Buffer.from('"\n"NK-ACC-MUTS-OCHRE,wh-1,1\n');
          for (let i = 0; i < 20_000; i++) yield Buffer.from(`${'x'.repeat(60)}\n`);
          yield Buffer.from('NK-ACC-MUTS-GREY,ams-01,22\n');
        })(),
      );
      const s = await runImport(ctx.deps, { kind: 'stock', format: 'csv', input: feed, source: 'test' });
      expect(s.errors.slice(0, 2)).toEqual([
        {
          line: 3,
          message:
            'the record is longer than 1048576 bytes (inside a quoted field); line 3 skipped up ' +
            'to the next line break',
        },
        {
          line: 4,
          message: expect.stringMatching(
            new RegExp(
              '^the record is longer than 1048576 bytes \\(inside a quoted field\\); lines 4–\\d+ ' +
                'skipped up to the next line break$',
            ),
          ),
        },
      ]);
      // Past the skipped lines every line is read afresh: the filler lines are rows of their own, each
      // reported.
      const resumed = Number(/lines 4–(\d+)/.exec(s.errors[1]!.message)![1]) + 1;
      expect(resumed).toBeGreaterThan(4 + MB / 61);
      expect(s).toMatchObject({
        status: 'COMPLETED',
        rows: 1 + 2 + (20_005 - resumed) + 1,
        changedRows: 2,
        errorRows: 2 + (20_005 - resumed),
      });
      expect(s.errors[2]).toEqual({
        line: resumed,
        message: 'CSV: 1 fields where the header has 3 (sku,locationId,onHand)',
      });
      expect([
        await onHand('NK-ACC-MUTS-NAVY', 'ams-01'),
        await onHand('NK-ACC-MUTS-GREY', 'ams-01'),
      ]).toEqual([21, 22]);
    },
    60_000,
  );
});
