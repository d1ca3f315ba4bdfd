import { randomUUID } from 'node:crypto';
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
import {
  globalWrites,
  inSnapshot,
  loadSections,
  loadGlobals,
  loadLocations,
  readModelKeys,
  viewWrites,
  writeSections,
  type SectionWrite,
  type SharedSection,
  type SkuView,
} from './store.js';

/** What the rebuild needs; `clock` stamps the revision it may advance (the system clock when not given). */
export type RebuildDeps = { db: Database; redis: Redis; redisPrefix: string; clock?: Clock };
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
 * `pageSize`: SKUs read and written per step (2,000).
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
    let skus = 0;
    const write = async (writes: SectionWrite[]) => {
      if ((await writeSections(deps.redis, target, writes)) < 0)
        throw new ReadModelRebuildInterrupted('Redis lost the read model during the rebuild');
    };
    const revision = await eachPage(
      deps.db,
      sections,
      async (views, locations, rev, globals) => {
        if (Number(await renewScript(deps.redis, [keys.building], [token, LEASE_MS])) !== 1)
          throw new ReadModelRebuildInterrupted(
            'the rebuild lost its lease (Redis lost the read model, or the rebuild stalled)',
          );
        if (locations)
          await write(locations.map((l) => ({ key: keys.locations, field: l.id, rev, value: l })));
        if (globals) await write(globalWrites(keys, globals, rev));
        await write(views.flatMap((v) => viewWrites(keys, v, rev)));
        skus += views.length;
      },
      opts.pageSize,
    );
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
    await releaseScript(deps.redis, [keys.building], [token]).catch(() => undefined);
    throw e;
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
