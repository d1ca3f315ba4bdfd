import { customerOrderRecords, moveCustomerOrders } from '../../backoffice-layer/index.js';
import { DomainError, runWrite, WriteOriginSchema, type WriteOrigin } from '../../shared/index.js';
import type { Executor, WriteContext } from '../tables.js';
import type { JourneyDeps } from '../journey-deps.js';
import { getLoyaltyProgram } from '../loyalty/ledger.js';
import { dropSegmentsWithoutProfiling } from '../segments/compute.js';
import { profileAfterWrite, type CustomerView } from './customer-reads.js';
import { recordDataUse } from './data-use.js';
import {
  journalAttribute,
  journalConsent,
  moveRows,
  sameRow,
  UNMERGE_WINDOW_DAYS,
  writeConsentRow,
  writeProfile,
} from './merge.js';
import { MergeJournalSchema, type JournalAttribute, type MergeJournal } from './merge-journal.js';
import { recordProfileChange } from './profile-history.js';

/*
 * Undoing a merge staff made by mistake: within 30 days, everything the merge moved goes back where it came
 * from, from its journal (merge-journal.ts). What was recorded on the survivor after the merge stays there.
 */

const DAY_MS = 86_400_000;

/** A merge as staff see it: who into whom, when, and whether (when) it was undone. Instants ISO 8601. */
export interface MergeView {
  mergeId: string;
  survivorId: string;
  mergedId: string;
  mergedAt: string;
  undoneAt: string | null;
}

/** The merge row's numeric id for `mergeId` (decimal text), or null when it cannot be one. */
function mergeRowId(mergeId: string): number | null {
  return /^[1-9][0-9]{0,15}$/.test(mergeId) ? Number(mergeId) : null;
}

/** One merge (for the access check before an undo), or null when there is none by that id. */
export async function getMerge(db: Executor, mergeId: string): Promise<MergeView | null> {
  const id = mergeRowId(mergeId);
  if (id === null) return null;
  const row = await db
    .selectFrom('customerMerges')
    .select(['id', 'fromId', 'intoId', 'mergedAt', 'undoneAt'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row
    ? {
        mergeId: String(row.id),
        survivorId: row.intoId,
        mergedId: row.fromId,
        mergedAt: row.mergedAt.toISOString(),
        undoneAt: row.undoneAt ? row.undoneAt.toISOString() : null,
      }
    : null;
}

const conflict = (message: string, details: Record<string, unknown>): never => {
  throw new DomainError('CONFLICT', message, details);
};

/**
 * Locks both profiles (the survivor, then the merged one: first in the hub's lock order) and then the merge,
 * and checks that it can be undone. Returns the journal.
 */
async function lockUndoable(
  w: WriteContext,
  id: number,
  mergeId: string,
  survivor: string,
  merged: string,
): Promise<MergeJournal> {
  // The live profile first, then the one merged into it: the order every write of the family keeps (an
  // erasure of the survivor locks it, then deletes the merged profiles), so the two never deadlock.
  const profiles = [];
  for (const profileId of [survivor, merged]) {
    const profile = await w.tx
      .selectFrom('customers')
      .select(['id', 'status', 'mergedInto'])
      .where('id', '=', profileId)
      .forUpdate()
      .executeTakeFirst();
    if (profile) profiles.push(profile);
  }
  const row = await w.tx
    .selectFrom('customerMerges')
    .select(['mergedAt', 'undoneAt', 'journal'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new DomainError('NOT_FOUND', `No merge ${mergeId}`, { mergeId });
  if (row.undoneAt) conflict(`This merge was already undone, at ${row.undoneAt.toISOString()}`, { mergeId });
  if (w.now.getTime() - row.mergedAt.getTime() > UNMERGE_WINDOW_DAYS * DAY_MS)
    conflict(
      `A merge can be undone within ${UNMERGE_WINDOW_DAYS} days; this one was made at ` +
        `${row.mergedAt.toISOString()}`,
      { mergeId },
    );
  const s = profiles.find((p) => p.id === survivor);
  const m = profiles.find((p) => p.id === merged);
  if (s?.status !== 'ACTIVE')
    conflict('The surviving profile is no longer active (merged into another since, or erased)', { mergeId });
  if (m?.status !== 'MERGED' || m.mergedInto !== survivor)
    conflict('The merged profile no longer points at the survivor', { mergeId });
  if (row.journal === null)
    conflict('This merge was made before merges kept a journal of what they moved; it cannot be undone', {
      mergeId,
    });
  // A later merge into the same survivor overwrote what this one wrote (and journalled it as the survivor's
  // own): undone out of order, the survivor would keep the facts of the profile given back. Last first.
  const later = await w.tx
    .selectFrom('customerMerges')
    .select('id')
    .where('intoId', '=', survivor)
    .where('id', '>', id)
    .where('undoneAt', 'is', null)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (later)
    conflict(`Profiles were merged into the survivor since (merge ${later.id}): undo that merge first`, {
      mergeId,
      laterMergeId: String(later.id),
    });
  return MergeJournalSchema.parse(row.journal);
}

/**
 * Gives both loyalty accounts back their own ledger: the moved entries and `following` (entries booked on
 * the survivor since for her orders) return to the merged profile and each balance becomes its ledger sum;
 * the tiers as before the merge (the survivor's only when it is still the one the merge left; hers the
 * programme's first when she had no account before).
 * @throws CONFLICT when points of the merged profile were spent on the survivor since: giving them back would
 *   overdraw the survivor.
 */
async function restoreLoyalty(
  w: WriteContext,
  journal: MergeJournal,
  survivor: string,
  merged: string,
  mergeId: string,
  following: readonly number[],
): Promise<void> {
  const { survivorBefore, survivorTierAfter } = journal.loyalty;
  const ledgerIds = [...journal.loyalty.ledgerIds, ...following];
  const tx = w.tx;
  const mergedBefore =
    journal.loyalty.mergedBefore ??
    (following.length > 0 ? { balance: 0, tier: (await getLoyaltyProgram(tx)).tiers[0]!.id } : null);
  if (!mergedBefore) return;
  const current = await tx
    .selectFrom('loyaltyAccounts')
    .select(['balance', 'tier'])
    .where('customerId', '=', survivor)
    .forUpdate()
    .executeTakeFirst();
  await moveRows(tx, 'loyaltyLedger', survivor, merged, ledgerIds);
  const sums = await tx
    .selectFrom('loyaltyLedger')
    .select([
      'customerId',
      (eb) => eb.fn.sum<number>('points').as('points'),
      (eb) => eb.fn.countAll().as('n'),
    ])
    .where('customerId', 'in', [survivor, merged])
    .groupBy('customerId')
    .execute();
  const sum = (id: string) => Number(sums.find((r) => r.customerId === id)?.points ?? 0);
  const survivorPoints = sum(survivor);
  if (survivorPoints < 0)
    conflict(
      `Points of the merged profile were spent since the merge: giving back ${sum(merged)} points would ` +
        `overdraw the surviving profile (balance ${current?.balance ?? 0}). Adjust the points first, or ` +
        'keep the merge.',
      { mergeId, balance: current?.balance ?? 0, pointsToGiveBack: sum(merged) },
    );
  const survivorHasLedger = sums.some((r) => r.customerId === survivor);
  if (!survivorBefore && !survivorHasLedger) {
    await tx.deleteFrom('loyaltyAccounts').where('customerId', '=', survivor).execute();
  } else if (current) {
    const tier = survivorBefore && current.tier === survivorTierAfter ? survivorBefore.tier : current.tier;
    await tx
      .updateTable('loyaltyAccounts')
      .set({ balance: survivorPoints, tier, updatedAt: w.now })
      .where('customerId', '=', survivor)
      .execute();
  }
  await tx
    .insertInto('loyaltyAccounts')
    .values({
      customerId: merged,
      balance: sum(merged),
      tier: mergedBefore.tier,
      revision: 0,
      updatedAt: w.now,
    })
    .execute();
  w.atRevision(async (t, revision) => {
    await t
      .updateTable('loyaltyAccounts')
      .set({ revision })
      .where('customerId', 'in', [survivor, merged])
      .execute();
  });
}

/**
 * Puts back rows the merge overwrote on the survivor, per key, where the survivor's row still holds what the
 * merge wrote (a correction made after the merge is kept); `write` writes a before row, `remove` deletes the
 * key where the survivor had none.
 */
async function restoreOverwritten<R extends { changedAt: string }>(
  part: { survivorBefore: R[]; survivorAfter: R[] },
  key: (r: R) => string,
  current: Map<string, R>,
  write: (r: R) => Promise<void>,
  remove: (k: string) => Promise<void>,
): Promise<void> {
  for (const after of part.survivorAfter) {
    const k = key(after);
    const now = current.get(k);
    if (!now || !sameRow(now, after)) continue;
    const before = part.survivorBefore.find((b) => key(b) === k);
    if (before) await write(before);
    else await remove(k);
  }
}

async function writeAttributeRow(tx: Executor, customerId: string, a: JournalAttribute): Promise<void> {
  const values = { value: JSON.stringify(a.value), channel: a.channel, changedAt: new Date(a.changedAt) };
  await tx
    .insertInto('customerAttributes')
    .values({ customerId, name: a.name, ...values })
    .onConflict((oc) => oc.columns(['customerId', 'name']).doUpdateSet(values))
    .execute();
}

/**
 * What the survivor holds about the merged profile's orders (hers again, or placed under her id while merged)
 * that was booked after the merge — an event's worker lags behind the write that emitted it: loyalty entries
 * for her orders and returns, and timeline interactions about her orders. They go back with the orders.
 */
async function followingHerOrders(
  tx: Executor,
  survivor: string,
  merged: string,
): Promise<{ ledgerIds: number[]; interactionIds: string[] }> {
  const { orders, returns } = await customerOrderRecords(tx, [merged]);
  const orderIds = orders.map((o) => o.id);
  if (orderIds.length === 0) return { ledgerIds: [], interactionIds: [] };
  const [ledger, interactions] = await Promise.all([
    tx
      .selectFrom('loyaltyLedger')
      .select('id')
      .where('customerId', '=', survivor)
      .where('reference', 'in', [...orderIds, ...returns.map((r) => r.id)])
      .execute(),
    tx
      .selectFrom('customerInteractions')
      .select('id')
      .where('customerId', '=', survivor)
      .where('orderId', 'in', orderIds)
      .execute(),
  ]);
  return { ledgerIds: ledger.map((l) => l.id), interactionIds: interactions.map((i) => i.id) };
}

/** Attributes, consents and contact preferences back on both profiles. */
async function restoreFacts(tx: Executor, journal: MergeJournal, survivor: string, merged: string) {
  const attributes = await tx
    .selectFrom('customerAttributes')
    .selectAll()
    .where('customerId', '=', survivor)
    .execute();
  await restoreOverwritten(
    journal.attributes,
    (a) => a.name,
    new Map(attributes.map((a) => [a.name, journalAttribute(a)])),
    (a) => writeAttributeRow(tx, survivor, a),
    async (name) => {
      await tx
        .deleteFrom('customerAttributes')
        .where('customerId', '=', survivor)
        .where('name', '=', name)
        .execute();
    },
  );
  for (const a of journal.attributes.merged) await writeAttributeRow(tx, merged, a);

  const consents = await tx.selectFrom('consents').selectAll().where('customerId', '=', survivor).execute();
  await restoreOverwritten(
    journal.consents,
    (c) => c.purpose,
    new Map(consents.map((c) => [c.purpose, journalConsent(c)])),
    (c) => writeConsentRow(tx, survivor, c),
    async (purpose) => {
      await tx
        .deleteFrom('consents')
        .where('customerId', '=', survivor)
        .where('purpose', '=', purpose as MergeJournal['consents']['merged'][number]['purpose'])
        .execute();
    },
  );
  for (const c of journal.consents.merged) await writeConsentRow(tx, merged, c);

  // Channels the merge moved leave the survivor when she did not change them since.
  const prefs = await tx
    .selectFrom('contactPreferences')
    .selectAll()
    .where('customerId', '=', survivor)
    .execute();
  for (const p of journal.preferences.merged) {
    const now = prefs.find((x) => x.channel === p.channel);
    if (
      journal.preferences.moved.includes(p.channel) &&
      now &&
      sameRow(
        { ...p, changedAt: new Date(p.changedAt).getTime() },
        {
          channel: now.channel,
          topics: now.topics,
          maxPerWeek: now.maxPerWeek,
          source: now.source,
          changedAt: now.changedAt.getTime(),
        },
      )
    )
      await tx
        .deleteFrom('contactPreferences')
        .where('customerId', '=', survivor)
        .where('channel', '=', p.channel)
        .execute();
    await tx
      .insertInto('contactPreferences')
      .values({ ...p, customerId: merged, changedAt: new Date(p.changedAt) })
      .execute();
  }
}

/**
 * Undoes a merge (`mergeId` as `mergeCustomers` answered it) within {@link UNMERGE_WINDOW_DAYS} days of it,
 * by the clock: everything its journal moved goes back to the merged profile — identifiers, attributes,
 * consents and their history, contact preferences, the loyalty ledger (each balance its ledger sum again),
 * orders, reservations, coupon use, timeline interactions, profile history, data use and segment
 * memberships — where it is still on the survivor; rows of the survivor the merge overwrote are restored
 * where they still hold what the merge wrote (a correction made after the merge is kept), and so are its
 * display name and first order. Everything recorded on the survivor after the merge stays with the survivor.
 * The merged profile is ACTIVE again, profiles the merge redirected point at it again, the merge is marked
 * undone (`origin.actor`), both profiles get an `unmerge` history entry, a data-use entry and a revision;
 * emits `customer.unmerged` { survivorId, mergedId, mergeId } and `customer.changed` for both.
 * @returns both profiles: the survivor, then the restored one.
 * @throws NOT_FOUND for an unknown merge; CONFLICT (with the reason) when it was undone before, is older than
 *   the window, the survivor is no longer active or the merged profile no longer points at it, another
 *   profile was merged into the survivor since (undo that merge first), the merge has no journal, or points
 *   of the merged profile were spent since so that giving them back would overdraw the survivor — nothing is
 *   changed then.
 */
export async function unmergeCustomers(
  deps: JourneyDeps,
  mergeId: string,
  origin: { channel: WriteOrigin; actor: string },
): Promise<{ customers: [CustomerView, CustomerView]; revision: number }> {
  const channel = WriteOriginSchema.parse(origin.channel);
  const { actor } = origin;
  const found = await getMerge(deps.db, mergeId);
  if (!found) throw new DomainError('NOT_FOUND', `No merge ${mergeId}`, { mergeId });
  const id = Number(found.mergeId);
  const { survivorId: survivor, mergedId: merged } = found;
  const { revision } = await runWrite(deps, async (w) => {
    const tx = w.tx;
    const journal = await lockUndoable(w, id, mergeId, survivor, merged);
    // Her orders first: what the workers booked for them on the survivor while merged goes back with them.
    await moveCustomerOrders(tx, survivor, merged, journal);
    const following = await followingHerOrders(tx, survivor, merged);
    await restoreLoyalty(w, journal, survivor, merged, mergeId, following.ledgerIds);
    for (const { kind, value } of journal.identifiers)
      await tx
        .updateTable('customerIdentifiers')
        .set({ customerId: merged })
        .where('customerId', '=', survivor)
        .where('kind', '=', kind)
        .where('value', '=', value)
        .execute();
    await restoreFacts(tx, journal, survivor, merged);
    await moveRows(tx, 'consentHistory', survivor, merged, journal.consentHistoryIds);
    await moveRows(tx, 'couponRedemptions', survivor, merged, journal.couponRedemptionIds);
    await moveRows(tx, 'customerInteractions', survivor, merged, [
      ...journal.interactionIds,
      ...following.interactionIds,
    ]);
    await moveRows(tx, 'profileChanges', survivor, merged, journal.profileChangeIds);
    await moveRows(tx, 'customerDataUse', survivor, merged, journal.dataUseIds);
    if (journal.segmentMemberships.length > 0) {
      const defined = await tx
        .selectFrom('segmentDefinitions')
        .select('id')
        .where(
          'id',
          'in',
          journal.segmentMemberships.map((m) => m.segmentId),
        )
        .execute();
      const memberships = journal.segmentMemberships
        .filter((m) => defined.some((d) => d.id === m.segmentId))
        .map((m) => ({
          ...m,
          customerId: merged,
          since: new Date(m.since),
          computedAt: new Date(m.computedAt),
        }));
      if (memberships.length > 0)
        await tx
          .insertInto('segmentMemberships')
          .values(memberships)
          .onConflict((oc) => oc.doNothing())
          .execute();
    }

    // The survivor's own consents back may no longer include PROFILING: then no computed segment stays (the
    // restored profile gets back its consents and memberships as they were).
    await dropSegmentsWithoutProfiling(w, [survivor]);
    const row = await tx
      .selectFrom('customers')
      .select(['displayName', 'firstOrderAt'])
      .where('id', '=', survivor)
      .executeTakeFirstOrThrow();
    const { survivorBefore, survivorAfter, mergedBefore } = journal;
    const firstOrderNow = row.firstOrderAt ? row.firstOrderAt.toISOString() : null;
    await writeProfile(w, survivor, {
      displayName:
        row.displayName === survivorAfter.displayName ? survivorBefore.displayName : row.displayName,
      firstOrderAt:
        firstOrderNow === survivorAfter.firstOrderAt ? survivorBefore.firstOrderAt : firstOrderNow,
    });
    await writeProfile(w, merged, mergedBefore, { mergedInto: null });
    if (journal.redirected.length > 0)
      await tx
        .updateTable('customers')
        .set({ mergedInto: merged })
        .where('id', 'in', journal.redirected)
        .where('mergedInto', '=', survivor)
        .execute();
    await tx
      .updateTable('customerMerges')
      .set({ undoneAt: w.now, undoneBy: actor })
      .where('id', '=', id)
      .execute();

    for (const [customerId, other] of [
      [survivor, merged],
      [merged, survivor],
    ] as const) {
      recordProfileChange(w, {
        customerId,
        field: 'unmerge',
        oldValue: other,
        newValue: null,
        channel,
        actor,
      });
      await recordDataUse(tx, w.now, {
        customerId,
        actor,
        channel,
        purpose: 'DATA_RIGHTS',
        what: `undid merge ${mergeId} of profiles ${survivor} and ${merged}`,
      });
    }
    w.atRevision(async (t, rev) => {
      await t.updateTable('customers').set({ revision: rev }).where('id', 'in', [survivor, merged]).execute();
    });
    w.emit({
      type: 'customer.unmerged',
      aggregateType: 'customer',
      aggregateId: survivor,
      payload: { survivorId: survivor, mergedId: merged, mergeId },
    });
    for (const customerId of [survivor, merged])
      w.emit({
        type: 'customer.changed',
        aggregateType: 'customer',
        aggregateId: customerId,
        payload: { customerId },
      });
  });
  return {
    customers: [await profileAfterWrite(deps.db, survivor), await profileAfterWrite(deps.db, merged)],
    revision,
  };
}
