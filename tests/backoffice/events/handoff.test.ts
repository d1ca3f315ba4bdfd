import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  publishPending,
  readModelConsumer,
  readModelKeys,
  startEventWorker,
  startOutboxRelay,
  startReadModelMaintenance,
  type EventConsumer,
  type EventJobData,
} from '../../../backoffice-layer/index.js';
import type { EventEnvelope } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  testProduct,
  until,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

// The relay hands a claim to the event worker of its process when the worker has room, and queues one job per
// claim (carrying the claim's event ids) when it is busy.

describe('outbox claims handed to the event worker', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const allJobs = () =>
    ctx.deps.queues.events.getJobs(
      ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'],
      0,
      1000,
      true,
    );
  const outboxIds = async (prefix: string): Promise<string[]> =>
    (
      await ctx.deps.db
        .selectFrom('outbox')
        .select('id')
        .where('aggregateId', 'like', `${prefix}%`)
        .orderBy('position')
        .execute()
    ).map((r) => r.id);
  /** A consumer that records every event it applies, in the order it applies them. */
  const recorder = (name: string, seen: EventEnvelope[], before?: (e: EventEnvelope) => Promise<void>) =>
    ({
      name,
      apply: async (e) => {
        await before?.(e);
        seen.push(e);
      },
    }) satisfies EventConsumer;

  it('applies a claim in process, without a BullMQ job', async () => {
    await ctx.deps.queues.events.obliterate({ force: true });
    const seen: EventEnvelope[] = [];
    const worker = await startEventWorker(ctx.deps, [recorder('in-process', seen)]);
    const relay = await startOutboxRelay(ctx.deps, { pollMs: 60_000, handoff: worker });
    try {
      for (let i = 0; i < 8; i++) await testProduct(ctx, `HAND-${i}`);
      const ids = await outboxIds('HAND-');
      await until(async () => ids.every((id) => seen.some((e) => e.id === id)), 10_000, 'every event');
      expect(seen.filter((e) => ids.includes(e.id)).map((e) => e.id)).toEqual(ids);
      expect(await allJobs()).toEqual([]);
    } finally {
      await relay.stop();
      await worker.stop();
    }
  });

  it('queues one job per claim, carrying its event ids, while the worker is busy; order kept', async () => {
    await ctx.deps.queues.events.obliterate({ force: true });
    for (let i = 0; i < 12; i++) await testProduct(ctx, `BUSY-${String(i).padStart(2, '0')}`);
    const ids = await outboxIds('BUSY-');
    const seen: EventEnvelope[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const worker = await startEventWorker(ctx.deps, [recorder('busy', seen, () => gate)], { batchSize: 3 });
    try {
      // Claims of 3: the first is being applied (held at the gate), the second waits in the worker (a full
      // batch), the others go to BullMQ, one job each.
      await publishPending(ctx.deps, 3, worker);
      const jobs = (await allJobs()).sort((a, b) => a.timestamp - b.timestamp);
      const carried = jobs.map((j) => (j.data as EventJobData).ids ?? []);
      expect(carried).toEqual([ids.slice(6, 9), ids.slice(9, 12)]);
      expect(jobs.map((j) => j.id)).toEqual(
        carried.map((c) => expect.stringMatching(new RegExp(`^outbox-${c[0]}-${c[2]}-[0-9a-f]{8}$`))),
      );
      open();
      await until(async () => ids.every((id) => seen.some((e) => e.id === id)), 10_000, 'every event');
      // Each event once, in outbox (revision) order across the handed claims and the jobs.
      expect(seen.filter((e) => ids.includes(e.id)).map((e) => e.id)).toEqual(ids);
      await until(
        async () => (await allJobs()).every((j) => j.finishedOn !== undefined && !j.failedReason),
        10_000,
        'jobs completed',
      );
    } finally {
      open();
      await worker.stop();
    }
  });

  it('retries a failed event of a handed claim as a job of its own, and applies it once', async () => {
    await ctx.deps.queues.events.obliterate({ force: true });
    for (let i = 0; i < 4; i++) await testProduct(ctx, `FAIL-${i}`);
    const ids = await outboxIds('FAIL-');
    const bad = ids[1]!;
    let refusals = 0;
    const seen: EventEnvelope[] = [];
    const worker = await startEventWorker(ctx.deps, [
      recorder('flaky', seen, async (e) => {
        if (e.id === bad && refusals++ < 2) throw new Error('not yet');
      }),
    ]);
    try {
      await publishPending(ctx.deps, 500, worker);
      await until(async () => seen.some((e) => e.id === bad), 10_000, 'the failed event applied');
      expect(refusals).toBe(3);
      // (A batch that failed ran some of its events before rolling back: seen holds repeats.)
      expect([...new Set(seen.map((e) => e.id))].sort()).toEqual([...ids].sort());
      const jobs = await allJobs();
      expect(jobs.map((j) => (j.data as EventJobData).ids)).toEqual([[bad]]);
      const applied = await ctx.deps.db
        .selectFrom('appliedEvents')
        .select('eventId')
        .where('consumer', '=', 'flaky')
        .execute();
      expect(applied.map((r) => r.eventId).sort()).toEqual([...ids].sort());
    } finally {
      await worker.stop();
    }
  });
});

describe('the read-model watermark', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(
    'is announced with the writes before the commit, never past an event Redis does not hold, and caught ' +
      'up once the gap is applied',
    async () => {
      const keys = readModelKeys(ctx.redisPrefix);
      const maintenance = startReadModelMaintenance(ctx.deps, { everyMs: 100 });
      await until(async () => (await ctx.deps.redis.get(keys.built)) !== null, 10_000, 'model built');
      let hold: Promise<void> | null = null;
      const after: EventConsumer = {
        name: 'after-read-model',
        apply: async () => {
          await hold;
        },
      };
      const worker = await startEventWorker(ctx.deps, [readModelConsumer(ctx.deps), after]);
      const watermark = async () => Number(await ctx.deps.redis.get(keys.watermark));
      try {
        // Held after the read model applied it: its transaction is open, yet every node may answer it.
        let release!: () => void;
        hold = new Promise((r) => (release = r));
        const first = await testProduct(ctx, 'WM-1');
        await publishPending(ctx.deps, 500, worker);
        await until(async () => (await watermark()) >= first, 5000, 'watermark before commit');
        expect(await ctx.deps.redis.get(keys.product('WM-1'))).toContain('"WM-1"');
        const recorded = await ctx.deps.db
          .selectFrom('appliedEvents')
          .select('eventId')
          .where('consumer', '=', 'read-model')
          .where('revision', '=', first)
          .execute();
        expect(recorded).toEqual([]); // not committed yet
        release();
        hold = null;

        // An event claimed by another relay whose process died before applying it: a gap. The events after
        // it are applied, but the watermark stays below it; once PostgreSQL records it applied, the watermark
        // held back is sent again (every 500 ms) and covers everything.
        const gapped = await testProduct(ctx, 'WM-2');
        const gap = await ctx.deps.db
          .updateTable('outbox')
          .set({ publishedAt: new Date() })
          .where('revision', '=', gapped)
          .returning('id')
          .executeTakeFirstOrThrow();
        const later = await testProduct(ctx, 'WM-3');
        await publishPending(ctx.deps, 500, worker);
        await until(
          async () =>
            (await ctx.deps.db
              .selectFrom('appliedEvents')
              .select('eventId')
              .where('consumer', '=', 'read-model')
              .where('revision', '=', later)
              .executeTakeFirst()) !== undefined,
          5000,
          'the later event applied',
        );
        expect(await ctx.deps.redis.get(keys.product('WM-3'))).toContain('"WM-3"');
        expect(await watermark()).toBeLessThan(gapped);
        await new Promise((r) => setTimeout(r, 700));
        expect(await watermark()).toBeLessThan(gapped);
        await ctx.deps.db
          .insertInto('appliedEvents')
          .values({ consumer: 'read-model', eventId: gap.id, revision: gapped, appliedAt: new Date() })
          .execute();
        await until(async () => (await watermark()) >= later, 3000, 'watermark past the gap');
      } finally {
        await worker.stop();
        await maintenance.stop();
      }
    },
  );
});
