import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { startOutboxRelay, upsertProduct } from '../../../backoffice-layer/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../../support/backoffice.js';

describe('outbox relay without NOTIFY', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const published = async (id: string) =>
    (
      await ctx.deps.db
        .selectFrom('outbox')
        .select('publishedAt')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).publishedAt !== null;
  /** An outbox row committed without the NOTIFY that runWrite sends: only polling can find it. */
  const silentEvent = async (sku: string): Promise<string> => {
    const id = randomUUID();
    await sql`INSERT INTO outbox (id, revision, type, aggregate_type, aggregate_id, payload, created_at)
              VALUES (${id}, nextval('revision_seq'), 'test.silent', 'test', ${sku}, '{}'::jsonb, now())
    `.execute(ctx.deps.db);
    return id;
  };

  it('publishes in position order, and polling finds events no NOTIFY announced', async () => {
    for (let i = 0; i < 12; i++)
      await upsertProduct(ctx.deps, `POS-${i}`, {
        name: `P ${i}`,
        category: 'c',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
    const relay = await startOutboxRelay(ctx.deps, { pollMs: 150, batchSize: 5 });
    try {
      await relay.drain();
      const outbox = await ctx.deps.db
        .selectFrom('outbox')
        .select(['id', 'publishedAt'])
        .orderBy('position')
        .execute();
      expect(outbox.every((o) => o.publishedAt !== null)).toBe(true);
      // Oldest first in the wait list is the order a worker takes them: one job per claim of 5 ids.
      const waiting = await ctx.deps.queues.events.getJobs(['waiting'], 0, 100, true);
      expect(waiting.map((j) => (j.data as { ids: string[] }).ids.length)).toEqual([5, 5, 2]);
      expect(waiting.flatMap((j) => (j.data as { ids: string[] }).ids)).toEqual(outbox.map((o) => o.id));

      const id = await silentEvent('POLL-1');
      await until(() => published(id), 2000, 'the polling pass');
      const jobs = await ctx.deps.queues.events.getJobs(['waiting'], 0, 100, true);
      expect(jobs.filter((j) => (j.data as { ids: string[] }).ids.includes(id))).toHaveLength(1);
    } finally {
      await relay.stop();
    }
  });

  it('keeps publishing after its LISTEN connection is killed', async () => {
    const relay = await startOutboxRelay(ctx.deps, { pollMs: 60_000 });
    try {
      const killed = await sql<{ pid: number }>`
        SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()
          AND pg_terminate_backend(pid)`.execute(ctx.deps.db);
      expect(killed.rows).toHaveLength(1);
      // Reconnects within about a second — on a new backend, not the one still ending — then NOTIFY wakes it
      // again (the poll interval is a minute).
      await until(
        async () =>
          (
            await sql<{
              n: number;
            }>`SELECT count(*)::int AS n FROM pg_stat_activity
               WHERE datname = current_database() AND query ILIKE 'LISTEN%'
                 AND pid <> ${killed.rows[0]!.pid}`.execute(ctx.deps.db)
          ).rows[0]!.n === 1,
        5000,
        'LISTEN again',
      );
      const rev = (
        await upsertProduct(ctx.deps, 'AFTER-KILL', {
          name: 'After',
          category: 'c',
          vatRate: 21,
          attributes: {},
          status: 'ACTIVE',
        })
      ).revision;
      const row = await ctx.deps.db
        .selectFrom('outbox')
        .select('id')
        .where('revision', '=', rev)
        .executeTakeFirstOrThrow();
      // Well under the minute-long poll: only NOTIFY can have woken it (10 s leaves room for a loaded
      // machine).
      await until(() => published(row.id), 10_000, 'publication after reconnect');
    } finally {
      await relay.stop();
    }
  });
});
