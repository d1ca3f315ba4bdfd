import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  enrollCustomer,
  listDataUse,
  profileHistory,
  recordDataUse,
  updateCustomerProfile,
} from '../../../journey-layer/index.js';
import { pruneJourneyData } from '../../../journey-layer/journey-jobs.js';
import { ManualClock } from '../../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

describe('what her data was used for', () => {
  const clock = new ManualClock('2026-06-01T09:00:00Z');
  let ctx: BackofficeTestContext;
  let anna: string;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    const enrolled = await enrollCustomer(
      ctx.deps,
      { displayName: 'Anna', email: 'anna@example.nl' },
      { channel: 'WEB', idempotencyKey: 'enrol-anna' },
    );
    anna = enrolled.customer.id;
    await updateCustomerProfile(ctx.deps, anna, { displayName: 'Anna de Wit' }, 'CALL_CENTER');
  });
  afterAll(async () => ctx.close());

  it('lists her uses newest first, page by page, and refuses a cursor it did not issue', async () => {
    for (const what of ['read the timeline', 'computed segments', 'exported her data']) {
      await recordDataUse(ctx.deps.db, clock.now(), {
        customerId: anna,
        actor: 'client:agent-1',
        channel: 'CALL_CENTER',
        purpose: 'SERVICE',
        what,
      });
      clock.advance(60_000);
    }
    const first = await listDataUse(ctx.deps.db, anna, { first: 2 });
    expect(first.items.map((i) => i.what)).toEqual(['exported her data', 'computed segments']);
    expect(first.hasNextPage).toBe(true);
    const second = await listDataUse(ctx.deps.db, anna, { first: 2, after: first.endCursor });
    expect(second.items.map((i) => i.what)).toEqual(['read the timeline']);
    expect(second.hasNextPage).toBe(false);
    expect(second.items[0]).toMatchObject({
      at: '2026-06-01T09:00:00.000Z',
      actor: 'client:agent-1',
      channel: 'CALL_CENTER',
      purpose: 'SERVICE',
    });
    await expect(
      listDataUse(ctx.deps.db, anna, { first: 2, after: 'bm90LWEtY3Vyc29y' }),
    ).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    await expect(listDataUse(ctx.deps.db, anna, { first: 0 })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });

  it('records nothing for a profile erased after the caller resolved it', async () => {
    const gone = '00000000-0000-4000-8000-000000000042';
    await expect(
      recordDataUse(ctx.deps.db, clock.now(), {
        customerId: gone,
        actor: 'client:agent-1',
        channel: 'CALL_CENTER',
        purpose: 'SERVICE',
        what: 'read the profile',
      }),
    ).resolves.toBeUndefined();
    const rows = await ctx.deps.db
      .selectFrom('customerDataUse')
      .select('id')
      .where('customerId', '=', gone)
      .execute();
    expect(rows).toEqual([]);
  });

  it('keeps uses and corrections for the retention period and prunes older ones', async () => {
    const before = (await listDataUse(ctx.deps.db, anna, { first: 200 })).items.length;
    clock.advance(ctx.deps.config.journeyRetentionDays * 86_400_000 - 150_000);
    // Only the oldest entry (recorded at 09:00) is now past the retention period.
    expect(await pruneJourneyData(ctx.deps)).toEqual({ dataUse: 1, timeline: 0, history: 1 });
    const after = await listDataUse(ctx.deps.db, anna, { first: 200 });
    expect(after.items).toHaveLength(before - 1);
    expect(after.items.map((i) => i.what)).not.toContain('read the timeline');
    // The correction of 09:00 went with it; her name stays as corrected.
    expect(await profileHistory(ctx.deps.db, anna)).toEqual([]);
  });
});
