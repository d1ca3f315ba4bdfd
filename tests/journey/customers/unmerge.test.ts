import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  reserveStock,
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../../backoffice-layer/index.js';
import {
  adjustPoints,
  createCoupons,
  earnForOrder,
  enrollCustomer,
  exportCustomerData,
  getMerge,
  linkIdentifier,
  mergeCustomers,
  MergeJournalSchema,
  placeOrder,
  placeStoreSale,
  recordDataUse,
  redeemPoints,
  setConsent,
  setContactPreferences,
  unmergeCustomers,
  updateCustomerProfile,
  upsertPromotion,
} from '../../../journey-layer/index.js';
import { defineSegment, ManualClock, runWrite, withoutMergeRecords, type ExportDoc } from './fixtures.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

type Doc = ExportDoc;

describe('merging two profiles and undoing it', () => {
  const clock = new ManualClock('2026-11-20T09:00:00Z');
  const staff = { channel: 'CALL_CENTER', actor: 'admin:lead' } as const;
  let ctx: BackofficeTestContext;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    for (const sku of ['SOCK-1', 'COAT-1']) {
      await upsertProduct(ctx.deps, sku, {
        name: sku,
        category: 'clothes',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      await setPrice(ctx.deps, 'base', sku, { amount: 2_999, minQuantity: 1 });
      await setStockCount(ctx.deps, sku, 'ams-01', { onHand: 100 });
      await setStockCount(ctx.deps, sku, 'wh-1', { onHand: 100 });
    }
    await upsertPromotion(ctx.deps, 'welcome', {
      status: 'ACTIVE',
      rule: { label: 'Welcome code', couponRequired: true, action: { kind: 'amountOff', amount: 500 } },
    });
    await createCoupons(ctx.deps, 'welcome', { codes: ['WELCOME-A', 'WELCOME-B'] });
    await defineSegment(ctx, 'vip', 'VIP');
    await defineSegment(ctx, 'students', 'Students');
  });
  afterAll(async () => {
    await ctx.close();
  });

  /** Timeline interactions, a data-use entry and a segment membership, as the other parts record them. */
  async function recordJourney(customerId: string, tag: string, segment: string): Promise<void> {
    await runWrite(ctx.deps, async (w) => {
      w.atRevision(async (tx, revision) => {
        await tx
          .insertInto('customerInteractions')
          .values([
            {
              id: randomUUID(),
              customerId,
              kind: 'STORE_VISIT',
              channel: 'STORE',
              locationId: 'ams-01',
              sku: null,
              orderId: null,
              summary: `Visited Amsterdam (${tag})`,
              note: null,
              actor: 'client:store-1',
              source: `client:store-1:${tag}-visit`,
              occurredAt: w.now,
              revision,
            },
            {
              id: randomUUID(),
              customerId,
              kind: 'SERVICE_CONTACT',
              channel: 'CALL_CENTER',
              locationId: null,
              sku: 'COAT-1',
              orderId: null,
              summary: 'Asked about a coat',
              note: `Wants size M (${tag})`,
              actor: 'admin:agent-2',
              source: `client:cc-1:${tag}-call`,
              occurredAt: w.now,
              revision,
            },
          ])
          .execute();
        await tx
          .insertInto('segmentMemberships')
          .values({
            customerId,
            segmentId: segment,
            since: w.now,
            reason: `rule (${tag})`,
            computedAt: w.now,
            revision,
          })
          .execute();
      });
      await recordDataUse(w.tx, w.now, {
        customerId,
        actor: 'admin:agent-2',
        channel: 'CALL_CENTER',
        purpose: 'SERVICE',
        what: `read the timeline (${tag})`,
      });
    });
  }

  /** Two rich profiles of one person: the web one (survivor) and the store one (merged). */
  async function twoProfiles(tag: string): Promise<{ web: string; store: string; storeOrder: string }> {
    const web = (
      await enrollCustomer(
        ctx.deps,
        {
          displayName: `Anna ${tag}`,
          email: `anna-${tag}@example.nl`,
          consents: ['EMAIL_MARKETING'],
          attributes: { homeStore: 'ams-01', segments: ['newsletter'], preferredLanguage: 'nl' },
        },
        { channel: 'WEB', idempotencyKey: `web-${tag}` },
      )
    ).customer.id;
    clock.advance(60_000);
    const store = (
      await enrollCustomer(
        ctx.deps,
        { loyaltyCard: `NK${tag}0001`, attributes: { segments: ['students'], birthday: '1990-02-03' } },
        { channel: 'STORE', idempotencyKey: `store-${tag}` },
      )
    ).customer.id;
    await linkIdentifier(ctx.deps, store, {
      kind: 'PHONE',
      value: `06${tag.padStart(8, '2')}`,
      channel: 'STORE',
    });
    await setConsent(ctx.deps, web, {
      purpose: 'PROFILING',
      granted: true,
      channel: 'WEB',
      source: 'web sign-up form',
      expiresAt: '2027-11-20T00:00:00Z',
    });
    await setContactPreferences(
      ctx.deps,
      web,
      { channels: [{ channel: 'EMAIL', topics: ['NEWSLETTER', 'SERVICE'], maxPerWeek: 3 }] },
      { channel: 'WEB', actor: 'channel:WEB' },
    );
    await adjustPoints(ctx.deps, { customerId: web, points: 100, reason: 'welcome bonus' }, `bonus-${tag}`);
    await placeOrder(
      ctx.deps,
      {
        locationId: 'wh-1',
        lines: [{ sku: 'COAT-1', quantity: 1 }],
        customerId: web,
        couponCodes: ['WELCOME-A'],
      },
      `order-${tag}`,
    );
    await recordJourney(web, `web-${tag}`, 'vip');

    clock.advance(60_000);
    // Later decisions on the store profile: they win at the merge and overwrite the survivor's.
    await setConsent(ctx.deps, store, {
      purpose: 'PERSONALISATION',
      granted: true,
      channel: 'STORE',
      source: 'till',
    });
    await setConsent(ctx.deps, store, { purpose: 'EMAIL_MARKETING', granted: false, channel: 'STORE' });
    await updateCustomerProfile(
      ctx.deps,
      store,
      { displayName: `A. ${tag}`, attributes: { homeStore: 'ams-01' } },
      'STORE',
      'client:store-1',
    );
    await setContactPreferences(
      ctx.deps,
      store,
      {
        channels: [
          { channel: 'EMAIL', topics: ['SERVICE'] },
          { channel: 'SMS', topics: ['SERVICE', 'LOYALTY'], maxPerWeek: 1 },
        ],
      },
      { channel: 'STORE', actor: 'client:store-1' },
    );
    const sale = await placeStoreSale(
      ctx.deps,
      {
        locationId: 'ams-01',
        lines: [{ sku: 'SOCK-1', quantity: 2 }],
        customerId: store,
        couponCodes: ['WELCOME-B'],
      },
      `sale-${tag}`,
    );
    const storeOrder = sale.orderId;
    const { totalAmount } = await ctx.deps.db
      .selectFrom('orders')
      .select('totalAmount')
      .where('id', '=', storeOrder)
      .executeTakeFirstOrThrow();
    await ctx.deps.db.transaction().execute((tx) =>
      earnForOrder(tx, clock.now(), {
        orderId: storeOrder,
        customerRef: store,
        totalAmount,
        currency: 'EUR',
      }),
    );
    await adjustPoints(
      ctx.deps,
      { customerId: store, points: 40, reason: 'store opening' },
      `opening-${tag}`,
    );
    await reserveStock(
      ctx.deps,
      { lines: [{ sku: 'COAT-1', locationId: 'ams-01', quantity: 1 }], customerId: store, channel: 'STORE' },
      `hold-${tag}`,
    );
    await recordJourney(store, `store-${tag}`, 'students');
    clock.advance(60_000);
    return { web, store, storeOrder };
  }

  const balanceOf = async (customerId: string) =>
    (
      await ctx.deps.db
        .selectFrom('loyaltyAccounts')
        .select('balance')
        .where('customerId', '=', customerId)
        .executeTakeFirst()
    )?.balance ?? null;
  const ledgerSum = async (customerId: string) =>
    Number(
      (
        await ctx.deps.db
          .selectFrom('loyaltyLedger')
          .select((eb) => eb.fn.sum<number>('points').as('s'))
          .where('customerId', '=', customerId)
          .executeTakeFirstOrThrow()
      ).s ?? 0,
    );

  it('the survivor holds everything after the merge; after the undo both exports are as before', async () => {
    const { web, store } = await twoProfiles('1');
    const webBefore = (await exportCustomerData(ctx.deps, web, 'admin:lead')) as Doc;
    const storeBefore = (await exportCustomerData(ctx.deps, store, 'admin:lead')) as Doc;
    // The profiles are rich: every kind of record is present on the merged one.
    for (const key of [
      'timeline',
      'profileHistory',
      'orders',
      'reservations',
      'couponRedemptions',
      'segments',
    ])
      expect(storeBefore[key].length).toBeGreaterThan(0);
    expect(storeBefore.preferences.channels).toHaveLength(2);
    expect(storeBefore.loyalty.ledger.length).toBeGreaterThanOrEqual(2);
    expect(webBefore.loyalty.ledger.length).toBeGreaterThanOrEqual(1);

    const merge = await mergeCustomers(ctx.deps, { survivorId: web, mergedId: store }, 'CALL_CENTER', [], {
      actor: 'admin:lead',
      idempotencyKey: 'merge-1',
    });
    const replay = await mergeCustomers(ctx.deps, { survivorId: web, mergedId: store }, 'CALL_CENTER', [], {
      actor: 'admin:lead',
      idempotencyKey: 'merge-1',
    });
    expect(replay.mergeId).toBe(merge.mergeId);
    expect(replay.revision).toBe(merge.revision);
    expect(await getMerge(ctx.deps.db, merge.mergeId)).toEqual({
      mergeId: merge.mergeId,
      survivorId: web,
      mergedId: store,
      mergedAt: clock.now().toISOString(),
      undoneAt: null,
    });
    const events = await ctx.deps.db
      .selectFrom('outbox')
      .select(['type', 'payload'])
      .where('revision', '=', merge.revision)
      .execute();
    expect(events).toContainEqual({
      type: 'customer.merged',
      payload: { survivorId: web, mergedId: store, mergeId: merge.mergeId },
    });
    const row = await ctx.deps.db
      .selectFrom('customerMerges')
      .select(['journal', 'actor'])
      .where('id', '=', Number(merge.mergeId))
      .executeTakeFirstOrThrow();
    expect(row.actor).toBe('admin:lead');
    const journal = MergeJournalSchema.parse(row.journal);
    expect(journal.orderIds).toHaveLength(1);
    expect(journal.reservationIds).toHaveLength(1);
    expect(journal.couponRedemptionIds).toHaveLength(1);
    expect(journal.interactionIds).toHaveLength(2);
    expect(journal.segmentMemberships).toEqual([expect.objectContaining({ segmentId: 'students' })]);

    // The survivor has everything.
    const merged = (await exportCustomerData(ctx.deps, web, 'admin:lead')) as Doc;
    const values = (d: Doc) => d.profile.identifiers.map((i: { value: string }) => i.value).sort();
    expect(values(merged)).toEqual([...values(webBefore), ...values(storeBefore)].sort());
    expect(merged.orders).toHaveLength(webBefore.orders.length + storeBefore.orders.length);
    expect(merged.reservations).toHaveLength(webBefore.reservations.length + storeBefore.reservations.length);
    expect(merged.couponRedemptions).toHaveLength(2);
    expect(merged.timeline).toHaveLength(4);
    expect(merged.consentHistory).toHaveLength(
      webBefore.consentHistory.length + storeBefore.consentHistory.length,
    );
    expect(merged.loyalty.balance).toBe(webBefore.loyalty.balance + storeBefore.loyalty.balance);
    expect(merged.loyalty.balance).toBe(await ledgerSum(web));
    expect(merged.preferences.channels).toEqual([
      { channel: 'EMAIL', topics: ['NEWSLETTER', 'SERVICE'], maxPerWeek: 3 }, // the survivor's wins
      { channel: 'SMS', topics: ['SERVICE', 'LOYALTY'], maxPerWeek: 1 },
    ]);
    expect(merged.segments.map((s: { segment: string }) => s.segment)).toEqual(['vip']);
    expect(merged.profile.attributes.segments.value).toEqual(['newsletter', 'students']);
    expect(merged.profile.consents).toEqual([
      expect.objectContaining({ purpose: 'EMAIL_MARKETING', granted: false, channel: 'STORE' }),
      expect.objectContaining({ purpose: 'PERSONALISATION', granted: true, source: 'till' }),
      expect.objectContaining({ purpose: 'PROFILING', granted: true, source: 'web sign-up form' }),
    ]);
    expect(merged.profileHistory.length).toBeGreaterThan(
      webBefore.profileHistory.length + storeBefore.profileHistory.length,
    );
    expect(merged.dataUse.filter((u: { purpose: string }) => u.purpose === 'SERVICE')).toHaveLength(2);

    clock.advance(86_400_000);
    const undone = await unmergeCustomers(ctx.deps, merge.mergeId, staff);
    expect(undone.customers.map((c) => c.id)).toEqual([web, store]);
    const unmergedEvents = await ctx.deps.db
      .selectFrom('outbox')
      .select(['type', 'payload'])
      .where('revision', '=', undone.revision)
      .execute();
    expect(unmergedEvents).toEqual(
      expect.arrayContaining([
        { type: 'customer.unmerged', payload: { survivorId: web, mergedId: store, mergeId: merge.mergeId } },
        { type: 'customer.changed', payload: { customerId: web } },
        { type: 'customer.changed', payload: { customerId: store } },
      ]),
    );
    expect(undone.customers.map((c) => c.revision)).toEqual([undone.revision, undone.revision]);
    expect((await getMerge(ctx.deps.db, merge.mergeId))?.undoneAt).toBe(clock.now().toISOString());

    const webAfter = (await exportCustomerData(ctx.deps, web, 'admin:lead')) as Doc;
    const storeAfter = (await exportCustomerData(ctx.deps, store, 'admin:lead')) as Doc;
    expect(withoutMergeRecords(webAfter)).toEqual(withoutMergeRecords(webBefore));
    expect(withoutMergeRecords(storeAfter)).toEqual(withoutMergeRecords(storeBefore));
    // What was left out is exactly the record of the merge and the undo (and of the exports).
    expect(storeAfter.profileHistory.filter((h: { field: string }) => h.field === 'unmerge')).toHaveLength(1);
    expect(webAfter.profileHistory.map((h: { field: string }) => h.field).slice(0, 2)).toEqual([
      'unmerge',
      'merge',
    ]);
    expect(await balanceOf(web)).toBe(await ledgerSum(web));
    expect(await balanceOf(store)).toBe(await ledgerSum(store));

    // Undoing twice is refused.
    await expect(unmergeCustomers(ctx.deps, merge.mergeId, staff)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('already undone'),
    });
    await expect(unmergeCustomers(ctx.deps, '999999', staff)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(unmergeCustomers(ctx.deps, 'nope', staff)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps with the survivor what was recorded after the merge and a correction made since', async () => {
    const { web, store } = await twoProfiles('2');
    const { mergeId } = await mergeCustomers(ctx.deps, { survivorId: web, mergedId: store }, 'CALL_CENTER');
    clock.advance(60_000);
    await recordJourney(web, 'after-2', 'students');
    // A correction after the merge of a fact the merge wrote (homeStore was the store profile's).
    await updateCustomerProfile(ctx.deps, web, { attributes: { homeStore: 'wh-1' } }, 'CALL_CENTER');
    await unmergeCustomers(ctx.deps, mergeId, staff);
    const visits = await ctx.deps.db
      .selectFrom('customerInteractions')
      .select(['customerId', 'summary'])
      .where('source', 'like', '%after-2%')
      .execute();
    expect(visits).toHaveLength(2);
    expect(visits.every((v) => v.customerId === web)).toBe(true);
    const attrs = await ctx.deps.db
      .selectFrom('customerAttributes')
      .select(['customerId', 'value'])
      .where('name', '=', 'homeStore')
      .where('customerId', 'in', [web, store])
      .orderBy('customerId')
      .execute();
    expect(attrs).toEqual(
      expect.arrayContaining([
        { customerId: web, value: 'wh-1' },
        { customerId: store, value: 'ams-01' },
      ]),
    );
  });

  it('refuses the undo after 30 days, or once the merged points were spent (nothing changed)', async () => {
    const late = await twoProfiles('3');
    const m1 = await mergeCustomers(ctx.deps, { survivorId: late.web, mergedId: late.store }, 'ADMIN');
    clock.advance(30 * 86_400_000 + 1);
    await expect(unmergeCustomers(ctx.deps, m1.mergeId, staff)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('within 30 days'),
    });

    const spent = await twoProfiles('4');
    const m2 = await mergeCustomers(ctx.deps, { survivorId: spent.web, mergedId: spent.store }, 'ADMIN');
    const balance = (await balanceOf(spent.web))!;
    await redeemPoints(ctx.deps, spent.web, balance - 10, 'spend-4');
    const snapshot = async () => ({
      survivor: (await exportCustomerData(ctx.deps, spent.web, 'admin:lead')) as Doc,
      merge: await getMerge(ctx.deps.db, m2.mergeId),
      status: await ctx.deps.db
        .selectFrom('customers')
        .select(['status', 'mergedInto'])
        .where('id', '=', spent.store)
        .executeTakeFirstOrThrow(),
    });
    const before = await snapshot();
    await expect(unmergeCustomers(ctx.deps, m2.mergeId, staff)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('overdraw'),
    });
    const after = await snapshot();
    expect(after.merge).toEqual(before.merge);
    expect(after.status).toEqual({ status: 'MERGED', mergedInto: spent.web });
    expect(withoutMergeRecords(after.survivor)).toEqual(withoutMergeRecords(before.survivor));
    expect(after.survivor.profile.revision).toBe(before.survivor.profile.revision);
  });

  it('linking or enrolling with an identifier of another profile never merges', async () => {
    const a = (
      await enrollCustomer(
        ctx.deps,
        { email: 'solo-a@example.nl' },
        { channel: 'WEB', idempotencyKey: 'solo-a' },
      )
    ).customer.id;
    const b = (
      await enrollCustomer(ctx.deps, { phone: '0611110000' }, { channel: 'STORE', idempotencyKey: 'solo-b' })
    ).customer.id;
    const merges = await ctx.deps.db.selectFrom('customerMerges').select('id').execute();
    await expect(
      linkIdentifier(ctx.deps, b, { kind: 'EMAIL', value: 'solo-a@example.nl', channel: 'STORE' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(
      enrollCustomer(
        ctx.deps,
        { email: 'solo-a@example.nl', phone: '0611110000' },
        { channel: 'CALL_CENTER', idempotencyKey: 'solo-c' },
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await ctx.deps.db.selectFrom('customerMerges').select('id').execute()).toEqual(merges);
    const rows = await ctx.deps.db
      .selectFrom('customers')
      .select(['id', 'status', 'mergedInto'])
      .where('id', 'in', [a, b])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.status, r.mergedInto])).toEqual([
      ['ACTIVE', null],
      ['ACTIVE', null],
    ]);
  });
});
