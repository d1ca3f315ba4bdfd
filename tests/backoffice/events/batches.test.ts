import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  applyEvents,
  publishPending,
  startEventWorker,
  toEnvelope,
  upsertProduct,
  type EventConsumer,
} from '../../../backoffice-layer/index.js';
import type { EventEnvelope } from '../../../shared/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../../support/backoffice.js';

describe('events applied in batches', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const product = (sku: string) =>
    upsertProduct(ctx.deps, sku, { name: sku, category: 'c', vatRate: 21, attributes: {}, status: 'ACTIVE' });
  const outboxFor = async (prefix: string): Promise<EventEnvelope[]> =>
    (
      await ctx.deps.db
        .selectFrom('outbox')
        .selectAll()
        .where('aggregateId', 'like', `${prefix}%`)
        .orderBy('position')
        .execute()
    ).map(toEnvelope);
  const appliedBy = async (consumer: string) =>
    (
      await ctx.deps.db
        .selectFrom('appliedEvents')
        .select('eventId')
        .where('consumer', '=', consumer)
        .execute()
    )
      .map((r) => r.eventId)
      .sort();

  it(
    'fails only the bad event of a batch and the consumer that ' + 'refused it; the rest takes effect once',
    async () => {
      for (let i = 0; i < 6; i++) await product(`BATCH-${i}`);
      const events = await outboxFor('BATCH-');
      const bad = events[2]!;
      // Effects in PostgreSQL, in the consumer's transaction: a batch that failed left none of them behind.
      await sql`CREATE TABLE batch_effects
        (id bigserial PRIMARY KEY, consumer text NOT NULL, aggregate_id text NOT NULL)`.execute(ctx.deps.db);
      const picky: EventConsumer = {
        name: 'picky',
        apply: async (e, tx) => {
          if (e.id === bad.id) throw new Error('cannot take this one');
          await sql`INSERT INTO batch_effects (consumer, aggregate_id)
                    VALUES ('picky', ${e.aggregateId})`.execute(tx);
        },
      };
      const seen = async () =>
        (
          await sql<{ aggregateId: string }>`SELECT aggregate_id FROM batch_effects ORDER BY id`.execute(
            ctx.deps.db,
          )
        ).rows.map((r) => r.aggregateId);
      const calm: EventConsumer = { name: 'calm', apply: async () => undefined };
      // Shuffled on purpose: consumers see a batch in revision order whatever order it arrived in.
      const outcome = await applyEvents(ctx.deps.db, [picky, calm], [...events].reverse(), new Date());
      expect([...outcome.failed.keys()]).toEqual([bad.id]);
      expect((outcome.failed.get(bad.id) as Error).message).toBe('cannot take this one');
      expect(await seen()).toEqual(events.filter((e) => e !== bad).map((e) => e.aggregateId));
      expect(await appliedBy('picky')).toEqual(
        events
          .filter((e) => e !== bad)
          .map((e) => e.id)
          .sort(),
      );
      expect(await appliedBy('calm')).toEqual(events.map((e) => e.id).sort());
      // Again: what took effect does not again; the bad event still fails on its own.
      const again = await applyEvents(ctx.deps.db, [picky, calm], events, new Date());
      expect(await seen()).toEqual(events.filter((e) => e !== bad).map((e) => e.aggregateId));
      expect([...again.failed.keys()]).toEqual([bad.id]);
      expect([...again.applied.values()].every((names) => names.length === 0)).toBe(true);
    },
  );

  it('applies a burst through the worker in a few batches, each event exactly once', async () => {
    for (let i = 0; i < 120; i++) await product(`BURST-${String(i).padStart(3, '0')}`);
    await publishPending(ctx.deps);
    const batches: number[] = [];
    const applied = new Map<string, number>();
    const burst: EventConsumer = {
      name: 'burst',
      apply: async () => {
        throw new Error('batches only');
      },
      applyBatch: async (events) => {
        batches.push(events.length);
        for (const e of events) applied.set(e.id, (applied.get(e.id) ?? 0) + 1);
        const revisions = events.map((e) => e.revision);
        expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
      },
    };
    const worker = await startEventWorker(ctx.deps, [burst], { batchSize: 50 });
    try {
      const all = (await ctx.deps.db.selectFrom('outbox').select('id').execute()).map((r) => r.id);
      await until(async () => all.every((id) => applied.has(id)), 20_000, 'every event');
      expect([...applied.values()].every((n) => n === 1)).toBe(true);
      expect(Math.max(...batches)).toBeLessThanOrEqual(50);
      expect(batches.length).toBeLessThan(all.length / 2); // far fewer transactions than events
    } finally {
      await worker.stop();
    }
  });
});
