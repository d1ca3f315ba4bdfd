import { sql } from 'kysely';
import { z } from 'zod';
import { reassignCustomerOrders } from '../../backoffice-layer/index.js';
import {
  DomainError,
  parseInput,
  runWrite,
  UuidSchema,
  WriteOriginSchema,
  type WriteOrigin,
} from '../../shared/index.js';
import type { Executor, WriteContext } from '../tables.js';
import type { JourneyDeps } from '../journey-deps.js';
import { getCustomer, resolveCustomerId, type CustomerView } from './customer-reads.js';

/** Work other journey modules do inside the merge transaction (loyalty recomputes the survivor's tier). */
export type MergeHook = (w: WriteContext, survivorId: string, mergedId: string) => Promise<void>;

const MergeInputSchema = z.strictObject({ survivorId: UuidSchema, mergedId: UuidSchema });

/**
 * Both live profiles, their rows locked in id order (first in the hub's lock order, see
 * shared/database/write-transaction.ts), so two merges of one pair cannot deadlock and a merge serialises
 * with an erasure of either. A profile merged away while this waited is followed to its survivor.
 * @throws NOT_FOUND when either is unknown or was erased (also while this waited); CONFLICT when they are
 *   one.
 */
async function lockLivePair(tx: Executor, survivorId: string, mergedId: string): Promise<[string, string]> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const survivor = await resolveCustomerId(tx, survivorId);
    const merged = await resolveCustomerId(tx, mergedId);
    if (survivor === merged)
      throw new DomainError('CONFLICT', 'These profiles are already one', { customerId: survivor });
    const rows = await tx
      .selectFrom('customers')
      .select(['id', 'status'])
      .where('id', 'in', [survivor, merged])
      .orderBy('id')
      .forUpdate()
      .execute();
    if (rows.length === 2 && rows.every((r) => r.status === 'ACTIVE')) return [survivor, merged];
  }
  throw new DomainError('NOT_FOUND', 'One of the profiles no longer exists (merged or erased meanwhile)', {
    survivorId,
    mergedId,
  });
}

/**
 * Two profiles turn out to be the same person: everything moves to the survivor in one transaction —
 * identifiers, attributes (the most recently changed fact wins; segments are united), consents (the most
 * recent decision per purpose wins; both histories kept), the loyalty ledger and balance (history combined,
 * so the balance is still the ledger sum), orders, reservations and coupon use (so per-customer limits count
 * both). The merged profile keeps no data of its own, only a pointer to the survivor, so old ids still
 * resolve. The merge is recorded.
 */
export async function mergeCustomers(
  deps: JourneyDeps,
  input: { survivorId: string; mergedId: string },
  channel: WriteOrigin,
  hooks: MergeHook[] = [],
): Promise<{ customer: CustomerView; revision: number }> {
  const body = parseInput(MergeInputSchema, input, 'body');
  const ch = WriteOriginSchema.parse(channel);
  const { result, revision } = await runWrite(deps, async (w) => {
    const [survivor, merged] = await lockLivePair(w.tx, body.survivorId, body.mergedId);
    const tx = w.tx;
    await tx
      .updateTable('customerIdentifiers')
      .set({ customerId: survivor })
      .where('customerId', '=', merged)
      .execute();

    await sql`
      INSERT INTO customer_attributes AS a (customer_id, name, value, channel, changed_at)
      SELECT ${survivor}::uuid, m.name, m.value, m.channel, m.changed_at
        FROM customer_attributes m WHERE m.customer_id = ${merged}::uuid
      ON CONFLICT (customer_id, name) DO UPDATE SET
        value = CASE WHEN a.name = 'segments'
                     THEN (SELECT coalesce(jsonb_agg(DISTINCT s ORDER BY s), '[]'::jsonb)
                             FROM jsonb_array_elements(a.value || EXCLUDED.value) s)
                     WHEN EXCLUDED.changed_at > a.changed_at THEN EXCLUDED.value ELSE a.value END,
        channel = CASE WHEN EXCLUDED.changed_at > a.changed_at THEN EXCLUDED.channel ELSE a.channel END,
        changed_at = greatest(a.changed_at, EXCLUDED.changed_at)`.execute(tx);
    await tx.deleteFrom('customerAttributes').where('customerId', '=', merged).execute();

    await sql`
      INSERT INTO consents AS c (customer_id, purpose, granted, channel, changed_at)
      SELECT ${survivor}::uuid, m.purpose, m.granted, m.channel, m.changed_at
        FROM consents m WHERE m.customer_id = ${merged}::uuid
      ON CONFLICT (customer_id, purpose) DO UPDATE SET
        granted = CASE WHEN EXCLUDED.changed_at > c.changed_at THEN EXCLUDED.granted ELSE c.granted END,
        channel = CASE WHEN EXCLUDED.changed_at > c.changed_at THEN EXCLUDED.channel ELSE c.channel END,
        changed_at = greatest(c.changed_at, EXCLUDED.changed_at)`.execute(tx);
    await tx.deleteFrom('consents').where('customerId', '=', merged).execute();
    await tx
      .updateTable('consentHistory')
      .set({ customerId: survivor })
      .where('customerId', '=', merged)
      .execute();

    const mergedAccount = await tx
      .selectFrom('loyaltyAccounts')
      .select(['balance', 'tier'])
      .where('customerId', '=', merged)
      .forUpdate()
      .executeTakeFirst();
    if (mergedAccount) {
      await tx
        .updateTable('loyaltyLedger')
        .set({ customerId: survivor })
        .where('customerId', '=', merged)
        .execute();
      const updated = await tx
        .updateTable('loyaltyAccounts')
        .set((eb) => ({ balance: eb('balance', '+', mergedAccount.balance) }))
        .where('customerId', '=', survivor)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) {
        await tx
          .insertInto('loyaltyAccounts')
          .values({
            customerId: survivor,
            balance: mergedAccount.balance,
            tier: mergedAccount.tier,
            revision: 0,
            updatedAt: w.now,
          })
          .execute();
      }
      await tx.deleteFrom('loyaltyAccounts').where('customerId', '=', merged).execute();
    }
    // Orders and reservations are the backoffice's: it moves them, in this transaction.
    await reassignCustomerOrders(tx, [merged], survivor);
    await tx
      .updateTable('couponRedemptions')
      .set({ customerId: survivor })
      .where('customerId', '=', merged)
      .execute();

    const rows = await tx
      .selectFrom('customers')
      .select(['id', 'displayName', 'firstOrderAt'])
      .where('id', 'in', [survivor, merged])
      .execute();
    const s = rows.find((r) => r.id === survivor)!;
    const m = rows.find((r) => r.id === merged)!;
    const firstOrderAt =
      [s.firstOrderAt, m.firstOrderAt]
        .filter((d): d is Date => d !== null)
        .sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
    await tx
      .updateTable('customers')
      .set({ displayName: s.displayName ?? m.displayName, firstOrderAt, updatedAt: w.now })
      .where('id', '=', survivor)
      .execute();
    await tx
      .updateTable('customers')
      .set({
        status: 'MERGED',
        mergedInto: survivor,
        displayName: null,
        firstOrderAt: null,
        updatedAt: w.now,
      })
      .where('id', '=', merged)
      .execute();
    await tx
      .updateTable('customers')
      .set({ mergedInto: survivor })
      .where('mergedInto', '=', merged)
      .execute();

    for (const hook of hooks) await hook(w, survivor, merged);
    w.atRevision(async (t, rev) => {
      await t
        .insertInto('customerMerges')
        .values({ fromId: merged, intoId: survivor, channel: ch, revision: rev, mergedAt: w.now })
        .execute();
      await t.updateTable('customers').set({ revision: rev }).where('id', 'in', [survivor, merged]).execute();
    });
    w.emit({
      type: 'customer.merged',
      aggregateType: 'customer',
      aggregateId: survivor,
      payload: { survivorId: survivor, mergedId: merged },
    });
    w.emit({
      type: 'customer.changed',
      aggregateType: 'customer',
      aggregateId: survivor,
      payload: { customerId: survivor },
    });
    return survivor;
  });
  return { customer: (await getCustomer(deps.db, result))!, revision };
}
