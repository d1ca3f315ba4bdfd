import { sql } from 'kysely';
import { DomainError, instantAndId, pageCursor } from '../../shared/index.js';
import { resolveCustomerId } from '../customers/customer-reads.js';
import type { CustomerInteractionsTable, Executor, InteractionKind } from '../tables.js';
import { InteractionKindSchema } from './interaction.schema.js';

/*
 * Reading her timeline, newest first, a page at a time; and the retention job's pruning.
 */

/**
 * One interaction as staff and she see it: `at` the ISO 8601 instant it happened; `channel` the channel it
 * happened through (WEB, APP, STORE, CALL_CENTER, CONSOLE, ADMIN, SYSTEM); `locationId`, `sku`, `orderId`
 * what it is about (null when nothing); `summary` in plain English (never the note); `note` an agent's note
 * (null when none); `revision` the hub revision it was written at.
 */
export interface InteractionView {
  id: string;
  kind: InteractionKind;
  channel: string;
  at: string;
  locationId: string | null;
  sku: string | null;
  orderId: string | null;
  summary: string;
  note: string | null;
  revision: number;
}

/** One page of her timeline: `customerId` her live profile id; `revision` the newest of her interactions. */
export interface TimelinePage {
  customerId: string;
  items: InteractionView[];
  /** Pass as `after` for the next page; null when the page is empty. */
  endCursor: string | null;
  hasNextPage: boolean;
  /** The highest revision among her interactions (see REVISION_WINDOW_MINUTES), 0 when she has none. */
  revision: number;
}

/**
 * How far before her newest interaction the highest revision is looked for, in minutes. An interaction's
 * instant is its write's (or its event's) and its revision is drawn when that write commits, moments later:
 * the highest revision is among the newest, and this reads a few of her rows instead of all of them.
 */
const REVISION_WINDOW_MINUTES = 10;

/** Most interactions one page holds. */
export const MAX_TIMELINE_PAGE = 200;

type Row = Pick<
  CustomerInteractionsTable,
  'id' | 'kind' | 'channel' | 'locationId' | 'sku' | 'orderId' | 'summary' | 'note' | 'revision'
> & { occurredAt: Date };

const VIEW_COLUMNS = [
  'id',
  'kind',
  'channel',
  'occurredAt',
  'locationId',
  'sku',
  'orderId',
  'summary',
  'note',
  'revision',
] as const;

/** An interaction row as it is answered. */
function interactionView(r: Row): InteractionView {
  return {
    id: r.id,
    kind: r.kind,
    channel: r.channel,
    at: r.occurredAt.toISOString(),
    locationId: r.locationId,
    sku: r.sku,
    orderId: r.orderId,
    summary: r.summary,
    note: r.note,
    revision: Number(r.revision),
  };
}

/** A cursor: the last interaction's instant and id (the timeline's order), so pages hold while she acts. */
const cursors = pageCursor(
  'the timeline',
  (k: { at: Date; id: string }) => ['timeline', k.at.toISOString(), k.id],
  ([tag, at, id, ...rest]) => (tag === 'timeline' && rest.length === 0 ? instantAndId(at, id) : null),
);

/**
 * Her timeline, newest first (the instant it happened, then id, both descending), `first` (1–200) at a
 * time after the cursor `after`, only the `kinds` given (all when null or empty). Follows merges to her live
 * profile (a merge moves the interactions of the profile merged into hers). One index range scan per page
 * (customer_interactions_timeline_idx), however long her timeline.
 * @throws NOT_FOUND for an unknown or erased profile; BAD_USER_INPUT for a bad `first`, kind or cursor.
 */
export async function listTimeline(
  db: Executor,
  customerId: string,
  page: { first: number; after?: string | null; kinds?: readonly InteractionKind[] | null },
): Promise<TimelinePage> {
  const { first } = page;
  if (!Number.isInteger(first) || first < 1 || first > MAX_TIMELINE_PAGE)
    throw new DomainError('BAD_USER_INPUT', `\`first\` is a whole number from 1 to ${MAX_TIMELINE_PAGE}`, {
      first,
    });
  const kinds = [...new Set(page.kinds ?? [])];
  for (const kind of kinds)
    if (!InteractionKindSchema.safeParse(kind).success)
      throw new DomainError('BAD_USER_INPUT', `Unknown interaction kind ${String(kind)}`, { kind });
  const after = page.after ? cursors.decode(page.after) : null;
  const id = await resolveCustomerId(db, customerId);
  const [rows, newest] = await Promise.all([
    db
      .selectFrom('customerInteractions')
      .select(VIEW_COLUMNS)
      .where('customerId', '=', id)
      .$if(kinds.length > 0, (q) => q.where('kind', 'in', kinds))
      .$if(after !== null, (q) =>
        q.where((eb) => eb(eb.refTuple('occurredAt', 'id'), '<', eb.tuple(after!.at, after!.id))),
      )
      .orderBy('occurredAt', 'desc')
      .orderBy('id', 'desc')
      .limit(first + 1)
      .execute(),
    db
      .selectFrom('customerInteractions')
      .select((eb) => eb.fn.max('revision').as('revision'))
      .where('customerId', '=', id)
      .where('occurredAt', '>=', (eb) =>
        eb
          .selectFrom('customerInteractions')
          .select(
            sql<Date>`occurred_at - ${sql.lit(`${REVISION_WINDOW_MINUTES} minutes`)}::interval`.as('since'),
          )
          .where('customerId', '=', id)
          .orderBy('occurredAt', 'desc')
          .orderBy('id', 'desc')
          .limit(1),
      )
      .executeTakeFirst(),
  ]);
  const items = rows.slice(0, first).map(interactionView);
  const last = rows[Math.min(first, rows.length) - 1];
  return {
    customerId: id,
    items,
    endCursor: last ? cursors.encode({ at: last.occurredAt, id: last.id }) : null,
    hasNextPage: rows.length > first,
    revision: Number(newest?.revision ?? 0),
  };
}

/**
 * Deletes interactions that happened before `before`, at most `batch` (default 5,000) per call, oldest
 * first; returns how many went. The retention job calls it until it returns fewer than `batch`.
 */
export async function pruneTimeline(db: Executor, before: Date, batch = 5_000): Promise<number> {
  const r = await db
    .deleteFrom('customerInteractions')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('customerInteractions')
        .select('id')
        .where('occurredAt', '<', before)
        .orderBy('occurredAt')
        .limit(batch),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
