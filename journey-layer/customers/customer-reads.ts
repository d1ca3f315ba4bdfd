import { sql } from 'kysely';
import { DomainError, isUuid } from '../../shared/index.js';
import type { ConsentPurpose, Executor, IdentifierKind } from '../tables.js';
import { IdentifierKindSchema, normalizeIdentifier } from './identifiers.js';

/*
 * Reading profiles: the view staff and the customer see, the facts pricing needs, and finding a profile by
 * any identifier, following merges. The writes are in customers.ts.
 */

export interface CustomerView {
  id: string;
  displayName: string | null;
  identifiers: Array<{ kind: IdentifierKind; value: string; channel: string; createdAt: string }>;
  attributes: Record<string, { value: unknown; channel: string; changedAt: string }>;
  /** `source`: where it was given, in words; `expiresAt`: when a granted consent ends by itself (ISO). */
  consents: Array<{
    purpose: ConsentPurpose;
    granted: boolean;
    changedAt: string;
    channel: string;
    source: string | null;
    expiresAt: string | null;
  }>;
  firstOrderAt: string | null;
  createdAt: string;
  revision: number;
}

/** The facts promotion rules use, without any identifier: what the pricing pipeline gets about a customer. */
export interface CustomerFacts {
  id: string;
  segments: string[];
  birthday: string | null;
  homeStore: string | null;
  firstOrder: boolean;
  consents: Record<ConsentPurpose, boolean>;
}

/**
 * The live profile id for an id: follows merges to the surviving profile. NOT_FOUND for unknown or erased
 * ones.
 */
export async function resolveCustomerId(db: Executor, id: string): Promise<string> {
  let current = id;
  for (let hop = 0; hop < 10; hop++) {
    if (!isUuid(current)) break;
    const row = await db
      .selectFrom('customers')
      .select(['status', 'mergedInto'])
      .where('id', '=', current)
      .executeTakeFirst();
    if (!row || row.status === 'ERASED') break;
    if (row.status === 'MERGED' && row.mergedInto) {
      current = row.mergedInto;
      continue;
    }
    return current;
  }
  throw new DomainError('NOT_FOUND', `No customer ${id}`, { customerId: id });
}

/** Every profile id that belongs to this person: the live one and those merged into it (transitively). */
export async function profileFamily(db: Executor, liveId: string): Promise<string[]> {
  const res = await sql<{ id: string }>`
    WITH RECURSIVE family(id) AS (
      SELECT ${liveId}::uuid
      UNION SELECT c.id FROM customers c JOIN family f ON c.merged_into = f.id
    ) SELECT id::text AS id FROM family`.execute(db);
  return res.rows.map((r) => r.id);
}

/**
 * Whether `id` still resolves to `liveId`, read after `liveId` was locked: a merge or its undoing that
 * committed while the lock was awaited may have moved `id` elsewhere (an undone merge gives it back its own
 * profile). With the live profile locked, no merge or undo can move it again before the transaction ends.
 */
export async function stillResolvesTo(tx: Executor, id: string, liveId: string): Promise<boolean> {
  if (id === liveId) return true;
  try {
    return (await resolveCustomerId(tx, id)) === liveId;
  } catch (e) {
    if (e instanceof DomainError && e.code === 'NOT_FOUND') return false;
    throw e;
  }
}

/**
 * The live profile id for an id, its row locked until the transaction ends: writes to one person queue here,
 * and a write that waited for her erasure finds nobody (NOT_FOUND, never a broken reference); one that waited
 * for a merge follows it to the surviving profile, one that waited for the undoing of a merge lands on the
 * profile the id names again.
 * @throws NOT_FOUND for an unknown, erased or (after a few hops) vanished profile.
 */
export async function lockLiveCustomer(tx: Executor, id: string): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const liveId = await resolveCustomerId(tx, id);
    // Only an ACTIVE row is locked: one that a merge or an erasure changed while this waited is passed over
    // (PostgreSQL reads the row again after the wait) and left unlocked, so this transaction never holds a
    // profile it does not write to while it goes on to lock the survivor — which would lock two profiles out
    // of id order and deadlock with the undoing of that merge (it locks both in id order).
    const row = await tx
      .selectFrom('customers')
      .select('status')
      .where('id', '=', liveId)
      .where('status', '=', 'ACTIVE')
      .forUpdate()
      .executeTakeFirst();
    if (row && (await stillResolvesTo(tx, id, liveId))) return liveId;
    if (row) continue;
    const now = await tx.selectFrom('customers').select('status').where('id', '=', liveId).executeTakeFirst();
    if (now?.status !== 'MERGED') break;
  }
  throw new DomainError('NOT_FOUND', `No customer ${id}`, { customerId: id });
}

/** The profile a write just changed, as it is now. NOT_FOUND when it was erased or merged away since. */
export async function profileAfterWrite(db: Executor, id: string): Promise<CustomerView> {
  const customer = await getCustomer(db, id);
  if (!customer)
    throw new DomainError('NOT_FOUND', 'The profile no longer exists (merged or erased since)', {
      customerId: id,
    });
  return customer;
}

/** Finds a profile by any identifier, however it was typed (normalised first). Null when none. */
export async function findCustomerByIdentifier(
  db: Executor,
  kind: IdentifierKind,
  value: string,
): Promise<string | null> {
  const k = IdentifierKindSchema.parse(kind);
  let normalised: string;
  try {
    normalised = normalizeIdentifier(k, value);
  } catch {
    return null;
  }
  const row = await db
    .selectFrom('customerIdentifiers')
    .select('customerId')
    .where('kind', '=', k)
    .where('value', '=', normalised)
    .executeTakeFirst();
  return row ? resolveCustomerId(db, row.customerId) : null;
}

/** The whole profile (identifiers, attributes, consents), following merges. Null when unknown or erased. */
export async function getCustomer(db: Executor, customerId: string): Promise<CustomerView | null> {
  let id: string;
  try {
    id = await resolveCustomerId(db, customerId);
  } catch {
    return null;
  }
  const [row, identifiers, attributes, consents] = await Promise.all([
    db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst(),
    db
      .selectFrom('customerIdentifiers')
      .selectAll()
      .where('customerId', '=', id)
      .orderBy('kind')
      .orderBy('value')
      .execute(),
    db.selectFrom('customerAttributes').selectAll().where('customerId', '=', id).orderBy('name').execute(),
    db.selectFrom('consents').selectAll().where('customerId', '=', id).orderBy('purpose').execute(),
  ]);
  if (!row) return null; // erased (or merged away) since it was resolved
  return {
    id,
    displayName: row.displayName,
    identifiers: identifiers.map((i) => ({
      kind: i.kind,
      value: i.value,
      channel: i.channel,
      createdAt: i.createdAt.toISOString(),
    })),
    attributes: Object.fromEntries(
      attributes.map((a) => [
        a.name,
        { value: a.value, channel: a.channel, changedAt: a.changedAt.toISOString() },
      ]),
    ),
    consents: consents.map((c) => ({
      purpose: c.purpose,
      granted: c.granted,
      changedAt: c.changedAt.toISOString(),
      channel: c.channel,
      source: c.source,
      expiresAt: c.expiresAt ? c.expiresAt.toISOString() : null,
    })),
    firstOrderAt: row.firstOrderAt ? row.firstOrderAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    revision: row.revision,
  };
}

/** The rule-relevant facts about a customer (no identifiers, no name): the input of the pricing pipeline. */
export async function getCustomerFacts(db: Executor, customerId: string): Promise<CustomerFacts | null> {
  const view = await getCustomer(db, customerId);
  if (!view) return null;
  const attr = (name: string): unknown => view.attributes[name]?.value ?? null;
  const consent = (p: ConsentPurpose) => view.consents.some((c) => c.purpose === p && c.granted);
  const segments = attr('segments');
  return {
    id: view.id,
    segments: Array.isArray(segments) ? segments.filter((s): s is string => typeof s === 'string') : [],
    birthday: typeof attr('birthday') === 'string' ? (attr('birthday') as string) : null,
    homeStore: typeof attr('homeStore') === 'string' ? (attr('homeStore') as string) : null,
    firstOrder: view.firstOrderAt === null,
    consents: {
      EMAIL_MARKETING: consent('EMAIL_MARKETING'),
      PERSONALISATION: consent('PERSONALISATION'),
      PROFILING: consent('PROFILING'),
    },
  };
}
