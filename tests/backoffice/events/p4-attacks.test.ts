import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  createReadModel,
  publishPending,
  redeliverUnapplied,
  snapshotFromDatabase,
  readModelConsumer,
  readModelKeys,
  startEventWorker,
  startReadModelMaintenance,
  upsertProduct,
  type EventConsumer,
} from '../../../backoffice-layer/index.js';
import type { EventEnvelope } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  testProduct,
  until,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

// Batched event delivery under attack: order across handed claims and queued jobs, and the read-model
// watermark announced in the same Redis round trip as the writes it covers.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gate a consumer waits at until it is opened. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('order across handed claims and queued jobs', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const outboxIds = async (prefix: string): Promise<string[]> =>
    (
      await ctx.deps.db
        .selectFrom('outbox')
        .select('id')
        .where('aggregateId', 'like', `${prefix}%`)
        .orderBy('position')
        .execute()
    ).map((r) => r.id);
  const claim = async (prefix: string): Promise<string[]> => {
    for (let i = 0; i < 3; i++) await testProduct(ctx, `${prefix}${i}`);
    return outboxIds(prefix);
  };

  it('keeps outbox order when the worker holds its jobs over 2 s (no queued job overtaken)', async () => {
    await ctx.deps.queues.events.obliterate({ force: true });
    const seen: string[] = [];
    const gateA = gate();
    const gateC = gate();
    let held: string[] = [];
    const consumer: EventConsumer = {
      name: 'order',
      apply: async (e: EventEnvelope) => {
        if (e.id === held[0]) await gateA.wait;
        if (e.id === held[1]) await gateC.wait;
        seen.push(e.id);
      },
    };
    // One BullMQ job in hand at a time, batches of 3 (the relay claims 3 too).
    const worker = await startEventWorker(ctx.deps, [consumer], { batchSize: 3, jobsInHand: 1 });
    try {
      const a = await claim('ORD-A-');
      held = [a[0]!, ''];
      await publishPending(ctx.deps, 3, worker); // handed: applied, held at gate A
      const b = await claim('ORD-B-');
      await publishPending(ctx.deps, 3, worker); // handed: waits in the worker (a full batch)
      const c = await claim('ORD-C-');
      held = [a[0]!, c[0]!];
      await publishPending(ctx.deps, 3, worker); // busy: job C, fetched at once (one job in hand)
      await until(
        async () => (await ctx.deps.queues.events.getJobs(['active'])).length === 1,
        5000,
        'job C fetched',
      );
      const d = await claim('ORD-D-');
      await publishPending(ctx.deps, 3, worker); // busy: job D, not fetched (job C holds the only slot)
      // The worker stays busy for more than 2 s: a backlog, not another process that took job D.
      await sleep(2300);
      gateA.open();
      await until(async () => b.every((id) => seen.includes(id)), 5000, 'claim B applied');
      // Job C is being applied (held at gate C); job D still waits in BullMQ, queued before claim E.
      const e = await claim('ORD-E-');
      await publishPending(ctx.deps, 3, worker);
      gateC.open();
      const all = [...a, ...b, ...c, ...d, ...e];
      await until(async () => all.every((id) => seen.includes(id)), 10_000, 'every event');
      // Expected outbox (revision) order A B C D E; claim E must not overtake job D.
      expect(seen.filter((id) => all.includes(id))).toEqual(all);
    } finally {
      gateA.open();
      gateC.open();
      await worker.stop();
    }
  }, 30_000);
});

describe('the read-model watermark and a write that failed in its round trip', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const revOf = (stored: string | null): number | null => {
    const m = stored ? /^\{"rev":(\d+)/.exec(stored) : null;
    return m ? Number(m[1]) : null;
  };

  /** Changes a product's name: one event, a new revision. */
  const renamed = async (sku: string): Promise<number> =>
    (
      await upsertProduct(ctx.deps, sku, {
        name: `Jas ${sku} (renamed)`,
        category: 'coats',
        vatRate: 21,
        attributes: { size: 'M' },
        status: 'ACTIVE',
      })
    ).revision;

  it('never announces a revision whose section write failed in the same pipeline', async () => {
    const keys = readModelKeys(ctx.redisPrefix);
    const watermark = async () => Number(await ctx.deps.redis.get(keys.watermark));
    const maintenance = startReadModelMaintenance(ctx.deps, { everyMs: 100 });
    await until(async () => (await ctx.deps.redis.get(keys.built)) !== null, 10_000, 'model built');
    let poisonedEvent = '';
    let calls = 0;
    const held = gate();
    // A second consumer, after the read model: it holds the poisoned event's transaction (the batch's, or its
    // own in the one-by-one retry of a failed batch), so what Redis says meanwhile can be read.
    const after: EventConsumer = {
      name: 'after-read-model',
      apply: async (e) => {
        if (e.id !== poisonedEvent) return;
        calls++;
        await held.wait;
      },
    };
    const worker = await startEventWorker(ctx.deps, [readModelConsumer(ctx.deps), after]);
    const rm = await createReadModel(ctx.deps, { waitMs: 300 });
    try {
      const x0 = await testProduct(ctx, 'PSN-X');
      const y0 = await testProduct(ctx, 'PSN-Y');
      await publishPending(ctx.deps, 500, worker);
      await until(async () => (await watermark()) >= y0, 5000, 'both products in the model');
      expect(revOf(await ctx.deps.redis.get(keys.product('PSN-Y')))).toBeGreaterThanOrEqual(y0);
      expect(x0).toBeLessThan(y0);

      // One section key of X the guarded write cannot read (any per-command error: WRONGTYPE, OOM, ...).
      await ctx.deps.redis.del(keys.product('PSN-X'));
      await ctx.deps.redis.rpush(keys.product('PSN-X'), 'poison');
      const x1 = await renamed('PSN-X');
      const y1 = await renamed('PSN-Y');
      poisonedEvent = (
        await ctx.deps.db
          .selectFrom('outbox')
          .select('id')
          .where('revision', '=', x1)
          .executeTakeFirstOrThrow()
      ).id;
      const before = await watermark();
      expect(before).toBeLessThan(x1);
      await publishPending(ctx.deps, 500, worker); // one claim, one batch: X then Y
      await until(async () => calls >= 1, 5000, 'X held after the read model');
      await sleep(300); // what the read model writes alongside has landed
      // Y's write came after X's in the same script, which stopped at X's key: Y still holds y0's state.
      const storedY = revOf(await ctx.deps.redis.get(keys.product('PSN-Y')));
      const announced = await watermark();
      const typeX = await ctx.deps.redis.type(keys.product('PSN-X'));
      // A reader at the announced watermark must find Y at y1 at least: either Y was written, or the
      // watermark stays below what Redis failed to hold. Likewise X (whose key could not be written).
      const violations = [
        ...(announced >= y1 && (storedY ?? 0) < y1
          ? [{ sku: 'PSN-Y', announced, revision: y1, storedY }]
          : []),
        ...(announced >= x1 && typeX !== 'string' ? [{ sku: 'PSN-X', announced, revision: x1, typeX }] : []),
      ];
      // What a channel node answers for Y asked at y1 (the revision its own write committed).
      const snap = await rm.getSnapshot(['PSN-Y'], { minRevision: y1 });
      const answered = {
        source: snap.source,
        revision: snap.revision >= y1,
        name: snap.skus.get('PSN-Y')?.product?.name,
      };
      expect({ violations, answered }).toEqual({
        violations: [],
        answered: { source: expect.any(String), revision: true, name: 'Jas PSN-Y (renamed)' },
      });
    } finally {
      held.open();
      await ctx.deps.redis.del(keys.product('PSN-X'));
      await rm.close();
      await worker.stop();
      await maintenance.stop();
    }
  }, 30_000);
});

describe('what held up', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await sql`CREATE TABLE test_effects (id bigserial PRIMARY KEY, event_id uuid NOT NULL)`.execute(
      ctx.deps.db,
    );
  });
  afterAll(async () => {
    await ctx.close();
  });

  const renamed = async (sku: string, name: string): Promise<number> =>
    (
      await upsertProduct(ctx.deps, sku, {
        name,
        category: 'coats',
        vatRate: 21,
        attributes: { size: 'M' },
        status: 'ACTIVE',
      })
    ).revision;

  it('a batch that fails after its watermark was announced leaves nothing a reader cannot find', async () => {
    const keys = readModelKeys(ctx.redisPrefix);
    const watermark = async () => Number(await ctx.deps.redis.get(keys.watermark));
    const maintenance = startReadModelMaintenance(ctx.deps, { everyMs: 100 });
    await until(async () => (await ctx.deps.redis.get(keys.built)) !== null, 10_000, 'model built');
    let refused = '';
    let refusals = 0;
    // Fails one event for good: the batch's transaction (and that event's own) roll back.
    const failing: EventConsumer = {
      name: 'failing',
      apply: async (e) => {
        if (e.id !== refused) return;
        refusals++;
        throw new Error('refused');
      },
    };
    const worker = await startEventWorker(ctx.deps, [readModelConsumer(ctx.deps), failing]);
    const rm = await createReadModel(ctx.deps, { waitMs: 300 });
    try {
      await renamed('RB-A', 'A0');
      const b0 = await renamed('RB-B', 'B0');
      await publishPending(ctx.deps, 500, worker);
      await until(async () => (await watermark()) >= b0, 5000, 'the model caught up');
      const a1 = await renamed('RB-A', 'A1');
      const b1 = await renamed('RB-B', 'B1');
      refused = (
        await ctx.deps.db
          .selectFrom('outbox')
          .select('id')
          .where('revision', '=', a1)
          .executeTakeFirstOrThrow()
      ).id;
      await publishPending(ctx.deps, 500, worker);
      await until(async () => refusals >= 2, 5000, 'the batch failed and its events retried alone');
      const announced = await watermark();
      expect(announced).toBeGreaterThanOrEqual(b1);
      // The state announced is committed in PostgreSQL: the database answers at that revision too.
      const latest = await sql<{
        r: string;
      }>`SELECT coalesce(max(revision), 0) AS r FROM outbox`.execute(ctx.deps.db);
      expect(Number(latest.rows[0]!.r)).toBeGreaterThanOrEqual(announced);
      const fromModel = await rm.getSnapshot(['RB-A', 'RB-B'], { minRevision: announced });
      const names = (s: typeof fromModel) => ['RB-A', 'RB-B'].map((k) => s.skus.get(k)?.product.name);
      expect({ revision: fromModel.revision >= announced, names: names(fromModel) }).toEqual({
        revision: true,
        names: ['A1', 'B1'],
      });
      const fromDb = await snapshotFromDatabase(ctx.deps.db, ['RB-A', 'RB-B'], {
        minRevision: announced,
        sections: [],
      });
      expect(names(fromDb)).toEqual(['A1', 'B1']);
      // The failed consumer has not recorded the refused event; the read model has (its effect is done).
      const applied = await ctx.deps.db
        .selectFrom('appliedEvents')
        .select('consumer')
        .where('eventId', '=', refused)
        .execute();
      expect(applied.map((r) => r.consumer)).toEqual(['read-model']);
    } finally {
      refused = '';
      await rm.close();
      await worker.stop();
      await maintenance.stop();
    }
  }, 30_000);

  it('an event delivered again to a second worker while the first applies it takes effect once', async () => {
    await ctx.deps.queues.events.obliterate({ force: true });
    const held = gate();
    let entered = 0;
    const effects = (hold: boolean): EventConsumer => ({
      name: 'effects',
      apply: async (e, tx) => {
        await sql`INSERT INTO test_effects (event_id) VALUES (${e.id}::uuid)`.execute(tx);
        if (hold) {
          entered++;
          await held.wait;
        }
      },
    });
    const first = await startEventWorker(ctx.deps, [effects(true)]);
    const second = await startEventWorker(ctx.deps, [effects(false)]);
    try {
      for (let i = 0; i < 4; i++) await renamed(`DUP-${i}`, `D${i}`);
      const ids = (
        await ctx.deps.db.selectFrom('outbox').select('id').where('aggregateId', 'like', 'DUP-%').execute()
      ).map((r) => r.id);
      await publishPending(ctx.deps, 500, first); // handed to the first worker, held in its transaction
      await until(async () => entered >= 1, 5000, 'the first worker applying');
      // Re-delivery (as after the first worker seemed dead) hands the same events to the second worker.
      const again = await redeliverUnapplied(ctx.deps, ['effects'], -60_000, 500, second);
      expect(again).toBeGreaterThanOrEqual(ids.length);
      await sleep(500);
      held.open();
      await until(
        async () =>
          (
            await ctx.deps.db
              .selectFrom('appliedEvents')
              .select('eventId')
              .where('consumer', '=', 'effects')
              .where('eventId', 'in', ids)
              .execute()
          ).length === ids.length,
        10_000,
        'every event applied',
      );
      await sleep(500);
      const rows = await sql<{ event_id: string; n: string }>`
        SELECT event_id, count(*) AS n FROM test_effects WHERE event_id = ANY(${ids}::uuid[])
        GROUP BY event_id`.execute(ctx.deps.db);
      expect(rows.rows.map((r) => Number(r.n))).toEqual(ids.map(() => 1));
    } finally {
      held.open();
      await first.stop();
      await second.stop();
    }
  }, 30_000);
});
