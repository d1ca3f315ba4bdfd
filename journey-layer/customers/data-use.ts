import { z } from 'zod';
import { DomainError, pageCursor } from '../../shared/index.js';
import type { Executor } from '../tables.js';
import { resolveCustomerId } from './customer-reads.js';

/*
 * What a customer's data was read or used for: staff reads and acts on her profile, segment computations,
 * personal offers applied, exports, merges. She sees her own (`Customer.dataUse`), her export
 * carries it, erasure deletes it and the retention job drops what is older than the retention period.
 */

/**
 * Why her data was read or used:
 * - `SERVICE`: staff read or acted on her profile, timeline, orders or next best offers to serve her (a store
 *   assistant, an agent, the console);
 * - `PROFILING`: a segment computation read her purchases (needs the PROFILING consent);
 * - `PERSONALISATION`: a personal offer was applied to her order (needs the PERSONALISATION consent);
 * - `DATA_RIGHTS`: her data was exported (or a merge of her profiles was made or undone).
 */
export const DataUsePurposeSchema = z.enum(['SERVICE', 'PROFILING', 'PERSONALISATION', 'DATA_RIGHTS']);
export type DataUsePurpose = z.infer<typeof DataUsePurposeSchema>;

/**
 * One use of her data: `actor` (`client:<id>`, `admin:<name>`, `system`), the `channel` it went through
 * (WEB, APP, STORE, CALL_CENTER, CONSOLE, ADMIN, SYSTEM), its `purpose`, and `what` in words ("read the
 * timeline", "computed segment at-risk").
 */
export interface DataUseEntry {
  customerId: string;
  actor: string;
  channel: string;
  purpose: DataUsePurpose;
  what: string;
}

/** One use as she sees it: `at` ISO 8601; `cursor` pages on (pass as `after`). */
export interface DataUseView {
  at: string;
  actor: string;
  channel: string;
  purpose: DataUsePurpose;
  what: string;
  cursor: string;
}

/**
 * Records one use of her data at `now` (inside the caller's transaction when `db` is one, so a use is on
 * record exactly when the act that used it commits). `entry.customerId` must be a live profile id (resolve
 * merges first); `what` is cut to 300 characters. When she is erased meanwhile (her profile row is gone by
 * the time the entry is written), nothing is recorded: there is nobody left to tell. Inside a transaction,
 * lock her profile first (`lockLiveCustomer`), so that cannot happen there.
 */
export async function recordDataUse(db: Executor, now: Date, entry: DataUseEntry): Promise<void> {
  await db
    .insertInto('customerDataUse')
    .values({
      customerId: entry.customerId,
      at: now,
      actor: entry.actor,
      channel: entry.channel,
      purpose: entry.purpose,
      what: entry.what.slice(0, 300),
    })
    .execute()
    .catch((e: unknown) => {
      // 23503 foreign_key_violation: the profile was deleted (erased) after the caller resolved it.
      if ((e as { code?: unknown } | null)?.code === '23503') return;
      throw e;
    });
}

/** A cursor: the last entry's id (entries are listed newest id first). */
const cursors = pageCursor(
  'data use',
  (id: number) => [`u${id}`],
  ([text, ...rest]) =>
    rest.length === 0 &&
    text &&
    /^u[1-9][0-9]{0,17}$/.test(text) &&
    Number.isSafeInteger(Number(text.slice(1)))
      ? Number(text.slice(1))
      : null,
);

/**
 * Her data use, newest first, `first` (1–200) at a time after the cursor `after`; follows merges (the uses
 * of profiles merged into hers are hers).
 * @returns `items`, `endCursor` (null when the page is empty) and `hasNextPage`.
 * @throws NOT_FOUND for an unknown or erased profile; BAD_USER_INPUT for a bad `first` or cursor.
 */
export async function listDataUse(
  db: Executor,
  customerId: string,
  page: { first: number; after?: string | null | undefined },
): Promise<{ items: DataUseView[]; endCursor: string | null; hasNextPage: boolean }> {
  if (!Number.isInteger(page.first) || page.first < 1 || page.first > 200)
    throw new DomainError('BAD_USER_INPUT', '`first` is a whole number from 1 to 200', { first: page.first });
  const id = await resolveCustomerId(db, customerId);
  let q = db
    .selectFrom('customerDataUse')
    .select(['id', 'at', 'actor', 'channel', 'purpose', 'what'])
    .where('customerId', '=', id)
    .orderBy('id', 'desc')
    .limit(page.first + 1);
  if (page.after) q = q.where('id', '<', cursors.decode(page.after));
  const rows = await q.execute();
  const items = rows.slice(0, page.first).map((r) => ({
    at: r.at.toISOString(),
    actor: r.actor,
    channel: r.channel,
    purpose: DataUsePurposeSchema.parse(r.purpose),
    what: r.what,
    cursor: cursors.encode(Number(r.id)),
  }));
  return { items, endCursor: items.at(-1)?.cursor ?? null, hasNextPage: rows.length > page.first };
}

/**
 * Deletes data-use entries recorded before `before`, at most `batch` (default 5,000) per call; returns how
 * many went. The retention job calls it until it returns fewer than `batch`.
 */
export async function pruneDataUse(db: Executor, before: Date, batch = 5_000): Promise<number> {
  const r = await db
    .deleteFrom('customerDataUse')
    .where('id', 'in', (eb) =>
      eb.selectFrom('customerDataUse').select('id').where('at', '<', before).orderBy('id').limit(batch),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
