import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import {
  auditEntriesAbout,
  customerOrderRecords,
  reassignCustomerOrders,
  recordAudit,
  renameAuditSubject,
} from '../../backoffice-layer/index.js';
import { deleteKeysMatching, runWrite, type WriteOrigin } from '../../shared/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import { getCustomer, lockLiveCustomer, profileFamily, resolveCustomerId } from './customer-reads.js';
import { recordDataUse } from './data-use.js';
import { getContactPreferences } from './preferences.js';
import { profileHistory } from './profile-history.js';

/**
 * Everything held about a person, as one JSON document: profile (identifiers, attributes with their channel,
 * consents with source and expiry), consents' history, contact preferences, segment memberships with their
 * reason, the timeline (every interaction, with notes), the profile history, loyalty account and ledger,
 * orders and returns, reservations made for her, coupon use, merges, what her data was used for and the
 * audit entries about her. The export itself is audit-logged (without content) and recorded as a use of her
 * data (purpose `DATA_RIGHTS`, by `actor` through `channel`, default ADMIN).
 * @throws NOT_FOUND for an unknown or erased profile.
 */
export async function exportCustomerData(
  deps: JourneyDeps,
  customerId: string,
  actor: string,
  channel: WriteOrigin = 'ADMIN',
): Promise<Record<string, unknown>> {
  const id = await resolveCustomerId(deps.db, customerId);
  const family = await profileFamily(deps.db, id);
  const db = deps.db;
  const [profile, consentHistory, account, ledger, purchases, redemptions, merges, audit] = await Promise.all(
    [
      getCustomer(db, id),
      db
        .selectFrom('consentHistory')
        .select(['purpose', 'granted', 'channel', 'changedAt', 'source', 'expiresAt'])
        .where('customerId', 'in', family)
        .orderBy('id')
        .execute(),
      db
        .selectFrom('loyaltyAccounts')
        .select(['balance', 'tier', 'updatedAt'])
        .where('customerId', '=', id)
        .executeTakeFirst(),
      db
        .selectFrom('loyaltyLedger')
        .select(['kind', 'points', 'reference', 'reason', 'earnedAt', 'expiresAt'])
        .where('customerId', 'in', family)
        .orderBy('id')
        .execute(),
      // Orders, their lines and returns, and reservations are the backoffice's: read through its index.
      customerOrderRecords(db, family),
      db
        .selectFrom('couponRedemptions')
        .select(['code', 'orderId', 'amount', 'redeemedAt'])
        .where('customerId', 'in', family)
        .orderBy('id')
        .execute(),
      db
        .selectFrom('customerMerges')
        .select(['fromId', 'intoId', 'channel', 'mergedAt', 'undoneAt'])
        .where((eb) => eb.or([eb('fromId', 'in', family), eb('intoId', 'in', family)]))
        .orderBy('id')
        .execute(),
      auditEntriesAbout(
        db,
        family.map((f) => `customer:${f}`),
      ),
    ],
  );
  const [timeline, history, preferences, segments, dataUse] = await Promise.all([
    db
      .selectFrom('customerInteractions')
      .select(['id', 'kind', 'channel', 'occurredAt', 'locationId', 'sku', 'orderId', 'summary', 'note'])
      .where('customerId', 'in', family)
      .orderBy('occurredAt')
      .orderBy('id')
      .execute(),
    profileHistory(db, id),
    getContactPreferences(db, id),
    db
      .selectFrom('segmentMemberships')
      .innerJoin('segmentDefinitions', 'segmentDefinitions.id', 'segmentMemberships.segmentId')
      .select([
        'segmentMemberships.segmentId as segment',
        'segmentDefinitions.name',
        'segmentMemberships.since',
        'segmentMemberships.reason',
        'segmentMemberships.computedAt',
      ])
      .where('segmentMemberships.customerId', 'in', family)
      .orderBy('segmentMemberships.segmentId')
      .execute(),
    db
      .selectFrom('customerDataUse')
      .select(['at', 'actor', 'channel', 'purpose', 'what'])
      .where('customerId', 'in', family)
      .orderBy('id')
      .execute(),
  ]);
  const { orders, lines, returns, reservations } = purchases;
  await recordAudit(deps.db, deps.clock.now(), {
    actor,
    action: 'customer.exported',
    subject: `customer:${id}`,
  });
  await recordDataUse(deps.db, deps.clock.now(), {
    customerId: id,
    actor,
    channel,
    purpose: 'DATA_RIGHTS',
    what: 'exported all data held about her',
  });
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    exportedAt: deps.clock.now().toISOString(),
    profile,
    mergedProfiles: family.filter((f) => f !== id),
    consentHistory: consentHistory.map((c) => ({
      ...c,
      changedAt: iso(c.changedAt),
      expiresAt: iso(c.expiresAt),
    })),
    preferences,
    segments: segments.map((s) => ({ ...s, since: iso(s.since), computedAt: iso(s.computedAt) })),
    timeline: timeline.map(({ occurredAt, ...t }) => ({ ...t, at: iso(occurredAt) })),
    profileHistory: history,
    loyalty: account
      ? {
          balance: account.balance,
          tier: account.tier,
          updatedAt: iso(account.updatedAt),
          ledger: ledger.map((l) => ({ ...l, earnedAt: iso(l.earnedAt), expiresAt: iso(l.expiresAt) })),
        }
      : null,
    orders: orders.map((o) => ({
      ...o,
      createdAt: iso(o.createdAt),
      lines: lines.filter((l) => l.orderId === o.id).map(({ orderId: _o, ...l }) => l),
    })),
    returns: returns.map((r) => ({ ...r, createdAt: iso(r.createdAt) })),
    reservations: reservations.map((r) => ({
      ...r,
      expiresAt: iso(r.expiresAt),
      createdAt: iso(r.createdAt),
    })),
    couponRedemptions: redemptions.map((r) => ({ ...r, redeemedAt: iso(r.redeemedAt) })),
    merges: merges.map((m) => ({ ...m, mergedAt: iso(m.mergedAt), undoneAt: iso(m.undoneAt) })),
    dataUse: dataUse.map((u) => ({ ...u, at: iso(u.at) })),
    auditEntries: audit.map((a) => ({ ...a, at: iso(a.at) })),
  };
}

export interface ErasureReceipt {
  /** A fresh id that now stands for the erased person in financial records; linked to nothing else. */
  erasureId: string;
  erasedAt: string;
  removed: { profiles: number; identifiers: number; attributes: number; consents: number };
  pseudonymised: {
    orders: number;
    reservations: number;
    ledgerEntries: number;
    couponRedemptions: number;
    events: number;
  };
  revision: number;
}

/** Rows touched by a Kysely delete or update. */
async function count(
  q: Promise<Array<{ numDeletedRows: bigint } | { numUpdatedRows: bigint }>>,
): Promise<number> {
  const r = await q;
  return r.reduce((n, x) => n + Number('numDeletedRows' in x ? x.numDeletedRows : x.numUpdatedRows), 0);
}

/**
 * Erases a person: identifiers, attributes, name, consents, her timeline, profile history, contact
 * preferences, segment memberships, data-use entries, merge links and every merge journal that names one of
 * her profile ids are deleted (for the whole profile family); orders, returns,
 * reservations, the loyalty ledger and coupon redemptions keep their amounts but are moved to a fresh
 * pseudonym (the `erasureId`) that nothing links back to her; her old ids are rewritten in the outbox,
 * idempotency records, audit trail and other people's records that name them (history, data use,
 * timeline). One transaction: all of it or none. Redis keys under her id are deleted after commit. The
 * audit entry names no person (only the erasure id).
 * @throws NOT_FOUND for an unknown, merged-away or already erased customer — also for every erasure of her
 *   that ran concurrently with the one that succeeded.
 */
export async function eraseCustomer(
  deps: JourneyDeps,
  customerId: string,
  actor: string,
): Promise<ErasureReceipt> {
  const erasureId = randomUUID();
  let family: string[] = [];
  const { result, revision } = await runWrite(deps, async (w) => {
    const tx = w.tx;
    // Concurrent erasures of one person queue on this lock; the ones that come after the first find nobody to
    // erase. First in the hub's lock order (shared/database/write-transaction.ts), as in every write that
    // names her: her orders, sales, redemptions and profile changes wait here, commit before or find nobody
    // after.
    const liveId = await lockLiveCustomer(tx, customerId);
    family = await profileFamily(tx, liveId);
    await tx
      .insertInto('customers')
      .values({
        id: erasureId,
        status: 'ERASED',
        displayName: null,
        mergedInto: null,
        firstOrderAt: null,
        revision: 0,
        createdAt: w.now,
        updatedAt: w.now,
        erasedAt: w.now,
      })
      .execute();
    const removed = {
      profiles: family.length,
      identifiers: await count(
        tx.deleteFrom('customerIdentifiers').where('customerId', 'in', family).execute(),
      ),
      attributes: await count(
        tx.deleteFrom('customerAttributes').where('customerId', 'in', family).execute(),
      ),
      consents: await count(tx.deleteFrom('consents').where('customerId', 'in', family).execute()),
    };
    await tx.deleteFrom('consentHistory').where('customerId', 'in', family).execute();
    // What she did, what was corrected, how she wants to be contacted, her segments, who used her data: all
    // of it is hers, and goes.
    await tx.deleteFrom('customerInteractions').where('customerId', 'in', family).execute();
    await tx.deleteFrom('profileChanges').where('customerId', 'in', family).execute();
    await tx.deleteFrom('contactPreferences').where('customerId', 'in', family).execute();
    await tx.deleteFrom('segmentMemberships').where('customerId', 'in', family).execute();
    await tx.deleteFrom('customerDataUse').where('customerId', 'in', family).execute();
    // The merges of her profiles, and any merge journal that names one of her ids (journals hold identifiers
    // and facts of both profiles of a merge).
    await tx
      .deleteFrom('customerMerges')
      .where((eb) =>
        eb.or([
          eb('fromId', 'in', family),
          eb('intoId', 'in', family),
          ...family.map((f) => eb(sql<string>`journal::text`, 'like', `%${f}%`)),
        ]),
      )
      .execute();
    // Orders and reservations are the backoffice's: moved to the pseudonym by it, in this transaction.
    const moved = await reassignCustomerOrders(tx, family, erasureId);
    // Accounts of merged-away profiles hold nothing (their points moved at merge); the live one keeps its
    // balance.
    const mergedAway = family.filter((f) => f !== liveId);
    if (mergedAway.length > 0)
      await tx.deleteFrom('loyaltyAccounts').where('customerId', 'in', mergedAway).execute();
    await tx
      .updateTable('loyaltyAccounts')
      .set({ customerId: erasureId })
      .where('customerId', '=', liveId)
      .execute();
    const pseudonymised = {
      orders: moved.orders,
      reservations: moved.reservations,
      ledgerEntries: await count(
        tx
          .updateTable('loyaltyLedger')
          .set({ customerId: erasureId })
          .where('customerId', 'in', family)
          .execute(),
      ),
      couponRedemptions: await count(
        tx
          .updateTable('couponRedemptions')
          .set({ customerId: erasureId })
          .where('customerId', 'in', family)
          .execute(),
      ),
      events: 0,
    };
    for (const old of family) {
      const r = await sql`UPDATE outbox SET payload = replace(payload::text, ${old}, ${erasureId})::jsonb,
                                            aggregate_id = replace(aggregate_id, ${old}, ${erasureId})
                          WHERE aggregate_id = ${old} OR payload::text LIKE ${`%${old}%`}`.execute(tx);
      pseudonymised.events += Number(r.numAffectedRows ?? 0n);
      await sql`DELETE FROM idempotency_keys WHERE response::text LIKE ${`%${old}%`}`.execute(tx);
      // Another person's records that name one of her ids (a merge of the two undone since: its history
      // entries and data use, an interaction's text) name the pseudonym instead.
      await sql`UPDATE profile_changes SET old_value = replace(old_value, ${old}, ${erasureId}),
                                           new_value = replace(new_value, ${old}, ${erasureId})
                WHERE old_value LIKE ${`%${old}%`} OR new_value LIKE ${`%${old}%`}`.execute(tx);
      await sql`UPDATE customer_data_use SET what = replace(what, ${old}, ${erasureId})
                WHERE what LIKE ${`%${old}%`}`.execute(tx);
      await sql`UPDATE customer_interactions SET summary = replace(summary, ${old}, ${erasureId}),
                                                 note = replace(note, ${old}, ${erasureId})
                WHERE summary LIKE ${`%${old}%`} OR note LIKE ${`%${old}%`}`.execute(tx);
      await renameAuditSubject(tx, `customer:${old}`, `customer:${erasureId}`);
    }
    // Merged-away profiles point at the live one: delete them first, then the live profile itself.
    if (mergedAway.length > 0) await tx.deleteFrom('customers').where('id', 'in', mergedAway).execute();
    await tx.deleteFrom('customers').where('id', '=', liveId).execute();
    w.emit({
      type: 'customer.erased',
      aggregateType: 'customer',
      aggregateId: erasureId,
      payload: { erasureId },
    });
    w.atRevision(async (t, rev) => {
      await t.updateTable('customers').set({ revision: rev }).where('id', '=', erasureId).execute();
      await recordAudit(t, w.now, {
        actor,
        action: 'customer.erased',
        subject: `erasure:${erasureId}`,
        revision: rev,
        details: { removed, pseudonymised },
      });
    });
    return { removed, pseudonymised };
  });
  await deleteCustomerKeys(deps, family);
  await scrubQueuedEvents(deps, family, erasureId);
  return { erasureId, erasedAt: deps.clock.now().toISOString(), ...result, revision };
}

/**
 * Event jobs queued before jobs carried event ids only (one envelope each: waiting, retrying, or kept as
 * completed/failed history) still carry the old ids in their payloads: rewrite them to the pseudonym, as the
 * outbox rows were. Jobs of event ids hold nothing personal.
 */
async function scrubQueuedEvents(deps: JourneyDeps, ids: string[], erasureId: string): Promise<void> {
  const jobs = await deps.queues.events.getJobs(
    ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'],
    0,
    -1,
  );
  for (const job of jobs) {
    const text = JSON.stringify(job.data);
    if (!ids.some((id) => text.includes(id))) continue;
    const scrubbed = ids.reduce((t, id) => t.split(id).join(erasureId), text);
    await job.updateData(JSON.parse(scrubbed) as typeof job.data).catch(() => undefined);
  }
}

/** Deletes every Redis key the journey layer keeps for these profile ids (`<prefix>:customer:<id>…`). */
async function deleteCustomerKeys(deps: JourneyDeps, ids: string[]): Promise<void> {
  for (const id of ids) await deleteKeysMatching(deps.redis, `${deps.redisPrefix}:customer:${id}*`);
}
