import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { currentRevision, DomainError, runWrite } from '../../shared/index.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.close();
});

describe('runWrite', () => {
  it('commits the change, the revision and the outbox event together', async () => {
    const before = await currentRevision(ctx.deps.db);
    const { revision, events } = await runWrite(ctx.deps, async (w) => {
      await w.tx
        .insertInto('locations')
        .values({
          id: 'ams-01',
          name: 'Amsterdam',
          kind: 'STORE',
          fulfilsOnline: false,
          revision: 0,
          createdAt: w.now,
          updatedAt: w.now,
        })
        .execute();
      w.atRevision(async (tx, rev) => {
        await tx.updateTable('locations').set({ revision: rev }).where('id', '=', 'ams-01').execute();
      });
      w.emit({
        type: 'location.changed',
        aggregateType: 'location',
        aggregateId: 'ams-01',
        payload: { id: 'ams-01' },
      });
    });
    expect(revision).toBe(before + 1);
    expect(events).toHaveLength(1);
    const loc = await ctx.deps.db
      .selectFrom('locations')
      .selectAll()
      .where('id', '=', 'ams-01')
      .executeTakeFirstOrThrow();
    expect(loc.revision).toBe(revision);
    const out = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('id', '=', events[0]!.id)
      .executeTakeFirstOrThrow();
    expect(out.revision).toBe(revision);
    expect(await currentRevision(ctx.deps.db)).toBe(revision);
  });

  it('rolls everything back when the work fails', async () => {
    const before = await currentRevision(ctx.deps.db);
    await expect(
      runWrite(ctx.deps, async (w) => {
        w.emit({ type: 'x', aggregateType: 'x', aggregateId: 'x', payload: {} });
        await w.tx
          .insertInto('locations')
          .values({
            id: 'bad id!',
            name: 'x',
            kind: 'STORE',
            fulfilsOnline: false,
            revision: 0,
            createdAt: w.now,
            updatedAt: w.now,
          })
          .execute();
      }),
    ).rejects.toThrow();
    expect(await currentRevision(ctx.deps.db)).toBe(before);
  });

  describe('a check before commit', () => {
    const location = (id: string) => ({
      id,
      name: id,
      kind: 'STORE' as const,
      fulfilsOnline: false,
      revision: 0,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    /** Refuses (as the hub's database checks do) when there are more than `max` locations named `x-…`. */
    const atMost = (
      max: number,
    ) => sql`SELECT FROM (SELECT count(*) AS n FROM locations WHERE id LIKE 'x-%') c,
      LATERAL (SELECT CASE WHEN c.n > ${max} THEN client_units_held_at_most(
        '00000000-0000-4000-8000-000000000000'::uuid, -1, 0, now()) END) refused`;
    /** Writes location `id` with the check; `stamped`: with a closure stamp (the check runs apart). */
    const write = (id: string, max: number, stamped: boolean) =>
      runWrite(ctx.deps, async (w) => {
        await w.tx.insertInto('locations').values(location(id)).execute();
        if (stamped) w.atRevision(async () => undefined);
        w.emit({ type: 'location.changed', aggregateType: 'location', aggregateId: id, payload: { id } });
        w.beforeCommitSql(atMost(max));
      });
    const ids = async () =>
      (
        await ctx.deps.db
          .selectFrom('locations')
          .select('id')
          .where('id', 'like', 'x-%')
          .orderBy('id')
          .execute()
      ).map((r) => r.id);

    it.each([false, true])(
      'sees the write’s changes, commits when it passes, rolls all back when it raises (stamp: %s)',
      async (stamped) => {
        const prefix = stamped ? 'x-s' : 'x-m';
        await ctx.deps.db.deleteFrom('locations').where('id', 'like', 'x-%').execute();
        const { revision } = await write(`${prefix}1`, 1, stamped);
        expect(await ids()).toEqual([`${prefix}1`]);
        const refused = await write(`${prefix}2`, 1, stamped).catch((e: unknown) => e);
        // The database's refusal arrives as the hub's own error, with its details.
        expect(refused).toBeInstanceOf(DomainError);
        expect(refused).toMatchObject({ code: 'RATE_LIMITED', details: { maxHeldUnits: -1 } });
        expect(await ids()).toEqual([`${prefix}1`]);
        expect(await currentRevision(ctx.deps.db)).toBe(revision);
      },
    );
  });
});
