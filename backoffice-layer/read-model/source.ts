import { sql } from 'kysely';
import { UUID_FORM } from '../../shared/index.js';
import type { Database } from '../tables.js';

/**
 * The identity of the PostgreSQL database a read model mirrors, as one string
 * `"<database id>/<system identifier>/<database oid>"`:
 * - the database id is a UUID written once at migration (`hub_identity`), so another hub's database differs;
 * - the system identifier (from `pg_control_system()`) differs for every cluster, so a dump restored
 *   elsewhere differs; it is left empty where the server does not grant that function;
 * - the database OID differs for every `CREATE DATABASE` (a copy made with `TEMPLATE`, a dump restored after
 *   `DROP DATABASE`), so two copies of one database never pass for each other.
 * A restored older copy that keeps all three (a file-level backup, point-in-time recovery) is caught by the
 * other checks: its revision is behind the read model's watermark, or it does not hold the model's anchor
 * (anchorHeld). Throws what the database throws (UNAVAILABLE when it is down, through the caller's
 * classification).
 */
export async function loadSourceIdentity(db: Database): Promise<string> {
  const row = await sql<{ databaseId: string; oid: string }>`
    SELECT h.database_id::text AS database_id, d.oid::text AS oid
      FROM hub_identity h, pg_database d WHERE d.datname = current_database()`.execute(db);
  const r = row.rows[0];
  if (!r) throw new Error('hub_identity holds no row: run the migrations');
  const system = await sql<{ id: string }>`SELECT system_identifier::text AS id FROM pg_control_system()`
    .execute(db)
    .then((x) => x.rows[0]?.id ?? '')
    .catch(() => '');
  return `${r.databaseId}/${system}/${r.oid}`;
}

const cached = new WeakMap<Database, { at: number; identity: Promise<string> }>();
/**
 * How long an identity is trusted before it is asked again (a database restored in place under a running
 * hub).
 */
const IDENTITY_TTL_MS = 10_000;

/**
 * `loadSourceIdentity`, asked at most every 10 seconds per database handle (a failed attempt is asked again
 * next time).
 */
export function sourceIdentity(db: Database): Promise<string> {
  const now = Date.now();
  const hit = cached.get(db);
  if (hit && now - hit.at < IDENTITY_TTL_MS) return hit.identity;
  const identity = loadSourceIdentity(db);
  // A fresh answer replaces the old one only once it arrived, so a slow database never leaves callers without
  // one.
  const entry = { at: now, identity: hit ? identity.catch(() => hit.identity) : identity };
  cached.set(db, entry);
  identity.catch(() => {
    if (cached.get(db) === entry) cached.delete(db);
  });
  return entry.identity;
}

/** A read model's anchor: `<revision>:<event id>`. */
const ANCHOR_FORM = new RegExp(`^(\\d+):(${UUID_FORM})$`);

/**
 * Does this database hold the event a read model's anchor names (`<revision>:<event id>`, see readModelKeys)?
 * False when it does not although it has kept events of that revision — a restored older copy written past
 * that revision again, whose revisions now mean other changes. True when there is no anchor, or when that
 * revision is older than every event kept (pruned after the retention period: nothing to tell by).
 */
export async function anchorHeld(db: Database, anchor: string | null | undefined): Promise<boolean> {
  const m = anchor ? ANCHOR_FORM.exec(anchor) : null;
  if (!m) return true;
  const r = await sql<{ held: boolean; oldest: string | null }>`
    SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ${m[2]}::uuid AND revision = ${Number(m[1])}) AS held,
           (SELECT min(revision) FROM outbox)::text AS oldest`.execute(db);
  const row = r.rows[0];
  if (!row || row.held) return true;
  return row.oldest === null || Number(m[1]) < Number(row.oldest);
}

/**
 * Is `replica` a copy of `primary` — the same database id, cluster and database OID (`sourceIdentity`, asked
 * at most every 10 seconds per handle)? A physical streaming replica is; a DATABASE_REPLICA_URL naming
 * another hub's database, or a restored copy made with `CREATE DATABASE`, is not, and is never read. Throws
 * what either database throws.
 */
export async function replicaMirrors(replica: Database, primary: Database): Promise<boolean> {
  const [a, b] = await Promise.all([sourceIdentity(replica), sourceIdentity(primary)]);
  return a === b;
}
