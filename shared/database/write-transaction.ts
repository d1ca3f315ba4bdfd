import { createHash, randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import { DomainError, classifyInfrastructureError } from '../errors.js';
import { OUTBOX_CHANNEL, type EventEnvelope, type PendingEvent } from '../events.js';
import type { Database } from './database.js';
import type { DB } from './schema.js';

/**
 * Revisions are handed out under this transaction-scoped advisory lock, taken only after every row lock of the
 * transaction is held. So revision order equals commit order: a reader that has seen revision R has seen every
 * change ≤ R. Taking it last keeps the serialised section to "stamp, insert outbox, commit" and cannot deadlock
 * against row locks (no transaction waits for a row while holding it).
 */
const REVISION_LOCK_KEY = 7_401_355_121;

export interface WriteContext {
  tx: Transaction<DB>;
  /** The instant of this write, from the injected clock. */
  now: Date;
  /** Announce a change; the event is inserted into the outbox with this transaction's revision. */
  emit(event: PendingEvent): void;
  /** Work that needs the revision (ledger rows, revision stamps); runs after the revision is assigned. */
  atRevision(fn: (tx: Transaction<DB>, revision: number) => Promise<void>): void;
}

export interface WriteResult<T> {
  result: T;
  /** The revision this write committed, or the one the first execution committed when replayed. */
  revision: number;
  events: EventEnvelope[];
  /** True when an idempotency key matched an earlier execution and its stored result was returned. */
  replayed: boolean;
}

export interface IdempotencyOptions {
  /** Which operation the key belongs to (e.g. `reserve-stock`); keys are unique per scope. */
  scope: string;
  key: string;
  /** The validated request; a replay with a different request is a CONFLICT. */
  request: unknown;
}

export interface WriteDeps {
  db: Database;
  clock: Clock;
}

/** Canonical JSON: object keys sorted, so equal values always serialise (and hash) the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Runs one write of the source of truth as one PostgreSQL transaction: the work, then (if it changed anything)
 * the next global revision, the revision-stamped ledger rows and the outbox events, then commit — all or nothing.
 * With `idempotency`, the key is claimed in the same transaction: 20 concurrent calls with one key execute once;
 * the others wait for that commit and get its stored result; a different request under the same key is a CONFLICT.
 * The result must be JSON-serialisable when an idempotency key is used (it is stored and replayed).
 *
 * @example
 * const { result, revision } = await runWrite(deps, async (ctx) => {
 *   await ctx.tx.updateTable('products').set({ name }).where('sku', '=', sku).execute();
 *   ctx.emit({ type: 'product.changed', aggregateType: 'product', aggregateId: sku, payload: { sku } });
 *   return { sku };
 * });
 */
export async function runWrite<T>(deps: WriteDeps, fn: (ctx: WriteContext) => Promise<T>, opts: { idempotency?: IdempotencyOptions } = {}): Promise<WriteResult<T>> {
  try {
    return await deps.db.transaction().execute((tx) => writeInTransaction(tx, deps.clock.now(), fn, opts));
  } catch (e) {
    throw classifyInfrastructureError(e);
  }
}

/**
 * The body of `runWrite` inside a transaction the caller already holds: for event consumers, whose change must
 * commit together with the record that the event was applied. Same revision, outbox and idempotency rules.
 */
export async function writeInTransaction<T>(tx: Transaction<DB>, now: Date, fn: (ctx: WriteContext) => Promise<T>, opts: { idempotency?: IdempotencyOptions } = {}): Promise<WriteResult<T>> {
  const idem = opts.idempotency;
  let requestHash = '';
  if (idem) {
    requestHash = sha256(canonicalJson(idem.request));
    const claimed = await tx.insertInto('idempotencyKeys')
      .values({ scope: idem.scope, key: idem.key, requestHash, response: '{}', createdAt: now })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!claimed) {
      // Another execution committed this key first (we waited for it on the unique index).
      const prior = await tx.selectFrom('idempotencyKeys').select(['requestHash', 'response'])
        .where('scope', '=', idem.scope).where('key', '=', idem.key).executeTakeFirstOrThrow();
      if (prior.requestHash !== requestHash) {
        throw new DomainError('CONFLICT', `Idempotency key "${idem.key}" was already used with a different request`, { idempotencyKey: idem.key });
      }
      const stored = prior.response as { result: T; revision: number };
      return { result: stored.result, revision: stored.revision, events: [], replayed: true };
    }
  }

  const pending: PendingEvent[] = [];
  const stamps: Array<(tx: Transaction<DB>, revision: number) => Promise<void>> = [];
  const ctx: WriteContext = {
    tx,
    now,
    emit: (e) => void pending.push(e),
    atRevision: (f) => void stamps.push(f),
  };
  const result = await fn(ctx);

  let revision = 0;
  const events: EventEnvelope[] = [];
  if (pending.length > 0 || stamps.length > 0) {
    // One round trip: the lock is taken (materialised first), then the revision drawn under it.
    const row = await sql<{ revision: number }>`WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock(${REVISION_LOCK_KEY})) SELECT nextval('revision_seq') AS revision FROM l`.execute(tx);
    revision = row.rows[0]!.revision;
    for (const stamp of stamps) await stamp(tx, revision);
    for (const e of pending) {
      events.push({ id: randomUUID(), type: e.type, aggregateType: e.aggregateType, aggregateId: e.aggregateId, revision, occurredAt: now.toISOString(), payload: e.payload });
    }
    if (events.length > 0) {
      await tx.insertInto('outbox').values(events.map((e) => ({
        id: e.id, revision, type: e.type, aggregateType: e.aggregateType, aggregateId: e.aggregateId,
        payload: JSON.stringify(e.payload), createdAt: now,
      }))).execute();
      await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, ${String(revision)})`.execute(tx);
    }
  } else {
    revision = await currentRevision(tx);
  }
  if (idem) {
    await tx.updateTable('idempotencyKeys').set({ response: JSON.stringify({ result, revision }) })
      .where('scope', '=', idem.scope).where('key', '=', idem.key).execute();
  }
  return { result, revision, events, replayed: false };
}

/**
 * The highest committed revision visible to this executor (0 before the first write). Read from the outbox, not
 * the sequence: a revision handed out to a transaction that has not committed yet must not be claimed as seen.
 */
export async function currentRevision(db: Database | Transaction<DB>): Promise<number> {
  const r = await sql<{ revision: number | null }>`SELECT max(revision) AS revision FROM outbox`.execute(db);
  return r.rows[0]?.revision ?? 0;
}
