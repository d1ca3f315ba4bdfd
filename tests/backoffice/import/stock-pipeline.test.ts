/**
 * Stock batches written several at once (`OrderedBatches`): each is judged while the one before it commits,
 * but revisions follow the feed, a key written by an earlier batch still in flight is judged after it lands,
 * and nothing after a failed batch commits.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runImport, verifyStockLedger } from '../../../backoffice-layer/index.js';
import { OrderedBatches } from '../../../backoffice-layer/import/ordered-batches.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue } from '../stock/fixtures.js';

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keys = (...k: string[]) => new Map(k.map((x) => [x, x]));

describe('ordered batches', () => {
  it('hands each write the commit of the one before, and keeps at most `depth` in flight', async () => {
    const batches = new OrderedBatches(2);
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    const write = (name: string, ms: number) => async (turn: Promise<unknown>) => {
      most = Math.max(most, ++inFlight);
      log.push(`${name} judged`);
      await later(ms);
      await turn;
      log.push(`${name} committed`);
      inFlight--;
    };
    // the first is the slowest: the others are judged meanwhile but commit after it, in order
    await batches.add(keys('a'), write('1', 60));
    await batches.add(keys('b'), write('2', 5));
    await batches.add(keys('c'), write('3', 5));
    await batches.drain();
    expect(log.filter((l) => l.endsWith('committed'))).toEqual(['1 committed', '2 committed', '3 committed']);
    expect(log.indexOf('2 judged')).toBeLessThan(log.indexOf('1 committed'));
    expect(most).toBe(2);
  });

  it('starts a batch naming a key of one in flight only once that one has ended', async () => {
    const batches = new OrderedBatches(3);
    const log: string[] = [];
    const write = (name: string, ms: number) => async (turn: Promise<unknown>) => {
      log.push(`${name} start`);
      await later(ms);
      await turn;
      log.push(`${name} end`);
    };
    await batches.add(keys('a', 'b'), write('1', 40));
    await batches.add(keys('c'), write('2', 5));
    await batches.add(keys('d', 'b'), write('3', 5));
    await batches.drain();
    // 2 was judged while 1 ran; 3, which names b as 1 does, started only after 1 ended
    expect(log.indexOf('2 start')).toBeLessThan(log.indexOf('1 end'));
    expect(log.indexOf('3 start')).toBeGreaterThan(log.indexOf('1 end'));
    expect(log.filter((l) => l.endsWith('end'))).toEqual(['1 end', '2 end', '3 end']);
  });

  it('after a failed write, refuses the writes after it and throws its error', async () => {
    const batches = new OrderedBatches(3);
    const committed: string[] = [];
    const write = (name: string, fail: boolean) => async (turn: Promise<unknown>) => {
      await later(5);
      await turn;
      if (fail) throw new Error(`${name} failed`);
      committed.push(name);
    };
    await batches.add(keys('a'), write('1', false));
    await batches.add(keys('b'), write('2', true));
    await batches.add(keys('c'), write('3', false));
    await expect(batches.drain()).rejects.toThrow('2 failed');
    expect(committed).toEqual(['1']);
    await expect(batches.add(keys('d'), write('4', false))).rejects.toThrow('2 failed');
    await batches.settle();
    expect(committed).toEqual(['1']);
  });
});

describe('a stock feed written in pipelined batches', () => {
  let ctx: BackofficeTestContext;
  const skus = Array.from({ length: 12 }, (_, i) => `SKU-${String(i).padStart(2, '0')}`);
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await givenCatalogue(ctx, skus, ['LOC-1', 'LOC-2']);
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('commits batches in feed order, a key met again in a later batch last of all', async () => {
    // Batches of 3 rows: SKU-00@LOC-1 comes back in batches 2, 4 and 8 (the batch right after it in flight).
    const rows: Array<[string, string, number]> = [];
    for (let i = 0; i < 24; i++) rows.push([skus[i % 12]!, i < 12 ? 'LOC-1' : 'LOC-2', i + 1]);
    for (const at of [4, 10, 22]) rows.splice(at, 0, ['SKU-00', 'LOC-1', 100 + at]);
    const csv = `sku,locationId,onHand\n${rows.map((r) => r.join(',')).join('\n')}\n`;
    const s = await runImport(ctx.deps, {
      kind: 'stock',
      format: 'csv',
      input: Readable.from([Buffer.from(csv)]),
      source: 'pipelined',
      batchSize: 3,
    });
    expect(s).toMatchObject({ status: 'COMPLETED', rows: 27, changedRows: 27, errorRows: 0 });
    // every row a movement of its own, at a revision that grows with its line
    const movements = await ctx.deps.db
      .selectFrom('stockMovements')
      .select(['sku', 'locationId', 'onHandDelta', 'revision'])
      .orderBy('revision')
      .orderBy('id')
      .execute();
    expect(movements).toHaveLength(27);
    const onHandAfter = new Map<string, number>();
    const asFed = movements.map((m) => {
      const key = `${m.sku}@${m.locationId}`;
      const onHand = (onHandAfter.get(key) ?? 0) + m.onHandDelta;
      onHandAfter.set(key, onHand);
      return [m.sku, m.locationId, onHand];
    });
    // within a batch rows are written in lock order: compare each batch's rows as sets
    const batchesOf = (list: unknown[][]) =>
      Array.from({ length: 9 }, (_, b) =>
        list
          .slice(b * 3, b * 3 + 3)
          .map((r) => r.join(' '))
          .sort(),
      );
    expect(batchesOf(asFed)).toEqual(batchesOf(rows));
    const revisions = [...new Set(movements.map((m) => m.revision))];
    expect(revisions).toHaveLength(9);
    expect(s.revisions!.map(Number)).toEqual([Number(revisions[0]), Number(revisions[8])]);
    expect(onHandAfter.get('SKU-00@LOC-1')).toBe(122);
    // one event per batch, at its revision
    const events = await ctx.deps.db
      .selectFrom('outbox')
      .select(['revision', 'payload'])
      .where('type', '=', 'catalogue.bulk-changed')
      .where('aggregateId', '=', 'stock')
      .orderBy('revision')
      .execute();
    expect(events.map((e) => Number(e.revision))).toEqual(revisions.map(Number));
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
  });
});
