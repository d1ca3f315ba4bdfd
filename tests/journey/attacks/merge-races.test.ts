/**
 * Merges and their undoing raced against each other, against erasures, orders and redemptions, and chained:
 * every race ends in one of the orders of commit (never a deadlock's CONFLICT, never a raw error), each
 * balance is its ledger's sum, nothing stays under a merged-away profile, and an erased person leaves no id.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  applyEvent,
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  toEnvelope,
  upsertProduct,
} from '../../../backoffice-layer/index.js';
import {
  adjustPoints,
  enrollCustomer,
  eraseCustomer,
  exportCustomerData,
  journeyConsumers,
  mergeCustomers,
  placeOrder,
  placeStoreSale,
  recomputeSegments,
  recordInteraction,
  redeemPoints,
  setConsent,
  setContactPreferences,
  unmergeCustomers,
  updateCustomerProfile,
} from '../../../journey-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';
import { withoutMergeRecords, type ExportDoc } from '../customers/fixtures.js';
import { codeOf, expectInvariants, outcome, tracesOf } from './invariants.js';

type Doc = ExportDoc;
const staff = { channel: 'CALL_CENTER', actor: 'admin:lead' } as const;
const comparable = withoutMergeRecords;

describe('merges under attack', () => {
  const clock = new ManualClock('2026-11-20T09:00:00Z');
  let ctx: BackofficeTestContext;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertProduct(ctx.deps, 'SOCK-1', {
      name: 'Sock',
      category: 'accessories',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', 'SOCK-1', { amount: 999, minQuantity: 1 });
    await setStockCount(ctx.deps, 'SOCK-1', 'wh-1', { onHand: 10_000 });
  });
  afterAll(async () => {
    await ctx.close();
  });

  /** A profile with a name, an attribute, a consent, a preference and points. */
  async function profile(tag: string, points = 500): Promise<string> {
    const id = (
      await enrollCustomer(
        ctx.deps,
        { displayName: `Person ${tag}`, email: `${tag}-${randomUUID()}@example.nl` },
        { channel: 'WEB', idempotencyKey: randomUUID() },
      )
    ).customer.id;
    await adjustPoints(ctx.deps, { customerId: id, points, reason: 'welcome' }, randomUUID());
    return id;
  }

  /** Two profiles, the merged one's id below the survivor's (the order that matters for locks). */
  async function pair(tag: string): Promise<{ survivor: string; merged: string }> {
    const [a, b] = [await profile(`${tag}-a`), await profile(`${tag}-b`)];
    return a > b ? { survivor: a, merged: b } : { survivor: b, merged: a };
  }

  const merge = (survivor: string, merged: string) =>
    mergeCustomers(ctx.deps, { survivorId: survivor, mergedId: merged }, 'CALL_CENTER', [], {
      actor: 'admin:lead',
    });

  it('two undos of one merge at once: one undoes it, the other is CONFLICT', async () => {
    for (let round = 0; round < 4; round++) {
      const { survivor, merged } = await pair(`undo2-${round}`);
      const { mergeId } = await merge(survivor, merged);
      const results = await Promise.allSettled([
        unmergeCustomers(ctx.deps, mergeId, staff),
        delay(round % 2).then(() => unmergeCustomers(ctx.deps, mergeId, staff)),
      ]);
      expect(results.map(codeOf).sort()).toEqual(['CONFLICT', 'OK']);
      await expectInvariants(ctx);
    }
  });

  it('an undo racing an erasure of either profile: no deadlock; the erased person leaves no id', async () => {
    for (let round = 0; round < 12; round++) {
      const { survivor, merged } = await pair(`undo-erase-${round}`);
      const { mergeId } = await merge(survivor, merged);
      const erased = round % 2 === 0 ? survivor : merged;
      const [undo, erasure] = await Promise.allSettled([
        unmergeCustomers(ctx.deps, mergeId, staff),
        delay(round % 3).then(() => eraseCustomer(ctx.deps, erased, 'admin')),
      ]);
      // Either the undo came first (then the erasure takes the one profile it names; the undo's answer, read
      // after its commit, may already find the restored profile erased: NOT_FOUND), or the erasure took the
      // whole family first (then there is no merge left to undo: NOT_FOUND). Never a deadlock's CONFLICT.
      expect(codeOf(erasure)).toBe('OK');
      expect(['OK', 'NOT_FOUND']).toContain(codeOf(undo));
      const other = erased === survivor ? merged : survivor;
      const undoneFirst = (await outcome(exportCustomerData(ctx.deps, other, 'admin'))) === 'OK';
      if (undoneFirst) expect(await tracesOf(ctx, erased)).toEqual([]);
      else {
        expect(codeOf(undo)).toBe('NOT_FOUND');
        expect(await tracesOf(ctx, survivor)).toEqual([]);
        expect(await tracesOf(ctx, merged)).toEqual([]);
      }
      await expectInvariants(ctx);
    }
  });

  /** How many sessions of this database wait for a lock now. */
  const waitingForLocks = async (): Promise<number> => {
    const r = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(ctx.deps.db);
    return Number(r.rows[0]!.n);
  };
  const waitUntilWaiting = async (n: number): Promise<void> => {
    for (let i = 0; i < 500 && (await waitingForLocks()) < n; i++) await delay(10);
    expect(await waitingForLocks()).toBeGreaterThanOrEqual(n);
  };

  /**
   * Undoes the merge while `write` runs: the undo holds both profiles (held back on the merge row), `write`
   * starts and waits for the survivor, then the undo commits. Answers `write`'s outcome.
   */
  async function writeWaitingForUndo(mergeId: string, write: () => Promise<unknown>): Promise<string> {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = ctx.deps.db.transaction().execute(async (tx) => {
      await tx
        .selectFrom('customerMerges')
        .select('id')
        .where('id', '=', Number(mergeId))
        .forUpdate()
        .execute();
      locked();
      await held;
    });
    await isLocked;
    const undo = unmergeCustomers(ctx.deps, mergeId, staff);
    await waitUntilWaiting(1);
    const result = outcome(write());
    await waitUntilWaiting(2);
    release();
    await holder;
    expect(await outcome(undo)).toBe('OK');
    return result;
  }

  it('erasing the merged id while its merge is undone erases her only, not the survivor', async () => {
    const { survivor, merged } = await pair('stale-erase');
    const { mergeId } = await merge(survivor, merged);
    expect(await writeWaitingForUndo(mergeId, () => eraseCustomer(ctx.deps, merged, 'admin'))).toBe('OK');
    expect(await outcome(exportCustomerData(ctx.deps, survivor, 'admin'))).toBe('OK');
    expect(await outcome(exportCustomerData(ctx.deps, merged, 'admin'))).toBe('NOT_FOUND');
    expect(await tracesOf(ctx, merged)).toEqual([]);
    await expectInvariants(ctx);
  });

  it('a redemption with the merged id that waited for the undo spends her own points', async () => {
    const { survivor, merged } = await pair('stale-redeem');
    const { mergeId } = await merge(survivor, merged);
    expect(await writeWaitingForUndo(mergeId, () => redeemPoints(ctx.deps, merged, 100, randomUUID()))).toBe(
      'OK',
    );
    const balances = await ctx.deps.db
      .selectFrom('loyaltyAccounts')
      .select(['customerId', 'balance'])
      .where('customerId', 'in', [survivor, merged])
      .execute();
    expect(Object.fromEntries(balances.map((b) => [b.customerId, b.balance]))).toEqual({
      [survivor]: 500,
      [merged]: 400,
    });
    await expectInvariants(ctx);
  });

  it('a merge racing an order and a redemption of the merged profile: each lands once', async () => {
    for (let round = 0; round < 6; round++) {
      const { survivor, merged } = await pair(`merge-order-${round}`);
      const results = await Promise.allSettled([
        merge(survivor, merged),
        delay(round % 3).then(() =>
          placeOrder(
            ctx.deps,
            { locationId: 'wh-1', lines: [{ sku: 'SOCK-1', quantity: 1 }], customerId: merged },
            randomUUID(),
          ),
        ),
        delay(round % 2).then(() => redeemPoints(ctx.deps, merged, 100, randomUUID())),
      ]);
      expect(results.map(codeOf)).toEqual(['OK', 'OK', 'OK']);
      const { balance } = await ctx.deps.db
        .selectFrom('loyaltyAccounts')
        .select('balance')
        .where('customerId', '=', survivor)
        .executeTakeFirstOrThrow();
      expect(balance).toBe(900);
      await expectInvariants(ctx);
    }
  });

  it('A into B and B into A at once, racing an interaction and a recomputation: one wins', async () => {
    for (let round = 0; round < 4; round++) {
      const { survivor: a, merged: b } = await pair(`cross-${round}`);
      await setConsent(ctx.deps, b, { purpose: 'PROFILING', granted: true, channel: 'WEB' });
      const results = await Promise.allSettled([
        merge(a, b),
        delay(round % 2).then(() => merge(b, a)),
        recordInteraction(
          ctx.deps,
          { customerId: b, kind: 'PRODUCT_VIEWED', sku: 'SOCK-1' },
          {
            channel: 'APP',
            clientId: null,
            locationId: null,
            actor: 'client:app',
            idempotencyKey: randomUUID(),
          },
        ),
        recomputeSegments(ctx.deps, [a, b]),
      ]);
      const codes = results.map(codeOf);
      expect(codes.slice(0, 2).sort()).toEqual(['CONFLICT', 'OK']);
      expect(codes.slice(2)).toEqual(['OK', 'OK']);
      await expectInvariants(ctx);
    }
  });

  it('what workers book for her order while it is merged goes back with the order on undo', async () => {
    const { survivor, merged } = await pair('lag');
    const seen = Number(
      (
        await ctx.deps.db
          .selectFrom('outbox')
          .select((eb) => eb.fn.max('position').as('p'))
          .executeTakeFirstOrThrow()
      ).p ?? 0,
    );
    // Her order is placed before the merge; the workers get to its events only after the merge.
    const { orderId } = await placeOrder(
      ctx.deps,
      { locationId: 'wh-1', lines: [{ sku: 'SOCK-1', quantity: 1 }], customerId: merged },
      randomUUID(),
    );
    await placeStoreSale(
      ctx.deps,
      { locationId: 'wh-1', lines: [{ sku: 'SOCK-1', quantity: 1 }], customerId: merged },
      randomUUID(),
    );
    const { mergeId } = await merge(survivor, merged);
    const rows = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('position', '>', seen)
      .orderBy('position')
      .execute();
    for (const row of rows)
      await applyEvent(ctx.deps.db, journeyConsumers(clock), toEnvelope(row), clock.now());
    expect(await outcome(unmergeCustomers(ctx.deps, mergeId, staff))).toBe('OK');

    const herOrders = (
      await ctx.deps.db.selectFrom('orders').select('id').where('customerRef', '=', merged).execute()
    ).map((o) => o.id);
    expect(herOrders).toContain(orderId);
    // Every interaction about her orders is on her timeline, every point of them in her ledger.
    const interactions = await ctx.deps.db
      .selectFrom('customerInteractions')
      .select(['customerId', 'kind'])
      .where('orderId', 'in', herOrders)
      .execute();
    expect(interactions.length).toBeGreaterThan(0);
    expect(interactions.filter((i) => i.customerId !== merged)).toEqual([]);
    const ledger = await ctx.deps.db
      .selectFrom('loyaltyLedger')
      .select(['customerId', 'reference'])
      .where('reference', 'in', herOrders)
      .execute();
    expect(ledger.length).toBeGreaterThan(0);
    expect(ledger.filter((l) => l.customerId !== merged)).toEqual([]);
    await expectInvariants(ctx);
  });

  it('two merges into one survivor undone in the wrong order leave both profiles as they were', async () => {
    // A's facts are the oldest; B's later ones overwrite them at the first merge, C's at the second.
    const a = await profile('chain-a');
    await setConsent(ctx.deps, a, { purpose: 'PROFILING', granted: true, channel: 'WEB', source: 'form A' });
    await updateCustomerProfile(ctx.deps, a, { attributes: { preferredLanguage: 'nl' } }, 'WEB');
    clock.advance(60_000);
    const b = await profile('chain-b');
    await setConsent(ctx.deps, b, { purpose: 'PROFILING', granted: false, channel: 'STORE' });
    await updateCustomerProfile(ctx.deps, b, { attributes: { preferredLanguage: 'de' } }, 'STORE');
    clock.advance(60_000);
    const c = await profile('chain-c');
    await setConsent(ctx.deps, c, { purpose: 'PROFILING', granted: true, channel: 'APP', source: 'app C' });
    await updateCustomerProfile(ctx.deps, c, { attributes: { preferredLanguage: 'fr' } }, 'APP');
    await setContactPreferences(
      ctx.deps,
      c,
      { channels: [{ channel: 'SMS', topics: ['SERVICE'] }] },
      { channel: 'APP', actor: 'channel:APP' },
    );
    clock.advance(60_000);
    const before = {
      a: comparable((await exportCustomerData(ctx.deps, a, 'admin')) as Doc),
      b: comparable((await exportCustomerData(ctx.deps, b, 'admin')) as Doc),
      c: comparable((await exportCustomerData(ctx.deps, c, 'admin')) as Doc),
    };
    const first = await merge(a, b);
    clock.advance(60_000);
    const second = await merge(a, c);
    clock.advance(60_000);

    // The earlier merge first: refused (nothing changed) or undone so exactly that both undos restore all.
    const early = await outcome(unmergeCustomers(ctx.deps, first.mergeId, staff));
    expect(['OK', 'CONFLICT']).toContain(early);
    expect(await outcome(unmergeCustomers(ctx.deps, second.mergeId, staff))).toBe('OK');
    if (early === 'CONFLICT')
      expect(await outcome(unmergeCustomers(ctx.deps, first.mergeId, staff))).toBe('OK');
    const after = {
      a: comparable((await exportCustomerData(ctx.deps, a, 'admin')) as Doc),
      b: comparable((await exportCustomerData(ctx.deps, b, 'admin')) as Doc),
      c: comparable((await exportCustomerData(ctx.deps, c, 'admin')) as Doc),
    };
    expect(after.a.profile).toEqual(before.a.profile);
    expect(after.b.profile).toEqual(before.b.profile);
    expect(after.c.profile).toEqual(before.c.profile);
    expect(after).toEqual(before);
    await expectInvariants(ctx);
  });

  it('a profile merged into one later merged elsewhere: undone last first, all as before', async () => {
    const a = await profile('nest-a');
    const b = await profile('nest-b', 70);
    const d = await profile('nest-d', 30);
    await setContactPreferences(
      ctx.deps,
      b,
      { channels: [{ channel: 'POST', topics: ['LOYALTY'], maxPerWeek: 1 }] },
      { channel: 'STORE', actor: 'client:store-1' },
    );
    const before = await Promise.all(
      [a, b, d].map(async (id) => comparable((await exportCustomerData(ctx.deps, id, 'admin')) as Doc)),
    );
    const first = await merge(a, b);
    clock.advance(60_000);
    const second = await merge(d, a);
    clock.advance(60_000);
    // The old id of B follows to D now.
    expect((await exportCustomerData(ctx.deps, b, 'admin')).profile).toMatchObject({ id: d });
    // A is merged away: its own merge of B cannot be undone before D's merge of A is.
    expect(await outcome(unmergeCustomers(ctx.deps, first.mergeId, staff))).toBe('CONFLICT');
    expect(await outcome(unmergeCustomers(ctx.deps, second.mergeId, staff))).toBe('OK');
    expect(await outcome(unmergeCustomers(ctx.deps, first.mergeId, staff))).toBe('OK');
    const after = await Promise.all(
      [a, b, d].map(async (id) => comparable((await exportCustomerData(ctx.deps, id, 'admin')) as Doc)),
    );
    expect(after).toEqual(before);
    await expectInvariants(ctx);
  });
});
