import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  commitPriceSwitch,
  nextPriceBoundary,
  runDuePriceSwitches,
  startPriceScheduler,
} from '../../backoffice-layer/index.js';
import { ManualClock, runWrite, systemClock, type WriteDeps } from '../../shared/index.js';
import type { HubTables } from '../../channel-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

async function addList(
  deps: WriteDeps<HubTables>,
  id: string,
  validFrom: Date | null,
  validTo: Date | null,
): Promise<void> {
  await runWrite(deps, async (w) => {
    w.atRevision(async (tx, rev) => {
      await tx
        .insertInto('priceLists')
        .values({
          id,
          name: id,
          currency: 'EUR',
          priority: 10,
          validFrom,
          validTo,
          revision: rev,
          createdAt: w.now,
          updatedAt: w.now,
        })
        .execute();
    });
    w.emit({ type: 'price-list.changed', aggregateType: 'price-list', aggregateId: id, payload: {} });
  });
}

describe('scheduled price switches (controllable clock)', () => {
  const clock = new ManualClock('2026-12-01T10:00:00Z');
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('finds the next boundary and commits each due switch exactly once, as its own revision', async () => {
    await addList(
      { db: ctx.deps.db, clock },
      'sale',
      new Date('2026-12-02T00:00:00Z'),
      new Date('2026-12-09T00:00:00Z'),
    );
    await addList({ db: ctx.deps.db, clock }, 'flash', new Date('2026-12-05T12:00:00Z'), null);
    expect(await nextPriceBoundary(ctx.deps.db, clock.now())).toEqual(new Date('2026-12-02T00:00:00Z'));
    expect(await runDuePriceSwitches(ctx.deps, new Date('2026-12-01T00:00:00Z'))).toEqual([]);

    clock.set('2026-12-06T00:00:00Z');
    const switched = await runDuePriceSwitches(ctx.deps, new Date('2026-12-01T00:00:00Z'));
    expect(switched.map((s) => [s.at, s.priceListIds])).toEqual([
      ['2026-12-02T00:00:00.000Z', ['sale']],
      ['2026-12-05T12:00:00.000Z', ['flash']],
    ]);
    // Running again (a second worker, a re-delivered job) commits nothing new.
    expect(await runDuePriceSwitches(ctx.deps, new Date('2026-12-01T00:00:00Z'))).toEqual([]);
    const again = await commitPriceSwitch(ctx.deps, new Date('2026-12-02T00:00:00Z'));
    expect(again.replayed).toBe(true);
    const events = await ctx.deps.db
      .selectFrom('outbox')
      .select(['type', 'revision', 'aggregateId'])
      .where('type', '=', 'price.schedule-switched')
      .orderBy('revision')
      .execute();
    expect(events.map((e) => e.aggregateId)).toEqual([
      '2026-12-02T00:00:00.000Z',
      '2026-12-05T12:00:00.000Z',
    ]);
    expect(events[1]!.revision).toBeGreaterThan(events[0]!.revision);
    expect(await nextPriceBoundary(ctx.deps.db, clock.now())).toEqual(new Date('2026-12-09T00:00:00Z'));
  });
});

describe('scheduled price switches (real delayed BullMQ job)', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('commits the switch when the window opens', async () => {
    const opensAt = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
    await addList({ db: ctx.deps.db, clock: systemClock }, 'soon', opensAt, null);
    const scheduler = await startPriceScheduler(ctx.deps);
    try {
      let row;
      for (let i = 0; i < 100 && !row; i++) {
        await new Promise((r) => setTimeout(r, 100));
        row = await ctx.deps.db
          .selectFrom('outbox')
          .select(['aggregateId', 'createdAt'])
          .where('type', '=', 'price.schedule-switched')
          .where('aggregateId', '=', opensAt.toISOString())
          .executeTakeFirst();
      }
      expect(row?.aggregateId).toBe(opensAt.toISOString());
      // The first worker on the database started the schedule with a switch at its start, before the window.
      const switches = await ctx.deps.db.selectFrom('scheduleSwitches').select('at').orderBy('at').execute();
      expect(switches).toHaveLength(2);
      expect(switches[0]!.at.getTime()).toBeLessThan(opensAt.getTime());
      expect(row!.createdAt.getTime()).toBeGreaterThanOrEqual(opensAt.getTime());
    } finally {
      await scheduler.stop();
    }
  });
});
