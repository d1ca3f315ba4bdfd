import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  publishPending,
  reserveStock,
  setStockCount,
  upsertLocation,
} from '../../../backoffice-layer/index.js';
import {
  enrollCustomer,
  eraseCustomer,
  exportCustomerData,
  getCustomer,
  findCustomerByIdentifier,
  mergeCustomers,
  recordDataUse,
  setConsent,
  setContactPreferences,
  updateCustomerProfile,
} from '../../../journey-layer/index.js';
import { defineSegment, everyRowAsText, ManualClock, recordAuditForTest, runWrite } from './fixtures.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

const PERSONAL = [
  'Carla Jansen',
  'carla.jansen@example.nl',
  '+31687654321',
  'NK55511122',
  'carla-app-1',
  '1985-05-05',
  'c.jansen@example.org', // her second profile's, merged into the first
  'Prefers the blue wool coat', // an agent's note on her timeline
];

/** The journey's tables that hold her interactions, history, preferences, segments and data use. */
const JOURNEY_TABLES = [
  'customerInteractions',
  'profileChanges',
  'contactPreferences',
  'segmentMemberships',
  'customerDataUse',
] as const;

/** Every key and value under the test's Redis prefix (strings, hashes, lists, sets, sorted sets, streams). */
async function everyRedisValue(ctx: BackofficeTestContext): Promise<string> {
  const r = ctx.deps.redis;
  let cursor = '0';
  let out = '';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${ctx.redisPrefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await r.type(key);
      const value =
        type === 'string'
          ? await r.get(key)
          : type === 'hash'
            ? JSON.stringify(await r.hgetall(key))
            : type === 'list'
              ? JSON.stringify(await r.lrange(key, 0, -1))
              : type === 'set'
                ? JSON.stringify(await r.smembers(key))
                : type === 'zset'
                  ? JSON.stringify(await r.zrange(key, 0, -1))
                  : type === 'stream'
                    ? JSON.stringify(await r.xrange(key, '-', '+'))
                    : '';
      out += `${key} ${value}\n`;
    }
  } while (cursor !== '0');
  return out;
}

describe('customer data rights', () => {
  const clock = new ManualClock('2026-11-20T09:00:00Z');
  let ctx: BackofficeTestContext;
  let customerId: string;
  let orderId: string;
  let reservationId: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    const { customer } = await enrollCustomer(
      ctx.deps,
      {
        displayName: PERSONAL[0],
        email: PERSONAL[1],
        phone: PERSONAL[2],
        loyaltyCard: PERSONAL[3],
        appAccount: PERSONAL[4],
        consents: ['EMAIL_MARKETING', 'PERSONALISATION'],
        attributes: { birthday: PERSONAL[5], segments: ['vip'] },
      },
      { channel: 'WEB', idempotencyKey: 'enrol-carla' },
    );
    customerId = customer.id;
    await setConsent(ctx.deps, customerId, { purpose: 'EMAIL_MARKETING', granted: false, channel: 'APP' });
    // A purchase and its points, as the backoffice and loyalty ledger record them (amounts must survive
    // erasure).
    orderId = randomUUID();
    await runWrite(ctx.deps, async (w) => {
      w.atRevision(async (tx, revision) => {
        await tx
          .insertInto('products')
          .values({
            sku: 'COAT-1',
            name: 'Wool coat',
            category: 'coats',
            attributes: '{}',
            vatRateBp: 2100,
            status: 'ACTIVE',
            revision,
            createdAt: w.now,
            updatedAt: w.now,
          })
          .execute();
        await tx
          .insertInto('locations')
          .values({
            id: 'ams-01',
            name: 'Amsterdam',
            kind: 'STORE',
            fulfilsOnline: false,
            revision,
            createdAt: w.now,
            updatedAt: w.now,
          })
          .execute();
        await tx
          .insertInto('orders')
          .values({
            id: orderId,
            kind: 'STORE',
            reservationId: null,
            locationId: 'ams-01',
            customerRef: customerId,
            channel: 'STORE',
            currency: 'EUR',
            totalAmount: 19995,
            revision,
            createdAt: w.now,
          })
          .execute();
        await tx
          .insertInto('orderLines')
          .values({
            orderId,
            lineNo: 1,
            sku: 'COAT-1',
            locationId: 'ams-01',
            quantity: 1,
            unitAmount: 19995,
            lineAmount: 19995,
          })
          .execute();
        await tx
          .insertInto('loyaltyAccounts')
          .values({ customerId, balance: 199, tier: 'BRONZE', revision, updatedAt: w.now })
          .execute();
        await tx
          .insertInto('loyaltyLedger')
          .values({
            customerId,
            kind: 'EARN',
            points: 199,
            reference: orderId,
            reason: 'purchase',
            earnedAt: w.now,
            expiresAt: null,
            revision,
          })
          .execute();
      });
      w.emit({
        type: 'sale.committed',
        aggregateType: 'order',
        aggregateId: orderId,
        payload: {
          orderId,
          kind: 'STORE',
          customerRef: customerId,
          locationId: 'ams-01',
          currency: 'EUR',
          totalAmount: 19995,
          lines: [],
        },
      });
    });
    // A hold made for her (a reservation names its customer).
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await setStockCount(ctx.deps, 'COAT-1', 'wh-1', { onHand: 3 });
    reservationId = (
      await reserveStock(
        ctx.deps,
        { lines: [{ sku: 'COAT-1', locationId: 'wh-1', quantity: 1 }], customerId, channel: 'WEB' },
        'hold-carla',
      )
    ).reservation.id;
    await recordAuditForTest(ctx, 'agent-7', 'customer.read', `customer:${customerId}`);
    // The sale event is relayed to BullMQ, so a job payload holds her id too.
    await publishPending(ctx.deps);
    // A Redis key the journey layer may keep per customer.
    await ctx.deps.redis.set(
      `${ctx.redisPrefix}:customer:${customerId}:loyalty`,
      JSON.stringify({ displayName: PERSONAL[0] }),
    );
  });
  afterAll(async () => {
    await ctx.close();
  });

  /** A timeline interaction, as the timeline records it. */
  async function recordInteraction(id: string, tag: string, note: string | null): Promise<void> {
    await runWrite(ctx.deps, async (w) => {
      w.atRevision(async (tx, revision) => {
        await tx
          .insertInto('customerInteractions')
          .values({
            id: randomUUID(),
            customerId: id,
            kind: note ? 'NOTE' : 'STORE_VISIT',
            channel: 'STORE',
            locationId: 'ams-01',
            sku: null,
            orderId: null,
            summary: note ? 'Agent note' : 'Visited Amsterdam',
            note,
            actor: 'client:store-1',
            source: `client:store-1:${tag}`,
            occurredAt: w.now,
            revision,
          })
          .execute();
      });
    });
  }

  it('exports everything held about the person as one JSON document', async () => {
    const doc = (await exportCustomerData(ctx.deps, customerId, 'agent-7')) as Record<string, any>;
    expect(doc.profile.displayName).toBe(PERSONAL[0]);
    expect(doc.profile.identifiers.map((i: { value: string }) => i.value).sort()).toEqual(
      [PERSONAL[1], PERSONAL[2], PERSONAL[3], PERSONAL[4]].sort(),
    );
    expect(
      doc.consentHistory.map((c: { purpose: string; granted: boolean; channel: string }) => [
        c.purpose,
        c.granted,
        c.channel,
      ]),
    ).toEqual([
      ['EMAIL_MARKETING', true, 'WEB'],
      ['PERSONALISATION', true, 'WEB'],
      ['EMAIL_MARKETING', false, 'APP'],
    ]);
    expect(doc.loyalty).toMatchObject({
      balance: 199,
      tier: 'BRONZE',
      ledger: [{ kind: 'EARN', points: 199, reference: orderId }],
    });
    expect(doc.orders).toEqual([
      expect.objectContaining({
        id: orderId,
        totalAmount: 19995,
        lines: [expect.objectContaining({ sku: 'COAT-1', quantity: 1 })],
      }),
    ]);
    expect(doc.reservations).toEqual([expect.objectContaining({ id: reservationId, status: 'ACTIVE' })]);
    expect(doc.auditEntries).toEqual([
      expect.objectContaining({ actor: 'agent-7', action: 'customer.read' }),
    ]);
    const audit = await ctx.deps.db
      .selectFrom('auditLog')
      .select(['action', 'subject'])
      .where('action', '=', 'customer.exported')
      .execute();
    expect(audit).toEqual([{ action: 'customer.exported', subject: `customer:${customerId}` }]);
    // The journey's records are in it (empty for her so far), and the export is itself a use of her data.
    expect(doc).toMatchObject({
      timeline: [],
      profileHistory: [expect.objectContaining({ field: 'consent.EMAIL_MARKETING', newValue: 'withdrawn' })],
      preferences: { channels: [], updatedAt: null },
      segments: [],
      dataUse: [],
    });
    expect(doc.profile.consents[0]).toMatchObject({ source: null, expiresAt: null });
    expect(doc.consentHistory[0]).toMatchObject({ source: null, expiresAt: null });
    const uses = await ctx.deps.db
      .selectFrom('customerDataUse')
      .select(['actor', 'purpose', 'what'])
      .execute();
    expect(uses).toEqual([
      { actor: 'agent-7', purpose: 'DATA_RIGHTS', what: 'exported all data held about her' },
    ]);
  });

  it(
    'erases: no personal data left in PostgreSQL or Redis; orders and ledgers keep their totals under a ' +
      'pseudonym',
    async () => {
      // Her second profile (with an identifier, a preference and a timeline entry), merged into the first:
      // the merge journal holds its identifier.
      const second = (
        await enrollCustomer(ctx.deps, { email: PERSONAL[6] }, { channel: 'APP', idempotencyKey: 'carla-2' })
      ).customer.id;
      await setContactPreferences(
        ctx.deps,
        second,
        { channels: [{ channel: 'PUSH', topics: ['SERVICE'] }] },
        { channel: 'APP', actor: 'channel:APP' },
      );
      await recordInteraction(second, 'second-visit', null);
      await mergeCustomers(ctx.deps, { survivorId: customerId, mergedId: second }, 'CALL_CENTER', [], {
        actor: 'admin:lead',
      });
      // A row in each of the journey's tables for the live profile too.
      await updateCustomerProfile(ctx.deps, customerId, { displayName: 'Carla J. Jansen' }, 'CALL_CENTER');
      await setContactPreferences(
        ctx.deps,
        customerId,
        { channels: [{ channel: 'EMAIL', topics: ['SERVICE'], maxPerWeek: 2 }] },
        { channel: 'WEB', actor: 'channel:WEB' },
      );
      await recordInteraction(customerId, 'note', PERSONAL[7]!);
      await recordDataUse(ctx.deps.db, clock.now(), {
        customerId,
        actor: 'admin:agent-7',
        channel: 'CALL_CENTER',
        purpose: 'SERVICE',
        what: 'read the timeline',
      });
      await defineSegment(ctx, 'loyal', 'Loyal');
      await runWrite(ctx.deps, async (w) => {
        w.atRevision(async (tx, revision) => {
          await tx
            .insertInto('segmentMemberships')
            .values({
              customerId,
              segmentId: 'loyal',
              since: w.now,
              reason: 'bought 3 times in 90 days',
              computedAt: w.now,
              revision,
            })
            .execute();
        });
      });
      for (const table of JOURNEY_TABLES) {
        const rows = await ctx.deps.db
          .selectFrom(table)
          .select('customerId')
          .where('customerId', 'in', [customerId, second])
          .execute();
        expect({ table, present: rows.length > 0 }).toEqual({ table, present: true });
      }
      const journal = await ctx.deps.db
        .selectFrom('customerMerges')
        .select('journal')
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(journal)).toContain(PERSONAL[6]);

      const beforeText = await everyRowAsText(ctx);
      for (const p of PERSONAL) expect(beforeText).toContain(p);

      const receipt = await eraseCustomer(ctx.deps, customerId, 'admin');
      expect(receipt.removed).toEqual({ profiles: 2, identifiers: 5, attributes: 2, consents: 2 });
      expect(receipt.pseudonymised).toMatchObject({ orders: 1, reservations: 1, ledgerEntries: 1 });
      expect(receipt.pseudonymised.events).toBeGreaterThanOrEqual(2);

      const afterText = await everyRowAsText(ctx);
      for (const p of PERSONAL) expect(afterText).not.toContain(p);
      expect(afterText).not.toContain(customerId);
      expect(afterText).not.toContain(second);
      for (const table of JOURNEY_TABLES)
        expect({ table, rows: await ctx.deps.db.selectFrom(table).select('customerId').execute() }).toEqual({
          table,
          rows: [],
        });
      const redisText = await everyRedisValue(ctx);
      // The relayed sale event is still queued, as its id only (the payload stays in the outbox, rewritten to
      // the pseudonym): nothing of hers in the job.
      expect(redisText).toMatch(/bull:events:outbox-[0-9a-f-]+ /);
      for (const p of PERSONAL) expect(redisText).not.toContain(p);
      expect(redisText).not.toContain(customerId);

      const order = await ctx.deps.db
        .selectFrom('orders')
        .select(['totalAmount', 'customerRef'])
        .where('id', '=', orderId)
        .executeTakeFirstOrThrow();
      expect(order).toEqual({ totalAmount: 19995, customerRef: receipt.erasureId });
      const account = await ctx.deps.db
        .selectFrom('loyaltyAccounts')
        .select(['balance'])
        .where('customerId', '=', receipt.erasureId)
        .executeTakeFirstOrThrow();
      const ledgerSum = await ctx.deps.db
        .selectFrom('loyaltyLedger')
        .select((eb) => eb.fn.sum<number>('points').as('s'))
        .where('customerId', '=', receipt.erasureId)
        .executeTakeFirstOrThrow();
      expect(Number(ledgerSum.s)).toBe(account.balance);

      expect(await getCustomer(ctx.deps.db, customerId)).toBeNull();
      expect(await findCustomerByIdentifier(ctx.deps.db, 'EMAIL', PERSONAL[1]!)).toBeNull();
      const erasedAudit = await ctx.deps.db
        .selectFrom('auditLog')
        .select(['action', 'subject', 'details'])
        .where('action', '=', 'customer.erased')
        .executeTakeFirstOrThrow();
      expect(erasedAudit.subject).toBe(`erasure:${receipt.erasureId}`);
      // The person can enrol again later as a new, unrelated profile.
      const again = await enrollCustomer(
        ctx.deps,
        { email: PERSONAL[1] },
        { channel: 'WEB', idempotencyKey: 'enrol-carla-2' },
      );
      expect(again.customer.id).not.toBe(customerId);
    },
  );

  it('erasing an unknown or already erased customer is NOT_FOUND and changes nothing', async () => {
    await expect(eraseCustomer(ctx.deps, customerId, 'admin')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
