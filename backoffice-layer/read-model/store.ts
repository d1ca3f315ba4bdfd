import { sql, type Transaction } from 'kysely';
import { classifyInfrastructureError, currentRevision, luaScript, type Redis } from '../../shared/index.js';
import type { Database, BackofficeDB as DB, Executor } from '../tables.js';
import type { LocationState, PriceCandidate, ProductState, StockLevelState } from '../events/event-types.js';
import { loadPriceCandidates } from '../pricing/pricing.js';
import { encodeSection } from './redis-codec.js';

/** Everything the hub knows about one SKU, as the journey and channel layers read it. */
export interface SkuView {
  sku: string;
  product: ProductState;
  prices: PriceCandidate[];
  stock: StockLevelState[];
}

/** Read-model keys of one hub (prefix) in Redis. */
export function readModelKeys(redisPrefix: string) {
  const p = `${redisPrefix}:rm`;
  return {
    product: (sku: string) => `${p}:product:${sku}`,
    prices: (sku: string) => `${p}:prices:${sku}`,
    stock: (sku: string) => `${p}:stock:${sku}`,
    locations: `${p}:locations`,
    /** A shared section another layer keeps in the read model (e.g. the promotions in force). */
    global: (name: string) => `${p}:global:${name}`,
    watermark: `${p}:watermark`,
    /**
     * The identity of the database this model was fully built from (see source.ts), set when a rebuild
     * completes; without it the model is incomplete (never built, Redis lost it, or it mirrored another
     * database).
     */
    built: `${p}:built`,
    /**
     * The identity of the database whose sections may be written here: claimed by a rebuild before its
     * snapshot.
     */
    source: `${p}:source`,
    /** The token of the rebuild in progress, as a lease that expires if its worker dies. */
    building: `${p}:building`,
    /**
     * `<revision>:<event id>` of the newest event the model reflects: a database that does not hold that
     * event at that revision (restored from an older copy, then written past it again) is not the one the
     * model mirrors.
     */
    anchor: `${p}:anchor`,
    changes: `${p}:changes`,
    pattern: `${p}:*`,
  };
}
export type ReadModelKeys = ReturnType<typeof readModelKeys>;

/**
 * Writes many sections in one round trip, each only if it is newer than what is stored (revision guard): a
 * late or repeated event can never overwrite a newer state. And only while the model belongs to the writer's
 * database (KEYS[1], the source key, equals ARGV[1]): after Redis lost the model, or while another database's
 * model is there, nothing is written (-1) — the rebuild that follows claims the source before its snapshot,
 * so whatever was refused meanwhile is in that snapshot. KEYS[2..] are section keys; ARGV[2..] holds (field
 * or '', revision, value) triples.
 */
const GUARDED_WRITE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local written = 0
for i = 2, #KEYS do
  local field = ARGV[3 * i - 4]
  local rev = tonumber(ARGV[3 * i - 3])
  local cur
  if field == '' then cur = redis.call('GET', KEYS[i]) else cur = redis.call('HGET', KEYS[i], field) end
  local stored = cur and tonumber(string.match(cur, '^{"rev":(%d+)'))
  if not stored or stored < rev then
    if field == '' then redis.call('SET', KEYS[i], ARGV[3 * i - 2])
    else redis.call('HSET', KEYS[i], field, ARGV[3 * i - 2]) end
    written = written + 1
  end
end
return written`;

/**
 * Raises the watermark, never lowers it; and never claims anything for a model that was not fully built from
 * the caller's database (KEYS[2], the built key, must equal ARGV[2]). Records ARGV[3] (`<revision>:<event
 * id>`, or '') as the anchor (KEYS[3]) when it is newer than the one stored. With a fourth key (the changes
 * channel) it also publishes the watermark notice when it moved, in the same call.
 */
const raiseWatermarkScript = luaScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -1 end
if ARGV[3] ~= '' then
  local stored = redis.call('GET', KEYS[3])
  local storedRev = stored and tonumber(string.match(stored, '^(%d+):')) or -1
  if tonumber(string.match(ARGV[3], '^(%d+):')) > storedRev then redis.call('SET', KEYS[3], ARGV[3]) end
end
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
local new = tonumber(ARGV[1])
if new > cur then
  redis.call('SET', KEYS[1], ARGV[1])
  if #KEYS >= 4 then redis.call('PUBLISH', KEYS[4], '{"revision":' .. ARGV[1] .. ',"watermark":true}') end
  return new
end
return cur`);

export interface SectionWrite {
  key: string;
  field?: string;
  rev: number;
  value: unknown;
}

/** Where section writes go: the hub's keys and the identity of the database they come from (source.ts). */
export interface SectionTarget {
  keys: ReadModelKeys;
  source: string;
}

/**
 * Writes sections (see GUARDED_WRITE) and returns how many were newer than what was stored, or -1 when the
 * model does not belong to `target.source` (lost, or claimed by another database): then some or all were not
 * written.
 */
export async function writeSections(
  redis: Redis,
  target: SectionTarget,
  writes: readonly SectionWrite[],
): Promise<number> {
  const pipe = redis.pipeline();
  queueSectionWrites(pipe, target, writes);
  const replies = (await execPipeline(pipe)).map(Number);
  return replies.some((n) => n < 0) ? -1 : replies.reduce((sum, n) => sum + n, 0);
}

/** Runs a pipeline and returns its replies; the first failed command's error is thrown. */
export async function execPipeline(pipe: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = (await pipe.exec()) ?? [];
  const failed = results.find(([err]) => err);
  if (failed) throw failed[0]!;
  return results.map(([, value]) => value);
}

/**
 * Raises the watermark and tells every node, in one round trip, recording `anchor` (`<revision>:<event id>`
 * of an event the model now reflects); returns the watermark now stored (-1: the model is not built from
 * `target.source`).
 */
export async function raiseAndAnnounceWatermark(
  redis: Redis,
  target: SectionTarget,
  revision: number,
  anchor = '',
): Promise<number> {
  const { keys } = target;
  return Number(
    await raiseWatermarkScript(
      redis,
      [keys.watermark, keys.built, keys.anchor, keys.changes],
      [revision, target.source, anchor],
    ),
  );
}

/**
 * Queues guarded section writes on a pipeline (see writeSections), so notices queued after them run after
 * them. Each queued script replies with the number written, or -1 when the model does not belong to
 * `target.source`.
 */
export function queueSectionWrites(
  pipe: ReturnType<Redis['pipeline']>,
  target: SectionTarget,
  writes: readonly SectionWrite[],
): void {
  for (let i = 0; i < writes.length; i += 500) {
    const part = writes.slice(i, i + 500);
    pipe.eval(
      GUARDED_WRITE,
      part.length + 1,
      target.keys.source,
      ...part.map((w) => w.key),
      target.source,
      ...part.flatMap((w) => [w.field ?? '', String(w.rev), encodeSection(w.rev, w.value)]),
    );
  }
}

/** The sections of these SKUs as stored in PostgreSQL (products, price candidates, stock levels). */
export async function loadSections(
  db: Executor,
  skus: readonly string[],
): Promise<Map<string, SkuView | null>> {
  const out = new Map<string, SkuView | null>(skus.map((s) => [s, null]));
  if (skus.length === 0) return out;
  const unique = [...new Set(skus)];
  const [products, candidates, levels] = await Promise.all([
    db
      .selectFrom('products')
      .select(['sku', 'name', 'category', 'attributes', 'vatRateBp', 'status'])
      .where('sku', 'in', unique)
      .execute(),
    loadPriceCandidates(db, unique),
    db
      .selectFrom('stockLevels')
      .select(['sku', 'locationId', 'onHand', 'reserved', 'safetyStock'])
      .where('sku', 'in', unique)
      .orderBy('sku')
      .orderBy('locationId')
      .execute(),
  ]);
  for (const p of products)
    out.set(p.sku, { sku: p.sku, product: { ...p }, prices: candidates.get(p.sku) ?? [], stock: [] });
  for (const l of levels) out.get(l.sku)?.stock.push(l);
  return out;
}

export async function loadLocations(db: Executor): Promise<LocationState[]> {
  return db.selectFrom('locations').select(['id', 'name', 'kind', 'fulfilsOnline']).orderBy('id').execute();
}

/**
 * Data of another layer that every answer may need whatever the SKUs (the promotions in force, the loyalty
 * programme), kept in the read model like SKU sections: loaded from PostgreSQL in the consumer's transaction
 * after any event of `types`, labelled with that transaction's revision, cached on every node, part of every
 * snapshot.
 */
export interface SharedSection {
  name: string;
  /** Event types after which the section is loaded again. */
  types: readonly string[];
  load(db: Executor): Promise<unknown>;
}

/** Loads shared sections in one executor (a transaction gives them one snapshot). */
export async function loadGlobals(
  db: Executor,
  sections: readonly SharedSection[],
): Promise<Map<string, unknown>> {
  const values = await Promise.all(sections.map((f) => f.load(db)));
  return new Map(sections.map((f, i) => [f.name, values[i]]));
}

/**
 * Runs `fn` in one REPEATABLE READ snapshot of PostgreSQL, with the exact revision that snapshot reflects:
 * whatever `fn` reads agrees with that revision, so it can label read-model sections or answers.
 */
export async function inSnapshot<T>(
  db: Database,
  fn: (tx: Transaction<DB>, revision: number) => Promise<T>,
): Promise<T> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      await sql`SELECT 1`.execute(tx); // the snapshot starts at the first statement
      return fn(tx, await currentRevision(tx));
    });
}

/**
 * One consistent PostgreSQL snapshot of these SKUs, all locations and the shared sections, with its exact
 * revision.
 */
export async function loadSnapshotFromDatabase(
  db: Database,
  skus: readonly string[],
  sections: readonly SharedSection[] = [],
): Promise<{
  revision: number;
  views: Map<string, SkuView | null>;
  locations: LocationState[];
  globals: Map<string, unknown>;
}> {
  try {
    return await inSnapshot(db, async (tx, revision) => {
      const [views, locations, globals] = await Promise.all([
        loadSections(tx, skus),
        loadLocations(tx),
        loadGlobals(tx, sections),
      ]);
      return { revision, views, locations, globals };
    });
  } catch (e) {
    throw classifyInfrastructureError(e); // PostgreSQL down or restarting: UNAVAILABLE, not a crash
  }
}

/** The writes that store shared sections (by name) at a revision. */
export function globalWrites(
  keys: ReadModelKeys,
  values: ReadonlyMap<string, unknown>,
  rev: number,
): SectionWrite[] {
  return [...values].map(([name, value]) => ({ key: keys.global(name), rev, value }));
}

/** The writes that store a SKU view (all three sections) at a revision. */
export function viewWrites(keys: ReadModelKeys, view: SkuView, rev: number): SectionWrite[] {
  return [
    { key: keys.product(view.sku), rev, value: view.product },
    { key: keys.prices(view.sku), rev, value: view.prices },
    ...view.stock.map((l) => ({ key: keys.stock(view.sku), field: l.locationId, rev, value: l })),
  ];
}
