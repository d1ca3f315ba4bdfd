import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type pg from 'pg';
import {
  advanceRevision,
  deleteKeysMatching,
  luaScript,
  systemClock,
  type Clock,
  type Redis,
} from '../../shared/index.js';
import type { Database } from '../tables.js';
import type { LocationState } from '../events/event-types.js';
import type { ReadModelChange } from './consumer.js';
import { sourceIdentity } from './source.js';
import { copyField, CopyRows } from './copy-rows.js';
import { encodeSectionJson } from './redis-codec.js';
import {
  globalWrites,
  inSnapshot,
  loadSections,
  loadGlobals,
  loadLocations,
  readModelKeys,
  writeSections,
  type SectionWrite,
  type SharedSection,
  type SkuView,
} from './store.js';

/**
 * What the rebuild needs; `clock` stamps the revision it may advance (the system clock when not given).
 * `pool`: connections of the same database, on which the rebuild streams the catalogue (`COPY`, one
 * connection per stream; `directPool` when given, for a pool behind a pooler in transaction mode).
 */
export type RebuildDeps = {
  db: Database;
  pool: pg.Pool;
  directPool?: pg.Pool;
  redis: Redis;
  redisPrefix: string;
  clock?: Clock;
};
type Deps = RebuildDeps;
type Sections = readonly SharedSection[];

/**
 * Walks every SKU in one REPEATABLE READ snapshot, a page at a time (constant memory), with its exact
 * revision.
 */
export async function eachPage(
  db: Database,
  sections: Sections,
  fn: (
    views: SkuView[],
    locations: LocationState[] | null,
    revision: number,
    globals: Map<string, unknown> | null,
  ) => Promise<void>,
  pageSize = 2000,
): Promise<number> {
  return inSnapshot(db, async (tx, revision) => {
    await fn([], await loadLocations(tx), revision, await loadGlobals(tx, sections));
    let after = '';
    for (;;) {
      const skus = (
        await tx
          .selectFrom('products')
          .select('sku')
          .where('sku', '>', after)
          .orderBy('sku')
          .limit(pageSize)
          .execute()
      ).map((r) => r.sku);
      if (skus.length === 0) break;
      const views = [...(await loadSections(tx, skus)).values()].filter((v): v is SkuView => v !== null);
      await fn(views, null, revision, null);
      after = skus.at(-1)!;
    }
    return revision;
  });
}

/**
 * The rebuild lease: a rebuild whose worker died frees the model for another after this long without
 * progress.
 */
const LEASE_MS = 10_000;

/**
 * Claims the model for a rebuild from database ARGV[1] with token ARGV[2] (a lease of ARGV[3] ms), unless
 * another rebuild holds the lease. When the model is not fully built from that database, or ARGV[4] is
 * 'discard', the source changes hands and the built marker and watermark go, so no node serves the old state
 * from then on. Replies {1 | 0 (lease held elsewhere), previous built, previous source, previous watermark}
 * ('' for none). KEYS: source, built, building, watermark, anchor.
 */
const claimScript = luaScript(`
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[2] then return {0, '', '', ''} end
local built = redis.call('GET', KEYS[2]) or ''
local source = redis.call('GET', KEYS[1]) or ''
local watermark = redis.call('GET', KEYS[4]) or ''
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
if built ~= ARGV[1] or source ~= ARGV[1] or ARGV[4] == 'discard' then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[2], KEYS[4], KEYS[5])
end
return {1, built, source, watermark}`);

/**
 * Extends the lease of rebuild ARGV[1] by ARGV[2] ms; 0 when it no longer holds it (Redis lost it, or it
 * expired). KEYS: building.
 */
const renewScript = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`);

/** Gives up the lease of rebuild ARGV[1], if it still holds it. KEYS: building. */
const releaseScript = luaScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 0`,
);

/**
 * Completes rebuild ARGV[2] of database ARGV[1] at revision ARGV[3] — only if the source is still that
 * database and the lease still that rebuild's (a flush or a take-over meanwhile means the pages written may
 * be gone): marks the model built, records the anchor ARGV[4] (an event at that revision), raises the
 * watermark and tells every node to drop its caches. Replies the watermark, or -1. KEYS: source, building,
 * built, watermark, changes, anchor.
 */
const completeScript = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[2] then return -1 end
redis.call('SET', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[2])
if ARGV[4] ~= '' then redis.call('SET', KEYS[6], ARGV[4]) end
local cur = tonumber(redis.call('GET', KEYS[4]) or '-1')
local rev = tonumber(ARGV[3])
if rev > cur then redis.call('SET', KEYS[4], ARGV[3]) cur = rev end
redis.call('PUBLISH', KEYS[5], '{"revision":' .. cur .. ',"reset":true}')
return cur`);

/** SKUs written per Redis call while rebuilding, at most ARGS_PER_CALL arguments, CALLS_IN_FLIGHT at once. */
const SKUS_PER_CALL = 200;
const ARGS_PER_CALL = 20_000;
const CALLS_IN_FLIGHT = 4;

/**
 * Writes the sections of many SKUs at revision ARGV[4] for rebuild ARGV[2] of database ARGV[1], in one call,
 * each only where what is stored is older (the revision guard of store.ts: newer sections the event consumer
 * wrote meanwhile stay). Only while the source is still that database (else -1: Redis lost the model) and the
 * lease still that rebuild's (else -2), which it extends by ARGV[3] ms. KEYS: source, building, then product,
 * prices and stock per SKU; ARGV[5..] per SKU: product, prices, n, then n (location, level) pairs. A
 * section not there yet is written by one SET NX, a stock hash not there yet by one HSET. Replies the
 * sections written.
 */
const rebuildWriteScript = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -2 end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local rev = tonumber(ARGV[4])
local function older(cur)
  if not cur then return true end
  local stored = tonumber(string.match(cur, '^{"rev":(%d+)'))
  return not stored or stored < rev
end
local written = 0
local a = 5
for k = 3, #KEYS, 3 do
  for j = 0, 1 do
    if redis.call('SET', KEYS[k + j], ARGV[a + j], 'NX') then
      written = written + 1
    elseif older(redis.call('GET', KEYS[k + j])) then
      redis.call('SET', KEYS[k + j], ARGV[a + j])
      written = written + 1
    end
  end
  local n = tonumber(ARGV[a + 2])
  a = a + 3
  local fresh = n > 0 and redis.call('EXISTS', KEYS[k + 2]) == 0
  for from = 0, n - 1, 500 do
    local to = math.min(n, from + 500) - 1
    if fresh then
      redis.call('HSET', KEYS[k + 2], unpack(ARGV, a + 2 * from, a + 2 * to + 1))
      written = written + to - from + 1
    else
      local fields = {}
      for i = from, to do fields[#fields + 1] = ARGV[a + 2 * i] end
      local cur = redis.call('HMGET', KEYS[k + 2], unpack(fields))
      local pairs = {}
      for i = from, to do
        if older(cur[i - from + 1]) then
          pairs[#pairs + 1] = ARGV[a + 2 * i]
          pairs[#pairs + 1] = ARGV[a + 2 * i + 1]
        end
      end
      if #pairs > 0 then
        redis.call('HSET', KEYS[k + 2], unpack(pairs))
        written = written + #pairs / 2
      end
    end
  end
  a = a + 2 * n
end
return written`);

/** Milliseconds since the epoch of a timestamptz (truncated, as node-postgres reads it), for `COPY`. */
const ms = (column: string) => `trunc(extract(epoch FROM ${column}) * 1000)::bigint`;

/** Every product with its price candidates (none: one row of NULLs), in SKU order, as loadSections orders. */
const PRODUCTS_QUERY = `
SELECT p.sku, p.name, p.category, p.attributes, p.vat_rate_bp, p.status,
       pr.price_list_id, l.priority, l.currency::text, ${ms('l.valid_from')}, ${ms('l.valid_to')},
       pr.min_quantity, pr.amount, ${ms('pr.valid_from')}, ${ms('pr.valid_to')}
  FROM products p
  LEFT JOIN (prices pr JOIN price_lists l ON l.id = pr.price_list_id) ON pr.sku = p.sku
 ORDER BY p.sku, pr.price_list_id, pr.min_quantity`;

/**
 * Every SKU's stock levels in one row, in SKU order (the order of PRODUCTS_QUERY: the same column and
 * collation): the SKU, then `<location> <level>` pairs joined by spaces, each level already in the form
 * `encodeStockLevel` gives at revision `rev` (an integer) — PostgreSQL writes them, in its own process. No
 * location id holds a space (its CHECK).
 */
const stockQuery = (rev: number) => `
SELECT sku, string_agg(location_id || ' {"rev":${Math.trunc(rev)},"v":[' || on_hand || ',' || reserved || ','
                       || safety_stock || ']}', ' ')
  FROM stock_levels GROUP BY sku ORDER BY sku`;

/** A timestamp column of the queries (ms since the epoch) as JSON: its ISO form as node-postgres gives it. */
const isoOf = (raw: string | undefined) =>
  raw === '\\N' || raw === undefined ? 'null' : `"${new Date(Number(raw)).toISOString()}"`;

/**
 * Streams every SKU of `snapshot` (exported by the caller's open transaction, at revision `rev`) into Redis
 * (see rebuildReadModel); returns the SKUs written. Stock levels are matched to products by SKU order alone:
 * both streams are ordered by the same column, and every level's SKU is a product (foreign key).
 */
async function writeCatalogue(
  deps: Deps,
  claim: { keys: ReturnType<typeof readModelKeys>; source: string; token: string },
  snapshot: string,
  rev: number,
  skusPerCall: number,
): Promise<number> {
  const { keys } = claim;
  const pool = deps.directPool ?? deps.pool;
  const products = await CopyRows.open(pool, snapshot, PRODUCTS_QUERY);
  let stock: CopyRows;
  try {
    stock = await CopyRows.open(pool, snapshot, stockQuery(rev));
  } catch (e) {
    products.abort();
    throw e;
  }
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  const head = () => ({
    keys: [keys.source, keys.building],
    args: [claim.source, claim.token, String(LEASE_MS), String(rev)],
    skus: 0,
  });
  let batch = head();
  const flush = async () => {
    const { keys: k, args } = batch;
    batch = head();
    const call: Promise<void> = rebuildWriteScript(deps.redis, k, args)
      .then((r) => {
        const n = Number(r);
        if (n === -1) throw new ReadModelRebuildInterrupted('Redis lost the read model during the rebuild');
        if (n === -2)
          throw new ReadModelRebuildInterrupted(
            'the rebuild lost its lease (Redis lost the read model, or the rebuild stalled)',
          );
      })
      .catch((e: unknown) => {
        failure ??= e;
      })
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
    if (inFlight.size >= CALLS_IN_FLIGHT) await Promise.race(inFlight);
    if (failure) throw failure;
  };
  /** The next row of `rows`, refilled when needed; undefined at the end. */
  const next = async (rows: CopyRows) => rows.peek() ?? ((await rows.fill()) ? rows.peek() : undefined);
  let skus = 0;
  try {
    let row = await next(products);
    while (row) {
      const sku = row[0]!;
      // The sections' JSON, written out directly (a catalogue's worth of objects would keep the collector
      // busy): the keys and their order of ProductState and PriceCandidate. The SKU, status and numbers are
      // plain by their CHECKs and types; attributes are JSON already (jsonb).
      const product =
        `{"sku":"${sku}","name":${JSON.stringify(copyField(row[1]!))},` +
        `"category":${JSON.stringify(copyField(row[2]!))},"attributes":${copyField(row[3]!)},` +
        `"vatRateBp":${row[4]},"status":"${row[5]}"}`;
      const prices: string[] = [];
      do {
        if (row[6] !== '\\N')
          prices.push(
            `{"priceListId":${JSON.stringify(copyField(row[6]!))},"priority":${row[7]},` +
              `"currency":"${row[8]}","listValidFrom":${isoOf(row[9])},` +
              `"listValidTo":${isoOf(row[10])},` +
              `"minQuantity":${row[11]},"amount":${row[12]},"validFrom":${isoOf(row[13])},` +
              `"validTo":${isoOf(row[14])}}`,
          );
        products.skip();
        row = await next(products);
      } while (row && row[0] === sku);
      const { args } = batch;
      args.push(encodeSectionJson(rev, product), encodeSectionJson(rev, `[${prices.join(',')}]`));
      const levels = await next(stock);
      if (levels && levels[0] === sku) {
        const pairs = levels[1]!.split(' ');
        args.push(String(pairs.length / 2));
        for (const x of pairs) args.push(x);
        stock.skip();
      } else args.push('0');
      batch.keys.push(keys.product(sku), keys.prices(sku), keys.stock(sku));
      skus++;
      if (++batch.skus >= skusPerCall || args.length >= ARGS_PER_CALL) await flush();
    }
    if (batch.skus > 0) await flush();
    if (await next(stock)) throw new Error('a stock level of no product: the streams are not in one order');
    await Promise.all(inFlight);
    if (failure) throw failure;
    return skus;
  } catch (e) {
    products.abort();
    stock.abort();
    await Promise.all(inFlight);
    throw e;
  }
}

/**
 * A rebuild that could not complete: Redis lost the model meanwhile, or another rebuild holds it. Try again
 * later.
 */
export class ReadModelRebuildInterrupted extends Error {}

/**
 * What a rebuild found before it began (for logs): the database the model was built from, and its watermark.
 */
export interface RebuildOutcome {
  revision: number;
  skus: number;
  /**
   * The identity of the database the model had been fully built from before ('' when none: first start,
   * loss).
   */
  previous: string;
  /** True when another database's state (or a restored database's future) was thrown away. */
  discarded: boolean;
}

/**
 * Rebuilds the Redis read model from PostgreSQL at one exact revision and marks it built from this database.
 * First it claims the model (the source key names this database, so the event consumer's writes land from
 * then on and whatever they missed is in the snapshot taken after). When the model was another database's, or
 * `discard` is set (a restored database behind its read model), the old sections are deleted first and this
 * database's revision is moved past the old watermark, so no reader ever sees revisions go backwards. Section
 * writes are revision-guarded, so newer sections the consumer writes meanwhile are kept. Completion is
 * conditional: if Redis lost the model during the rebuild, it throws ReadModelRebuildInterrupted and nothing
 * claims to be built. Used at first start, after a loss, on a foreign or restored database, and on demand.
 *
 * The catalogue is streamed, never held: two `COPY` streams on connections of their own share the snapshot
 * (`pg_export_snapshot`) — products with their price candidates, and stock levels — both in SKU order and
 * merged SKU by SKU, then written `pageSize` SKUs (200) per Redis script call, a few calls in flight; the
 * streams pause while Redis is behind, so memory does not grow with the catalogue. Stock levels are stored
 * compactly (`encodeStockLevel`). The lease is kept alive while the rebuild runs and checked by every write:
 * a rebuild that lost it (Redis lost the model, another rebuild took over an expired lease) stops at its next
 * write with ReadModelRebuildInterrupted.
 */
export async function rebuildReadModel(
  deps: Deps,
  sections: Sections = [],
  opts: { discard?: boolean; pageSize?: number } = {},
): Promise<RebuildOutcome> {
  const keys = readModelKeys(deps.redisPrefix);
  const source = await sourceIdentity(deps.db);
  const target = { keys, source };
  const token = randomUUID();
  const claim = (await claimScript(
    deps.redis,
    [keys.source, keys.built, keys.building, keys.watermark, keys.anchor],
    [source, token, LEASE_MS, opts.discard ? 'discard' : ''],
  )) as [number, string, string, string];
  const [claimed, previous, previousSource, previousWatermark] = claim;
  if (Number(claimed) !== 1)
    throw new ReadModelRebuildInterrupted('another rebuild of the read model is in progress');
  const foreign =
    (previous !== '' && previous !== source) || (previousSource !== '' && previousSource !== source);
  const discarded = foreign || opts.discard === true;
  // The lease lives as long as this rebuild runs (each write also checks and extends it): a worker that dies
  // frees the model LEASE_MS later.
  const keepAlive = setInterval(() => {
    renewScript(deps.redis, [keys.building], [token, LEASE_MS]).catch(() => undefined);
  }, LEASE_MS / 4);
  keepAlive.unref();
  try {
    if (previous !== source || discarded)
      await deps.redis.publish(
        keys.changes,
        JSON.stringify({ revision: 0, lost: true } satisfies ReadModelChange),
      );
    if (discarded) {
      // Every section, not the claim.
      await deleteKeysMatching(deps.redis, keys.pattern, new Set([keys.source, keys.building]));
      const before = Number(previousWatermark || 0);
      await advanceRevision({ db: deps.db, clock: deps.clock ?? systemClock }, before, {
        type: 'read-model.rebased',
        aggregateType: 'read-model',
        aggregateId: deps.redisPrefix,
        payload: {
          fromRevision: before,
          reason: foreign ? 'another database' : 'database behind the read model',
        },
      });
    }
    const write = async (writes: SectionWrite[]) => {
      if ((await writeSections(deps.redis, target, writes)) < 0)
        throw new ReadModelRebuildInterrupted('Redis lost the read model during the rebuild');
    };
    let skus = 0;
    const revision = await inSnapshot(deps.db, async (tx, rev) => {
      const exported = await sql<{ id: string }>`SELECT pg_export_snapshot() AS id`.execute(tx);
      await write(
        (await loadLocations(tx)).map((l) => ({ key: keys.locations, field: l.id, rev, value: l })),
      );
      await write(globalWrites(keys, await loadGlobals(tx, sections), rev));
      skus = await writeCatalogue(
        deps,
        { keys, source, token },
        exported.rows[0]!.id,
        rev,
        opts.pageSize ?? SKUS_PER_CALL,
      );
      return rev;
    });
    const newest = await deps.db
      .selectFrom('outbox')
      .select('id')
      .where('revision', '=', revision)
      .limit(1)
      .executeTakeFirst();
    const anchor = newest ? `${revision}:${newest.id}` : '';
    const done = Number(
      await completeScript(
        deps.redis,
        [keys.source, keys.building, keys.built, keys.watermark, keys.changes, keys.anchor],
        [source, token, revision, anchor],
      ),
    );
    if (done < 0) throw new ReadModelRebuildInterrupted('Redis lost the read model during the rebuild');
    return { revision, skus, previous, discarded };
  } catch (e) {
    clearInterval(keepAlive);
    await releaseScript(deps.redis, [keys.building], [token]).catch(() => undefined);
    throw e;
  } finally {
    clearInterval(keepAlive);
  }
}

/** Writes shared sections from one PostgreSQL snapshot, labelled with its revision, and tells every node. */
export async function writeGlobals(deps: Deps, sections: Sections): Promise<void> {
  const keys = readModelKeys(deps.redisPrefix);
  const { revision, values } = await inSnapshot(deps.db, async (tx, rev) => ({
    revision: rev,
    values: await loadGlobals(tx, sections),
  }));
  await writeSections(
    deps.redis,
    { keys, source: await sourceIdentity(deps.db) },
    globalWrites(keys, values, revision),
  );
  await deps.redis.publish(
    keys.changes,
    JSON.stringify({ revision, globals: sections.map((f) => f.name) } satisfies ReadModelChange),
  );
}
