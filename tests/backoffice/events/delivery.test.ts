import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyEvent,
  applyStockMovements,
  createReadModel,
  publishPending,
  readModelConsumer,
  setPrice,
  setStockCount,
  startBackofficeWorker,
  startEventWorker,
  startOutboxRelay,
  toEnvelope,
  upsertPriceList,
  verifyReadModel,
  type EventConsumer,
} from '../../../backoffice-layer/index.js';
import { runWrite, type EventEnvelope } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  testProduct,
  until,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

describe('outbox relay and event consumers', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(
    'publishes events in commit order, one job per claim carrying its event ids, each event once, even ' +
      'with two relays racing',
    async () => {
      for (let i = 0; i < 30; i++) await testProduct(ctx, `ORD-${String(i).padStart(2, '0')}`);
      const [a, b] = await Promise.all([publishPending(ctx.deps, 7), publishPending(ctx.deps, 7)]);
      expect(a + b).toBe(30);
      const jobs = await ctx.deps.queues.events.getJobs(
        ['waiting', 'delayed', 'active', 'completed', 'prioritized'],
        0,
        100,
        true,
      );
      const outbox = await ctx.deps.db
        .selectFrom('outbox')
        .select(['id', 'publishedAt'])
        .orderBy('position')
        .execute();
      const ids = jobs.map((j) => (j.data as { ids: string[] }).ids);
      expect(ids.flat().sort()).toEqual(outbox.map((o) => o.id).sort());
      // 30 events in claims of at most 7: five jobs at least, each in outbox order, named after its ids.
      expect(jobs.length).toBeGreaterThanOrEqual(5);
      const order = outbox.map((o) => o.id);
      for (const [k, job] of jobs.entries()) {
        const mine = ids[k]!;
        expect(mine.length).toBeLessThanOrEqual(7);
        expect(mine.map((id) => order.indexOf(id))).toEqual(
          mine.map((id) => order.indexOf(id)).sort((a, b) => a - b),
        );
        expect(job.id).toMatch(new RegExp(`^outbox-${mine[0]}-${mine[mine.length - 1]}-[0-9a-f]{8}$`));
        expect(job.name).toBe(job.id);
      }
      expect(outbox.every((o) => o.publishedAt !== null)).toBe(true);
      expect(await publishPending(ctx.deps)).toBe(0);
    },
  );

  it('wakes on NOTIFY within milliseconds, and applies a re-delivered event once', async () => {
    const relay = await startOutboxRelay(ctx.deps, { pollMs: 60_000 });
    try {
      const rev = await testProduct(ctx, 'NOTIFY-1');
      const t0 = Date.now();
      await until(
        async () =>
          (
            await ctx.deps.db
              .selectFrom('outbox')
              .select('publishedAt')
              .where('revision', '=', rev)
              .executeTakeFirstOrThrow()
          ).publishedAt !== null,
        2000,
        'publication',
      );
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      await relay.stop();
    }
    const row = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .orderBy('position', 'desc')
      .executeTakeFirstOrThrow();
    const event = toEnvelope(row);
    let effects = 0;
    const counter: EventConsumer = {
      name: 'counter',
      apply: async () => {
        effects++;
      },
    };
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await applyEvent(ctx.deps.db, [counter], event, new Date()));
    expect(effects).toBe(1);
    expect(results.map((r) => r.length)).toEqual([1, 0, 0, 0, 0]);
    const applied = await ctx.deps.db
      .selectFrom('appliedEvents')
      .select('eventId')
      .where('consumer', '=', 'counter')
      .execute();
    expect(applied).toEqual([{ eventId: event.id }]);
  });

  it(
    'applies a job whose data Redis lost from the outbox, and ' + 'drops a job that names no outbox event',
    async () => {
      const rev = await testProduct(ctx, 'LOST-DATA-1');
      const row = await ctx.deps.db
        .selectFrom('outbox')
        .selectAll()
        .where('revision', '=', rev)
        .executeTakeFirstOrThrow();
      // What a job hash re-created by a late BullMQ write after FLUSHALL holds: its id, no envelope.
      await ctx.deps.queues.events.add(row.type, {} as EventEnvelope, { jobId: row.id });
      const ghost = '00000000-0000-4000-8000-00000000dead';
      await ctx.deps.queues.events.add('stock.changed', {} as EventEnvelope, { jobId: ghost });
      const seen: EventEnvelope[] = [];
      const recorder: EventConsumer = {
        name: 'lost-data',
        apply: async (e) => {
          seen.push(e);
        },
      };
      const worker = await startEventWorker(ctx.deps, [recorder]);
      try {
        await until(
          async () =>
            (
              await Promise.all([row.id, ghost].map(async (id) => ctx.deps.queues.events.getJobState(id)))
            ).every((s) => s === 'completed'),
          10_000,
          'both jobs completed',
        );
      } finally {
        await worker.stop();
      }
      // (The queue also holds the earlier tests' jobs.)
      expect(seen.filter((e) => e.id === row.id || e.id === ghost)).toEqual([toEnvelope(row)]);
      const applied = await ctx.deps.db
        .selectFrom('appliedEvents')
        .select('eventId')
        .where('consumer', '=', 'lost-data')
        .where('eventId', 'in', [row.id, ghost])
        .execute();
      expect(applied).toEqual([{ eventId: row.id }]);
    },
  );

  it(
    "drops a whole job this database never wrote (another database's, left in the queue under " +
      'the same prefix)',
    async () => {
      const foreign: EventEnvelope = {
        id: '00000000-0000-4000-8000-0000000f0e19',
        type: 'stock.changed',
        aggregateType: 'stock',
        aggregateId: 'NK-TRS-DIJK-BLACK-30',
        revision: 2314,
        occurredAt: new Date().toISOString(),
        payload: {
          levels: [
            { sku: 'NK-TRS-DIJK-BLACK-30', locationId: 'ams-01', onHand: 7027, reserved: 0, safetyStock: 0 },
          ],
          cause: 'count',
        },
      };
      await ctx.deps.queues.events.add(foreign.type, foreign, { jobId: foreign.id });
      const seen: EventEnvelope[] = [];
      const worker = await startEventWorker(ctx.deps, [
        {
          name: 'foreign',
          apply: async (e) => {
            seen.push(e);
          },
        },
      ]);
      try {
        await until(
          async () => (await ctx.deps.queues.events.getJobState(foreign.id)) === 'completed',
          10_000,
          'the job completed',
        );
      } finally {
        await worker.stop();
      }
      expect(seen.filter((e) => e.id === foreign.id)).toEqual([]);
      expect(
        await ctx.deps.db
          .selectFrom('appliedEvents')
          .select('eventId')
          .where('eventId', '=', foreign.id)
          .execute(),
      ).toEqual([]);
    },
  );
});

describe('the read model', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('follows every change, answers at the revision asked for, and equals a rebuild', async () => {
    const worker = await startBackofficeWorker(ctx.deps, { relayPollMs: 100 });
    const rm = await createReadModel(ctx.deps, { waitMs: 2000 });
    try {
      await testProduct(ctx, 'COAT-M');
      await runWrite(ctx.deps, async (w) => {
        w.atRevision(async (tx, revision) => {
          await tx
            .insertInto('locations')
            .values({
              id: 'wh-1',
              name: 'Warehouse',
              kind: 'WAREHOUSE',
              fulfilsOnline: true,
              revision,
              createdAt: w.now,
              updatedAt: w.now,
            })
            .execute();
        });
        w.emit({
          type: 'location.changed',
          aggregateType: 'location',
          aggregateId: 'wh-1',
          payload: { location: { id: 'wh-1', name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true } },
        });
      });
      await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
      const priced = await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 12995, minQuantity: 1 });
      const counted = await setStockCount(ctx.deps, 'COAT-M', 'wh-1', { onHand: 7 });
      const snap = await rm.getSnapshot(['COAT-M', 'NOPE'], { minRevision: counted.revision });
      expect(snap.source).toBe('read-model');
      expect(snap.revision).toBeGreaterThanOrEqual(counted.revision);
      expect(snap.skus.get('NOPE')).toBeNull();
      expect(snap.skus.get('COAT-M')).toMatchObject({
        product: { name: 'Jas COAT-M' },
        prices: [{ priceListId: 'base', amount: 12995 }],
        stock: [{ locationId: 'wh-1', onHand: 7 }],
      });
      expect(snap.locations.map((l) => l.id)).toEqual(['wh-1']);
      expect(priced.revision).toBeLessThan(counted.revision);

      // The next write is visible to a reader that asks for its revision (read your writes).
      const moved = await applyStockMovements(
        ctx.deps,
        { movements: [{ kind: 'RECEIPT', sku: 'COAT-M', locationId: 'wh-1', quantity: 3 }] },
        'rcv-1',
      );
      const after = await rm.getSnapshot(['COAT-M'], { minRevision: moved.revision });
      expect(after.skus.get('COAT-M')?.stock[0]?.onHand).toBe(10);
      expect(after.revision).toBeGreaterThanOrEqual(moved.revision);
      await until(async () => (rm.watermark() ?? 0) >= moved.revision, 5000, 'watermark');
      expect(await verifyReadModel(ctx.deps)).toEqual([]);
    } finally {
      await rm.close();
      await worker.stop();
    }
  });

  it('ignores an older state that arrives after a newer one (revision guard)', async () => {
    const consumer = readModelConsumer(ctx.deps);
    const level = (onHand: number) => ({
      sku: 'COAT-M',
      locationId: 'wh-1',
      onHand,
      reserved: 0,
      safetyStock: 0,
    });
    const ev = (revision: number, onHand: number): EventEnvelope => ({
      id: crypto.randomUUID(),
      type: 'stock.changed',
      aggregateType: 'stock',
      aggregateId: 'COAT-M',
      revision,
      occurredAt: new Date().toISOString(),
      payload: { levels: [level(onHand)], cause: 'test' },
    });
    await applyEvent(ctx.deps.db, [consumer], ev(1_000_002, 42), new Date());
    await applyEvent(ctx.deps.db, [consumer], ev(1_000_001, 1), new Date());
    const stored = await ctx.deps.redis.hget(`${ctx.redisPrefix}:rm:stock:COAT-M`, 'wh-1');
    expect(JSON.parse(stored!)).toEqual({ rev: 1_000_002, v: level(42) });
  });

  it(
    'reads through to PostgreSQL when the read model is ' + 'behind, and never answers older than asked',
    async () => {
      const rm = await createReadModel(ctx.deps, { waitMs: 50 });
      try {
        // No worker runs now: the write is committed but the read model cannot see it.
        const counted = await setStockCount(ctx.deps, 'COAT-M', 'wh-1', { onHand: 99 });
        const snap = await rm.getSnapshot(['COAT-M'], { minRevision: counted.revision });
        expect(snap).toMatchObject({ source: 'database', revision: counted.revision });
        expect(snap.skus.get('COAT-M')?.stock[0]?.onHand).toBe(99);
        await expect(
          rm.getSnapshot(['COAT-M'], { minRevision: counted.revision + 1000 }),
        ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      } finally {
        await rm.close();
      }
    },
  );
});
