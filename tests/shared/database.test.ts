import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { currentRevision, runWrite } from '../../shared/index.js';
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
});
