import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  advanceWatermark,
  applyEvents,
  pruneDelivered,
  publishPending,
  toEnvelope,
  upsertProduct,
  type EventConsumer,
} from '../../../backoffice-layer/index.js';
import { currentRevision, ManualClock, runWrite, type EventEnvelope } from '../../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

const DAY = 86_400_000;

describe('retention of delivered events and idempotency records', () => {
  const clock = new ManualClock('2026-11-01T08:00:00Z');
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
  });
  afterAll(async () => {
    await ctx.close();
  });

  const consumer = (name: string): EventConsumer => ({ name, apply: async () => undefined });
  const outbox = async (): Promise<EventEnvelope[]> =>
    (await ctx.deps.db.selectFrom('outbox').selectAll().orderBy('position').execute()).map(toEnvelope);
  const product = (sku: string) =>
    upsertProduct(ctx.deps, sku, { name: sku, category: 'c', vatRate: 21, attributes: {}, status: 'ACTIVE' });
  const idempotent = (key: string) =>
    runWrite(
      ctx.deps,
      async (w) => {
        w.emit({ type: 'test.done', aggregateType: 'test', aggregateId: key, payload: {} });
        return { key };
      },
      { idempotency: { scope: 'retention-test', key, request: { key } } },
    );

  it(
    'prunes old events every consumer has passed, keeps the rest and the hub revision, and ' +
      'prunes old idempotency records',
    async () => {
      for (let i = 0; i < 10; i++) await product(`OLD-${i}`);
      await idempotent('old-request');
      await publishPending(ctx.deps);
      const events = await outbox();
      // "a" applied everything; "b" all but the last three (so its watermark stops before them).
      await applyEvents(ctx.deps.db, [consumer('a')], events, clock.now());
      await applyEvents(ctx.deps.db, [consumer('b')], events.slice(0, -3), clock.now());
      await advanceWatermark(ctx.deps.db, 'a', clock.now());
      await advanceWatermark(ctx.deps.db, 'b', clock.now());

      // Nothing is old enough yet.
      expect(await pruneDelivered(ctx.deps, ['a', 'b'], 7 * DAY)).toEqual({ events: 0, idempotencyKeys: 0 });

      clock.advance(8 * DAY);
      await product('NEW-1');
      await idempotent('new-request');
      await publishPending(ctx.deps);
      const revision = await currentRevision(ctx.deps.db);

      // small batches: the loop must go on
      const pruned = await pruneDelivered(ctx.deps, ['a', 'b'], 7 * DAY, 4);
      expect(pruned).toEqual({ events: events.length - 3, idempotencyKeys: 1 });
      const left = await outbox();
      expect(left.map((e) => e.id)).toEqual([...events.slice(-3), ...left.slice(-2)].map((e) => e.id));
      expect(left.slice(-2).map((e) => e.aggregateId)).toEqual(['NEW-1', 'new-request']);
      expect(await currentRevision(ctx.deps.db)).toBe(revision);
      const applied = await ctx.deps.db
        .selectFrom('appliedEvents')
        .select(['consumer', 'eventId'])
        .orderBy('consumer')
        .orderBy('revision')
        .execute();
      expect(applied).toEqual(events.slice(-3).map((e) => ({ consumer: 'a', eventId: e.id })));
      expect(
        (
          await ctx.deps.db
            .selectFrom('idempotencyKeys')
            .select('key')
            .where('scope', '=', 'retention-test')
            .execute()
        ).map((r) => r.key),
      ).toEqual(['new-request']);

      // Once "b" catches up, the rest goes too — but never the newest event, which carries the hub's
      // revision.
      await applyEvents(ctx.deps.db, [consumer('a'), consumer('b')], await outbox(), clock.now());
      await advanceWatermark(ctx.deps.db, 'a', clock.now());
      await advanceWatermark(ctx.deps.db, 'b', clock.now());
      clock.advance(8 * DAY);
      expect((await pruneDelivered(ctx.deps, ['a', 'b'], 7 * DAY)).events).toBe(4);
      expect((await outbox()).map((e) => e.aggregateId)).toEqual(['new-request']);
      expect(await currentRevision(ctx.deps.db)).toBe(revision);
    },
  );

  it('prunes nothing for a consumer that has never reported a watermark', async () => {
    clock.advance(30 * DAY);
    await product('LATE-1');
    await publishPending(ctx.deps);
    clock.advance(30 * DAY);
    expect((await pruneDelivered(ctx.deps, ['a', 'b', 'never-ran'], 7 * DAY)).events).toBe(0);
  });
});
