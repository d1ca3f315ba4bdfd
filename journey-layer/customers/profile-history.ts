import { DomainError, type WriteOrigin } from '../../shared/index.js';
import type { Executor, WriteContext } from '../tables.js';
import { profileFamily, resolveCustomerId } from './customer-reads.js';

/*
 * The profile's history: every correction of a field (display name, an attribute, an identifier linked or
 * unlinked, a consent, a contact preference, a merge and its undoing) with the value before and after, who
 * made it, when and through which channel. Identifier values are personal data: the history holds them, and
 * erasure deletes it.
 */

/**
 * Where a recorded change came from: a {@link WriteOrigin}, or `SYSTEM` for what the hub does by itself (a
 * consent that ran out). Stored as text; never widens the channels a client can name.
 */
export type ChangeChannel = WriteOrigin | 'SYSTEM';

/** The actor the hub records for what it does by itself (a consent that ran out). */
export const SYSTEM_ACTOR = 'system';

/** The actor recorded when a caller names none: `channel:<channel>`. */
export function defaultActor(channel: ChangeChannel, actor?: string | null): string {
  return actor ?? `channel:${channel}`;
}

/**
 * One change of one field: `field` as in `ProfileChange.field` (`displayName`, `attributes.<name>`,
 * `identifier.<KIND>`, `consent.<PURPOSE>`, `preferences.<CHANNEL>`, `merge`, `unmerge`); values as text
 * (JSON text for attribute values), null when absent.
 */
export interface ProfileChangeEntry {
  customerId: string;
  field: string;
  oldValue: string | null;
  newValue: string | null;
  channel: ChangeChannel;
  actor: string;
}

/**
 * Records one change in `profile_changes`, stamped with the write's revision. Returns false (and records
 * nothing) when the value did not change.
 */
export function recordProfileChange(w: WriteContext, entry: ProfileChangeEntry): boolean {
  if (entry.oldValue === entry.newValue) return false;
  w.atRevision(async (tx, revision) => {
    await tx
      .insertInto('profileChanges')
      .values({ ...entry, changedAt: w.now, revision })
      .execute();
  });
  return true;
}

/** Emits `profile.changed` { customerId, fields } when `fields` is not empty. */
export function announceProfileChange(w: WriteContext, customerId: string, fields: readonly string[]): void {
  if (fields.length === 0) return;
  w.emit({
    type: 'profile.changed',
    aggregateType: 'customer',
    aggregateId: customerId,
    payload: { customerId, fields: [...new Set(fields)] },
  });
}

/** Stamps the profile with the write's revision and emits `customer.changed`. */
export function touchCustomer(w: WriteContext, customerId: string): void {
  w.atRevision(async (tx, revision) => {
    await tx
      .updateTable('customers')
      .set({ revision, updatedAt: w.now })
      .where('id', '=', customerId)
      .execute();
  });
  w.emit({
    type: 'customer.changed',
    aggregateType: 'customer',
    aggregateId: customerId,
    payload: { customerId },
  });
}

/** One recorded change as staff and she see it; `at` ISO 8601. */
export interface ProfileChangeView {
  at: string;
  field: string;
  oldValue: string | null;
  newValue: string | null;
  channel: string;
  actor: string;
}

/** Most history entries one read answers (`Customer.history(first:)`); the export reads them all. */
export const MAX_HISTORY_PAGE = 500;

/**
 * The profile's history, newest first, following merges: the changes of the live profile and of every profile
 * merged into it; the newest `first` (1–{@link MAX_HISTORY_PAGE}) when given, else all of them.
 * @throws NOT_FOUND for an unknown or erased profile; BAD_USER_INPUT for a bad `first`.
 */
export async function profileHistory(
  db: Executor,
  customerId: string,
  page: { first?: number | null } = {},
): Promise<ProfileChangeView[]> {
  const first = page.first ?? null;
  if (first !== null && (!Number.isInteger(first) || first < 1 || first > MAX_HISTORY_PAGE))
    throw new DomainError('BAD_USER_INPUT', `\`first\` is a whole number from 1 to ${MAX_HISTORY_PAGE}`, {
      first,
    });
  const family = await profileFamily(db, await resolveCustomerId(db, customerId));
  let q = db
    .selectFrom('profileChanges')
    .select(['changedAt', 'field', 'oldValue', 'newValue', 'channel', 'actor'])
    .where('customerId', 'in', family)
    .orderBy('changedAt', 'desc')
    .orderBy('id', 'desc');
  if (first !== null) q = q.limit(first);
  const rows = await q.execute();
  return rows.map(({ changedAt, ...r }) => ({ at: changedAt.toISOString(), ...r }));
}

/**
 * Deletes profile-history entries recorded before `before`, at most `batch` (1–100,000, default 5,000) per
 * call; returns how many went. The retention job calls it until it returns 0. A merge's journal may name
 * entries pruned since: its undo moves what is left.
 */
export async function pruneProfileHistory(db: Executor, before: Date, batch = 5_000): Promise<number> {
  const limit = Math.min(Math.max(Math.trunc(batch), 1), 100_000);
  const r = await db
    .deleteFrom('profileChanges')
    .where('id', 'in', (eb) =>
      eb.selectFrom('profileChanges').select('id').where('changedAt', '<', before).orderBy('id').limit(limit),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
