import { z } from 'zod';
import { moveCustomerOrders } from '../../backoffice-layer/index.js';
import {
  canonicalJson,
  DomainError,
  parseInput,
  runWrite,
  UuidSchema,
  WriteOriginSchema,
  type WriteOrigin,
} from '../../shared/index.js';
import type { ConsentPurpose, Executor, WriteContext } from '../tables.js';
import type { JourneyDeps } from '../journey-deps.js';
import { dropSegmentsWithoutProfiling } from '../segments/compute.js';
import { getCustomer, resolveCustomerId, stillResolvesTo, type CustomerView } from './customer-reads.js';
import { recordDataUse } from './data-use.js';
import {
  journalInstant,
  MergeJournalSchema,
  type JournalAttribute,
  type JournalConsent,
  type JournalProfile,
  type MergeJournal,
} from './merge-journal.js';
import { defaultActor, recordProfileChange } from './profile-history.js';

/** How long after a merge staff can undo it (`unmergeCustomers`), in days. */
export const UNMERGE_WINDOW_DAYS = 30;

/** Work other journey modules do inside the merge transaction (loyalty recomputes the survivor's tier). */
export type MergeHook = (w: WriteContext, survivorId: string, mergedId: string) => Promise<void>;

const MergeInputSchema = z.strictObject({ survivorId: UuidSchema, mergedId: UuidSchema });

/**
 * Both live profiles, their rows locked in id order (first in the hub's lock order, see
 * shared/database/write-transaction.ts), so two merges of one pair cannot deadlock and a merge serialises
 * with an erasure of either. A profile merged away while this waited is followed to its survivor; one whose
 * merge was undone while this waited is taken as itself.
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
    if (
      rows.length === 2 &&
      rows.every((r) => r.status === 'ACTIVE') &&
      (await stillResolvesTo(tx, survivorId, survivor)) &&
      (await stillResolvesTo(tx, mergedId, merged))
    )
      return [survivor, merged];
  }
  throw new DomainError('NOT_FOUND', 'One of the profiles no longer exists (merged or erased meanwhile)', {
    survivorId,
    mergedId,
  });
}

/** The journey's per-profile rows a merge moves and its undo gives back, by id (`id`, `customer_id`). */
export type MovableTable =
  | 'consentHistory'
  | 'loyaltyLedger'
  | 'couponRedemptions'
  | 'customerInteractions'
  | 'profileChanges'
  | 'customerDataUse';

/**
 * Moves the rows of `table` from profile `fromId` to `toId`: all of them, or with `only` those of the ids
 * given that are still `fromId`'s. Returns the ids moved, sorted.
 */
export async function moveRows<Id extends string | number>(
  tx: Executor,
  table: MovableTable,
  fromId: string,
  toId: string,
  only?: readonly Id[],
): Promise<Id[]> {
  if (only && only.length === 0) return [];
  // Every movable table has `id` and `customerId`: one of them stands for all in the query's types.
  let q = tx
    .updateTable(table as 'profileChanges')
    .set({ customerId: toId })
    .where('customerId', '=', fromId);
  if (only) q = q.where('id', 'in', only as unknown as number[]);
  const rows = await q.returning('id').execute();
  return rows.map((r) => r.id as unknown as Id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** An attribute row as the journal keeps it. */
export function journalAttribute(a: {
  name: string;
  value: unknown;
  channel: string;
  changedAt: Date;
}): JournalAttribute {
  return {
    name: a.name,
    value: a.value as JournalAttribute['value'],
    channel: a.channel,
    changedAt: a.changedAt.toISOString(),
  };
}

/** A consent row as the journal keeps it. */
export function journalConsent(c: {
  purpose: ConsentPurpose;
  granted: boolean;
  channel: string;
  changedAt: Date;
  source: string | null;
  expiresAt: Date | null;
}): JournalConsent {
  return {
    purpose: c.purpose,
    granted: c.granted,
    channel: c.channel,
    changedAt: c.changedAt.toISOString(),
    source: c.source,
    expiresAt: journalInstant(c.expiresAt),
  };
}

/** Whether two journal rows hold the same (values compared as canonical JSON). */
export const sameRow = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/** The segments of both, each once, sorted: merged profiles belong to the segments of either. */
function unitedSegments(a: unknown, b: unknown): string[] {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
  return [...new Set([...list(a), ...list(b)])].sort();
}

/**
 * Attributes: the most recently changed fact wins (the survivor's on a tie), segments are united. Writes the
 * survivor's rows, deletes the merged profile's, and returns the journal part.
 */
async function mergeAttributes(
  tx: Executor,
  survivor: string,
  merged: string,
): Promise<MergeJournal['attributes']> {
  const rows = await tx
    .selectFrom('customerAttributes')
    .selectAll()
    .where('customerId', 'in', [survivor, merged])
    .orderBy('name')
    .execute();
  const mine = rows.filter((r) => r.customerId === merged).map(journalAttribute);
  const theirs = new Map(
    rows.filter((r) => r.customerId === survivor).map((r) => [r.name, journalAttribute(r)]),
  );
  const survivorBefore: JournalAttribute[] = [];
  const survivorAfter: JournalAttribute[] = [];
  for (const m of mine) {
    const s = theirs.get(m.name);
    let after = m;
    if (s) {
      survivorBefore.push(s);
      const later = m.changedAt > s.changedAt ? m : s;
      after = { ...later, value: m.name === 'segments' ? unitedSegments(s.value, m.value) : later.value };
    }
    survivorAfter.push(after);
    const values = {
      value: JSON.stringify(after.value),
      channel: after.channel,
      changedAt: new Date(after.changedAt),
    };
    await tx
      .insertInto('customerAttributes')
      .values({ customerId: survivor, name: after.name, ...values })
      .onConflict((oc) => oc.columns(['customerId', 'name']).doUpdateSet(values))
      .execute();
  }
  await tx.deleteFrom('customerAttributes').where('customerId', '=', merged).execute();
  return { merged: mine, survivorBefore, survivorAfter };
}

/**
 * Consents: per purpose the most recent decision wins (the survivor's on a tie); both histories are kept.
 * Returns the journal part (the history rows moved are in `consentHistoryIds`).
 */
async function mergeConsents(
  tx: Executor,
  survivor: string,
  merged: string,
): Promise<MergeJournal['consents']> {
  const rows = await tx
    .selectFrom('consents')
    .selectAll()
    .where('customerId', 'in', [survivor, merged])
    .orderBy('purpose')
    .execute();
  const mine = rows.filter((r) => r.customerId === merged).map(journalConsent);
  const theirs = new Map(
    rows.filter((r) => r.customerId === survivor).map((r) => [r.purpose, journalConsent(r)]),
  );
  const survivorBefore: JournalConsent[] = [];
  const survivorAfter: JournalConsent[] = [];
  for (const m of mine) {
    const s = theirs.get(m.purpose);
    if (s) survivorBefore.push(s);
    const after = s && s.changedAt >= m.changedAt ? s : m;
    survivorAfter.push(after);
    if (after === s) continue;
    await writeConsentRow(tx, survivor, after);
  }
  await tx.deleteFrom('consents').where('customerId', '=', merged).execute();
  return { merged: mine, survivorBefore, survivorAfter };
}

/** Writes one consent row of a profile as the journal holds it. */
export async function writeConsentRow(tx: Executor, customerId: string, c: JournalConsent): Promise<void> {
  const values = {
    granted: c.granted,
    channel: c.channel,
    changedAt: new Date(c.changedAt),
    source: c.source,
    expiresAt: c.expiresAt ? new Date(c.expiresAt) : null,
  };
  await tx
    .insertInto('consents')
    .values({ customerId, purpose: c.purpose, ...values })
    .onConflict((oc) => oc.columns(['customerId', 'purpose']).doUpdateSet(values))
    .execute();
}

/** Contact preferences: the survivor's channel rows win, the merged profile's fill the channels it lacks. */
async function mergePreferences(
  tx: Executor,
  survivor: string,
  merged: string,
): Promise<MergeJournal['preferences']> {
  const rows = await tx
    .selectFrom('contactPreferences')
    .selectAll()
    .where('customerId', 'in', [survivor, merged])
    .orderBy('channel')
    .execute();
  const theirs = new Set(rows.filter((r) => r.customerId === survivor).map((r) => r.channel));
  const mine = rows.filter((r) => r.customerId === merged);
  const moved = mine.filter((r) => !theirs.has(r.channel)).map((r) => r.channel);
  if (moved.length > 0)
    await tx
      .updateTable('contactPreferences')
      .set({ customerId: survivor })
      .where('customerId', '=', merged)
      .where('channel', 'in', moved)
      .execute();
  await tx.deleteFrom('contactPreferences').where('customerId', '=', merged).execute();
  return {
    merged: mine.map(({ customerId: _c, changedAt, ...r }) => ({ ...r, changedAt: changedAt.toISOString() })),
    moved,
  };
}

/**
 * Loyalty: the ledger moves (history combined), the merged balance is added to the survivor's (so it is still
 * the ledger sum), the merged account goes. Returns the journal part (`survivorTierAfter` set later).
 */
async function mergeLoyalty(
  w: WriteContext,
  survivor: string,
  merged: string,
): Promise<MergeJournal['loyalty']> {
  const tx = w.tx;
  const accounts = await tx
    .selectFrom('loyaltyAccounts')
    .select(['customerId', 'balance', 'tier'])
    .where('customerId', 'in', [survivor, merged])
    .orderBy('customerId')
    .forUpdate()
    .execute();
  const account = (id: string) => {
    const a = accounts.find((x) => x.customerId === id);
    return a ? { balance: a.balance, tier: a.tier } : null;
  };
  const survivorBefore = account(survivor);
  const mergedBefore = account(merged);
  let ledgerIds: number[] = [];
  if (mergedBefore) {
    ledgerIds = await moveRows<number>(tx, 'loyaltyLedger', merged, survivor);
    if (survivorBefore)
      await tx
        .updateTable('loyaltyAccounts')
        .set((eb) => ({ balance: eb('balance', '+', mergedBefore.balance) }))
        .where('customerId', '=', survivor)
        .execute();
    else
      await tx
        .insertInto('loyaltyAccounts')
        .values({ customerId: survivor, ...mergedBefore, revision: 0, updatedAt: w.now })
        .execute();
    await tx.deleteFrom('loyaltyAccounts').where('customerId', '=', merged).execute();
  }
  return { survivorBefore, mergedBefore, survivorTierAfter: null, ledgerIds };
}

/** A profile's display name and first order, as the journal keeps them. */
async function profileFacts(tx: Executor, id: string): Promise<MergeJournal['survivorBefore']> {
  const row = await tx
    .selectFrom('customers')
    .select(['displayName', 'firstOrderAt'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { displayName: row.displayName, firstOrderAt: journalInstant(row.firstOrderAt) };
}

/**
 * Writes a profile's display name and first order (as the journal holds them) at the write's instant; with
 * `link`, also its status: MERGED into `link.mergedInto`, or ACTIVE again when that is null.
 */
export async function writeProfile(
  w: WriteContext,
  id: string,
  facts: JournalProfile,
  link?: { mergedInto: string | null },
): Promise<void> {
  const status = link
    ? { status: link.mergedInto ? ('MERGED' as const) : ('ACTIVE' as const), mergedInto: link.mergedInto }
    : {};
  await w.tx
    .updateTable('customers')
    .set({
      ...status,
      displayName: facts.displayName,
      firstOrderAt: facts.firstOrderAt ? new Date(facts.firstOrderAt) : null,
      updatedAt: w.now,
    })
    .where('id', '=', id)
    .execute();
}

/** What `mergeCustomers` answers: the merge's id (for `unmergeCustomers`) and the survivor. */
export interface MergeReceipt {
  mergeId: string;
  customer: CustomerView;
  revision: number;
}

/**
 * Two profiles turn out to be the same person: everything moves to the survivor in one transaction —
 * identifiers, attributes (the most recently changed fact wins; segments are united), consents (the most
 * recent decision per purpose wins; both histories kept), contact preferences (the survivor's channels win),
 * the loyalty ledger and balance (history combined, so the balance is still the ledger sum), orders,
 * reservations and coupon use (so per-customer limits count both), timeline interactions, profile history
 * and data use. The merged profile's segment memberships are deleted (they are recomputed). The merged
 * profile keeps no data of its own, only a pointer to the survivor, so old ids still resolve. The merge is
 * recorded with `opts.actor` (default `channel:<channel>`) and a journal of exactly what it moved and
 * overwrote (merge-journal.ts), so that it can be undone within {@link UNMERGE_WINDOW_DAYS} days
 * (`unmergeCustomers`); it is on both profiles' history (`merge`) and the survivor's data use. Emits
 * `customer.merged` { survivorId, mergedId, mergeId } and `customer.changed`.
 *
 * Merging is a staff act: nothing in the hub merges by itself (an identifier of another profile is refused,
 * never merged). With `opts.idempotencyKey`, a retried merge answers the first one's receipt.
 * @returns `mergeId`: the merge's id (decimal text).
 * @throws BAD_USER_INPUT for malformed ids; NOT_FOUND when either profile is unknown or erased; CONFLICT when
 *   they are already one, or the key was used with another request.
 */
export async function mergeCustomers(
  deps: JourneyDeps,
  input: { survivorId: string; mergedId: string },
  channel: WriteOrigin,
  hooks: MergeHook[] = [],
  opts: { actor?: string; idempotencyKey?: string } = {},
): Promise<MergeReceipt> {
  const body = parseInput(MergeInputSchema, input, 'body');
  const ch = WriteOriginSchema.parse(channel);
  const actor = defaultActor(ch, opts.actor);
  const idempotency = opts.idempotencyKey
    ? { scope: 'merge-customers', key: opts.idempotencyKey, request: { body, channel: ch, actor } }
    : undefined;
  const { result, revision } = await runWrite(
    deps,
    async (w) => {
      const [survivor, merged] = await lockLivePair(w.tx, body.survivorId, body.mergedId);
      const tx = w.tx;
      const survivorBefore = await profileFacts(tx, survivor);
      const mergedBefore = await profileFacts(tx, merged);
      const identifiers = await tx
        .updateTable('customerIdentifiers')
        .set({ customerId: survivor })
        .where('customerId', '=', merged)
        .returning(['kind', 'value'])
        .execute();
      const attributes = await mergeAttributes(tx, survivor, merged);
      const consents = await mergeConsents(tx, survivor, merged);
      const consentHistoryIds = await moveRows<number>(tx, 'consentHistory', merged, survivor);
      const preferences = await mergePreferences(tx, survivor, merged);
      const loyalty = await mergeLoyalty(w, survivor, merged);
      // Orders and reservations are the backoffice's: it moves them, in this transaction.
      const orders = await moveCustomerOrders(tx, merged, survivor);
      const couponRedemptionIds = await moveRows<number>(tx, 'couponRedemptions', merged, survivor);
      const interactionIds = await moveRows<string>(tx, 'customerInteractions', merged, survivor);
      const profileChangeIds = await moveRows<number>(tx, 'profileChanges', merged, survivor);
      const dataUseIds = await moveRows<number>(tx, 'customerDataUse', merged, survivor);
      const memberships = await tx
        .deleteFrom('segmentMemberships')
        .where('customerId', '=', merged)
        .returning(['segmentId', 'since', 'reason', 'computedAt', 'revision'])
        .execute();

      const firstOrderAt =
        [survivorBefore.firstOrderAt, mergedBefore.firstOrderAt]
          .filter((d): d is string => d !== null)
          .sort()[0] ?? null;
      const survivorAfter = {
        displayName: survivorBefore.displayName ?? mergedBefore.displayName,
        firstOrderAt,
      };
      await writeProfile(w, survivor, survivorAfter);
      await writeProfile(w, merged, { displayName: null, firstOrderAt: null }, { mergedInto: survivor });
      const redirected = await tx
        .updateTable('customers')
        .set({ mergedInto: survivor })
        .where('mergedInto', '=', merged)
        .returning('id')
        .execute();

      // The decision that won may be a PROFILING withdrawal: then she keeps no computed segment.
      await dropSegmentsWithoutProfiling(w, [survivor]);
      for (const hook of hooks) await hook(w, survivor, merged);
      const tierAfter = await tx
        .selectFrom('loyaltyAccounts')
        .select('tier')
        .where('customerId', '=', survivor)
        .executeTakeFirst();
      const journal: MergeJournal = {
        version: 1,
        identifiers: identifiers.sort((a, b) => `${a.kind}:${a.value}`.localeCompare(`${b.kind}:${b.value}`)),
        attributes,
        consents,
        consentHistoryIds,
        preferences,
        loyalty: { ...loyalty, survivorTierAfter: tierAfter?.tier ?? null },
        orderIds: orders.orderIds,
        reservationIds: orders.reservationIds,
        couponRedemptionIds,
        interactionIds,
        profileChangeIds,
        dataUseIds,
        segmentMemberships: memberships.map((m) => ({
          ...m,
          since: m.since.toISOString(),
          computedAt: m.computedAt.toISOString(),
        })),
        survivorBefore,
        survivorAfter,
        mergedBefore,
        redirected: redirected.map((r) => r.id).sort(),
      };
      const record = await tx
        .insertInto('customerMerges')
        .values({
          fromId: merged,
          intoId: survivor,
          channel: ch,
          revision: 0,
          mergedAt: w.now,
          journal: JSON.stringify(MergeJournalSchema.parse(journal)),
          actor,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const mergeId = String(record.id);
      await recordDataUse(tx, w.now, {
        customerId: survivor,
        actor,
        channel: ch,
        purpose: 'DATA_RIGHTS',
        what: `merged profile ${merged} into this one (merge ${mergeId})`,
      });
      recordProfileChange(w, {
        customerId: survivor,
        field: 'merge',
        oldValue: null,
        newValue: merged,
        channel: ch,
        actor,
      });
      w.atRevision(async (t, rev) => {
        await t.updateTable('customerMerges').set({ revision: rev }).where('id', '=', record.id).execute();
        await t
          .updateTable('customers')
          .set({ revision: rev })
          .where('id', 'in', [survivor, merged])
          .execute();
      });
      w.emit({
        type: 'customer.merged',
        aggregateType: 'customer',
        aggregateId: survivor,
        payload: { survivorId: survivor, mergedId: merged, mergeId },
      });
      w.emit({
        type: 'customer.changed',
        aggregateType: 'customer',
        aggregateId: survivor,
        payload: { customerId: survivor },
      });
      return { survivor, mergeId };
    },
    { idempotency },
  );
  const customer = await getCustomer(deps.db, result.survivor);
  if (!customer)
    throw new DomainError('NOT_FOUND', 'The surviving profile no longer exists (merged or erased since)', {
      customerId: result.survivor,
    });
  return { mergeId: result.mergeId, customer, revision };
}
