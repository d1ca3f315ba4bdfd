import { currentRevision, type Logger } from '../../shared/index.js';
import { ReadModelRebuildInterrupted, rebuildReadModel, writeGlobals, type RebuildDeps } from './rebuild.js';
import { anchorHeld, sourceIdentity } from './source.js';
import { readModelKeys, type SharedSection } from './store.js';

/**
 * The read model's guardian, run by every worker. Each tick (every second) it checks that the model in Redis
 * is complete and mirrors this database, and rebuilds it when not:
 * - no built marker (first start; Redis flushed, restarted without persistence, failed over to an empty
 * replica):   rebuild;
 * - built from another database (a fresh or another database under the same Redis prefix): logged as an
 * error, the   foreign state discarded, rebuilt — readers never serve it (they check the same marker);
 * - built from this database but its watermark ahead of the database's revision, or its anchor (the newest
 * event it   reflects) missing from the database's outbox at that revision (a restored older copy, maybe
 * written past the old   revision again): logged as an error, discarded, the revision moved past the old
 * watermark, rebuilt. Readers read PostgreSQL meanwhile. A rebuild that Redis lost mid-way is started again
 * at the next tick.
 */
export function startReadModelMaintenance(
  deps: RebuildDeps & { logger: Logger },
  opts: { everyMs?: number; sections?: readonly SharedSection[] } = {},
): { stop(): Promise<void> } {
  const keys = readModelKeys(deps.redisPrefix);
  const sections = opts.sections ?? [];
  let running: Promise<void> = Promise.resolve();
  const rebuild = async (why: string, discard: boolean) => {
    const started = Date.now();
    const r = await rebuildReadModel(deps, sections, { discard });
    deps.logger.info(
      { revision: r.revision, skus: r.skus, ms: Date.now() - started, why, discarded: r.discarded },
      'read model rebuilt from PostgreSQL',
    );
  };
  const check = async () => {
    const source = await sourceIdentity(deps.db);
    const [built, building, watermark, anchor] = await deps.redis.mget(
      keys.built,
      keys.building,
      keys.watermark,
      keys.anchor,
    );
    if (built === source) {
      // The watermark is read first: it only ever holds revisions this database had committed before.
      const revision = await currentRevision(deps.db);
      if (watermark !== null && Number(watermark) > revision) {
        deps.logger.error(
          { watermark: Number(watermark), revision, prefix: deps.redisPrefix },
          'the read model in Redis is ahead of its database (restored from an older copy?): ' +
            'discarding it, moving the revision past it and rebuilding',
        );
        return rebuild('database behind the read model', true);
      }
      // Restored and then written past the model's revision again: its revisions now name other changes.
      if (!(await anchorHeld(deps.db, anchor))) {
        deps.logger.error(
          { anchor, revision, prefix: deps.redisPrefix },
          'the read model in Redis reflects an event this database does not hold ' +
            '(restored from an older copy and written again since?): ' +
            'discarding it, moving the revision past it and rebuilding',
        );
        return rebuild('database restored behind the read model', true);
      }
      // A model built before a shared section existed: add the sections (exactly, at their revision) without
      // a rebuild.
      if (
        sections.length > 0 &&
        (await deps.redis.exists(...sections.map((f) => keys.global(f.name)))) < sections.length
      )
        await writeGlobals(deps, sections);
      return;
    }
    if (building !== null) return; // a rebuild is in progress (its lease expires if its worker died)
    if (built !== null) {
      deps.logger.error(
        { readModelOf: built, database: source, prefix: deps.redisPrefix },
        'the read model in Redis mirrors another database: discarding it and rebuilding from this one ' +
          '(if two hubs share this Redis, give each its own OMNIHUB_REDIS_PREFIX)',
      );
      return rebuild('another database', true);
    }
    deps.logger.warn(
      { prefix: deps.redisPrefix },
      'no complete read model in Redis (first start, or Redis lost it): rebuilding from PostgreSQL; ' +
        'reads go to PostgreSQL meanwhile',
    );
    return rebuild('missing', false);
  };
  const tick = () => {
    running = running.then(check).catch((e: unknown) => {
      if (e instanceof ReadModelRebuildInterrupted)
        deps.logger.warn({ reason: e.message }, 'read model rebuild interrupted; trying again');
      else deps.logger.warn({ err: e }, 'read model check failed');
    });
  };
  const timer = setInterval(tick, opts.everyMs ?? 1000);
  timer.unref();
  tick();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
