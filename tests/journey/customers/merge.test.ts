import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  enrollCustomer,
  eraseCustomer,
  findCustomerByIdentifier,
  getCustomer,
  mergeCustomers,
  resolveCustomerId,
  setConsent,
} from '../../../journey-layer/index.js';
import {
  reserveStock,
  setStockCount,
  upsertLocation,
  upsertProduct,
} from '../../../backoffice-layer/index.js';
import { ManualClock, runWrite, givenStores } from './fixtures.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

async function givePoints(
  ctx: BackofficeTestContext,
  customerId: string,
  points: number,
  reference: string,
): Promise<void> {
  await runWrite(ctx.deps, async (w) => {
    w.atRevision(async (tx, revision) => {
      await tx
        .insertInto('loyaltyAccounts')
        .values({ customerId, balance: points, tier: 'BRONZE', revision, updatedAt: w.now })
        .onConflict((oc) =>
          oc
            .column('customerId')
            .doUpdateSet((eb) => ({ balance: eb('loyaltyAccounts.balance', '+', points) })),
        )
        .execute();
      await tx
        .insertInto('loyaltyLedger')
        .values({
          customerId,
          kind: 'EARN',
          points,
          reference,
          reason: 'purchase',
          earnedAt: w.now,
          expiresAt: null,
          revision,
        })
        .execute();
    });
  });
}

describe('merging two profiles of one person', () => {
  const clock = new ManualClock('2026-11-20T09:00:00Z');
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await givenStores(ctx, 'ams-01', 'utr-01');
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(
    'combines identifiers, facts, consents and points; the old id and identifiers lead to the ' + 'survivor',
    async () => {
      const web = (
        await enrollCustomer(
          ctx.deps,
          {
            displayName: 'Daan',
            email: 'daan@example.nl',
            consents: ['PERSONALISATION'],
            attributes: { segments: ['newsletter'], homeStore: 'ams-01' },
          },
          { channel: 'WEB', idempotencyKey: 'd1' },
        )
      ).customer;
      clock.advance(3_600_000);
      const store = (
        await enrollCustomer(
          ctx.deps,
          {
            phone: '0622223333',
            loyaltyCard: 'NK777888',
            attributes: { segments: ['students'], homeStore: 'utr-01' },
          },
          { channel: 'STORE', idempotencyKey: 'd2' },
        )
      ).customer;
      await setConsent(ctx.deps, store.id, { purpose: 'PERSONALISATION', granted: false, channel: 'STORE' });
      await givePoints(ctx, web.id, 100, 'order-a');
      await givePoints(ctx, store.id, 50, 'order-b');
      // A hold made for the store profile follows her to the survivor.
      await upsertProduct(ctx.deps, 'COAT-1', {
        name: 'Jas',
        category: 'coats',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      await upsertLocation(ctx.deps, 'utr-01', { name: 'Utrecht', kind: 'STORE', fulfilsOnline: false });
      await setStockCount(ctx.deps, 'COAT-1', 'utr-01', { onHand: 2 });
      const hold = (
        await reserveStock(
          ctx.deps,
          {
            lines: [{ sku: 'COAT-1', locationId: 'utr-01', quantity: 1 }],
            customerId: store.id,
            channel: 'STORE',
          },
          'hold-d2',
        )
      ).reservation.id;

      const { customer, revision } = await mergeCustomers(
        ctx.deps,
        { survivorId: web.id, mergedId: store.id },
        'CALL_CENTER',
      );
      expect(customer.id).toBe(web.id);
      expect(
        await ctx.deps.db
          .selectFrom('reservations')
          .select('customerId')
          .where('id', '=', hold)
          .executeTakeFirstOrThrow(),
      ).toEqual({ customerId: web.id });
      expect(customer.displayName).toBe('Daan');
      expect(customer.identifiers.map((i) => i.kind)).toEqual(['EMAIL', 'LOYALTY_CARD', 'PHONE']);
      expect(customer.attributes.segments?.value).toEqual(['newsletter', 'students']);
      expect(customer.attributes.homeStore?.value).toBe('utr-01'); // the later fact wins
      expect(customer.consents).toEqual([
        expect.objectContaining({ purpose: 'PERSONALISATION', granted: false, channel: 'STORE' }),
      ]);
      const account = await ctx.deps.db
        .selectFrom('loyaltyAccounts')
        .select('balance')
        .where('customerId', '=', web.id)
        .executeTakeFirstOrThrow();
      const sum = await ctx.deps.db
        .selectFrom('loyaltyLedger')
        .select((eb) => eb.fn.sum<number>('points').as('s'))
        .where('customerId', '=', web.id)
        .executeTakeFirstOrThrow();
      expect(account.balance).toBe(150);
      expect(Number(sum.s)).toBe(150);
      expect(await resolveCustomerId(ctx.deps.db, store.id)).toBe(web.id);
      expect(await findCustomerByIdentifier(ctx.deps.db, 'LOYALTY_CARD', 'nk777888')).toBe(web.id);
      expect((await getCustomer(ctx.deps.db, store.id))?.id).toBe(web.id);
      const merges = await ctx.deps.db
        .selectFrom('customerMerges')
        .select(['fromId', 'intoId', 'channel', 'revision'])
        .execute();
      expect(merges).toEqual([{ fromId: store.id, intoId: web.id, channel: 'CALL_CENTER', revision }]);
      const mergedRow = await ctx.deps.db
        .selectFrom('customers')
        .selectAll()
        .where('id', '=', store.id)
        .executeTakeFirstOrThrow();
      expect(mergedRow).toMatchObject({ status: 'MERGED', mergedInto: web.id, displayName: null });

      await expect(
        mergeCustomers(ctx.deps, { survivorId: web.id, mergedId: store.id }, 'CALL_CENTER'),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(
        mergeCustomers(ctx.deps, { survivorId: web.id, mergedId: 'nope' }, 'CALL_CENTER'),
      ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });

      // Erasing the person removes both profiles.
      const receipt = await eraseCustomer(ctx.deps, store.id, 'admin');
      expect(receipt.removed.profiles).toBe(2);
      const left = await ctx.deps.db.selectFrom('customers').select('status').execute();
      expect(left).toEqual([{ status: 'ERASED' }]);
    },
  );
});
