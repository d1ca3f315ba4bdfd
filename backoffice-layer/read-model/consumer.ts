import type { Deps, EventEnvelope, Redis } from '../../shared/index.js';
import type { BackofficeEventPayloads } from '../events/event-types.js';
import { advanceWatermark, type BatchContext, type EventConsumer } from '../events/event-worker.js';
import { CommitVisibility, PropagationRecorder } from './commit-visibility.js';
import { sourceIdentity } from './source.js';
import {
  execPipeline,
  globalWrites,
  inSnapshot,
  loadSections,
  loadGlobals,
  queueSectionWrites,
  raiseAndAnnounceWatermark,
  readModelKeys,
  viewWrites,
  type SectionTarget,
  type SectionWrite,
  type SharedSection,
} from './store.js';

export const READ_MODEL_CONSUMER = 'read-model';

/** A change notice on `<prefix>:rm:changes`: drop these SKUs (or everything) from in-process caches. */
export interface ReadModelChange {
  revision: number;
  skus?: string[];
  locations?: boolean;
  /** The whole read model was rebuilt: drop every cached entry. */
  reset?: boolean;
  /** Only a watermark move: every event at or below `revision` is now reflected. */
  watermark?: boolean;
  /**
   * The model in Redis is no longer complete or not this database's (lost, or another database's being
   * discarded): drop everything and read PostgreSQL until a `reset` notice says it was rebuilt.
   */
  lost?: boolean;
  /** Shared sections that changed (drop them from memory). */
  globals?: string[];
}

function payload<K extends keyof BackofficeEventPayloads>(
  e: EventEnvelope,
  _type: K,
): BackofficeEventPayloads[K] {
  return e.payload as unknown as BackofficeEventPayloads[K];
}

/**
 * Keeps the Redis read model in step with the outbox. State events (product, location, stock) carry the new
 * state and are written as they are; events that change derived data (prices, price lists, bulk imports)
 * reload the affected SKUs from PostgreSQL, labelled with the exact revision of that read. Every write is
 * revision-guarded, so repeats and reordering are harmless. After writing, it tells every API node which SKUs
 * to drop from memory. Writes land only while the model belongs to this consumer's database (see
 * GUARDED_WRITE): after a loss the rebuild covers them.
 *
 * A batch is written as it starts, alongside the transaction that records it applied (`applyFirst`: the
 * writes are idempotent), and the watermark is raised and announced in the same Redis round trip as the
 * writes, before that transaction commits: at the revision reached counting that batch and the one before
 * it still committing (BatchContext.reached), which Redis then holds in full — never ahead of it. A
 * transaction that fails changes nothing Redis says: the events come again and are written again
 * idempotently. A watermark that could not cover the newest event applied (a gap: an earlier event failed
 * or is applied elsewhere; the model being rebuilt) is sent again every 500 ms from PostgreSQL's record until
 * it does. Each
 * revision's commit → visible time is observed once the watermark covers it (with `deps.metrics`), and the
 * samples are kept in Redis every 200 ms (hub-samples.ts).
 */
export function readModelConsumer(
  deps: Pick<Deps, 'db' | 'redis' | 'redisPrefix' | 'clock' | 'metrics'>,
  sections: readonly SharedSection[] = [],
): EventConsumer {
  const keys = readModelKeys(deps.redisPrefix);
  // Measured with or without a metrics registry: the hub's health (GET /admin/v1/kpis) shows the samples.
  const visibility = new CommitVisibility(deps.metrics?.commitToVisible, deps.clock);
  const recorder = new PropagationRecorder(deps.redis, deps.redisPrefix);
  const target = async (): Promise<SectionTarget> => ({ keys, source: await sourceIdentity(deps.db) });
  /** The highest watermark Redis answered this process; the newest revision this process applied. */
  let announced = -1;
  let newest = 0;
  let resend: NodeJS.Timeout | null = null;
  let resending = false;
  /** Retries a watermark that stayed behind the newest event applied, every 500 ms until it caught up. */
  const resendUntilCaughtUp = (): void => {
    resend ??= setInterval(() => {
      if (resending) return;
      if (announced >= newest) {
        clearInterval(resend!);
        resend = null;
        return;
      }
      resending = true;
      void (async () => {
        const reached = await advanceWatermark(deps.db, READ_MODEL_CONSUMER, deps.clock.now());
        const watermark = await raiseAndAnnounceWatermark(deps.redis, await target(), reached);
        // -1 (not this database's model, or being rebuilt): tried again until the model is built and the
        // watermark covers what was applied meanwhile (a rebuild sets it to its snapshot's revision only).
        noteWatermark([], watermark);
      })()
        .catch(() => undefined)
        .finally(() => {
          resending = false;
        });
    }, 500);
    resend.unref();
  };
  /** Redis stored `watermark` after `events` were applied: observe what became visible. */
  const noteWatermark = (events: readonly EventEnvelope[], watermark: number): void => {
    recorder.add(visibility.applied(events, watermark));
    announced = Math.max(announced, watermark);
    if (announced < newest) resendUntilCaughtUp();
  };
  const anchorOf = (events: readonly EventEnvelope[]): string => {
    const top = events.reduce<EventEnvelope | null>((a, e) => (a && a.revision >= e.revision ? a : e), null);
    return top ? `${top.revision}:${top.id}` : '';
  };
  const applyFirst = async (events: readonly EventEnvelope[], batch?: BatchContext): Promise<void> => {
    const writes: SectionWrite[] = [];
    const skus = new Set<string>();
    const reload = new Set<string>();
    const priceLists = new Set<string>();
    let locations = false;
    let revision = 0;
    const globals = sections.filter((f) => events.some((e) => f.types.includes(e.type)));
    for (const event of events) {
      revision = Math.max(revision, event.revision);
      switch (event.type) {
        case 'product.changed': {
          const p = payload(event, 'product.changed');
          writes.push({ key: keys.product(p.product.sku), rev: event.revision, value: p.product });
          skus.add(p.product.sku);
          break;
        }
        case 'location.changed': {
          const p = payload(event, 'location.changed');
          writes.push({ key: keys.locations, field: p.location.id, rev: event.revision, value: p.location });
          locations = true;
          break;
        }
        case 'stock.changed': {
          const p = payload(event, 'stock.changed');
          for (const l of p.levels) {
            writes.push({ key: keys.stock(l.sku), field: l.locationId, rev: event.revision, value: l });
            skus.add(l.sku);
          }
          break;
        }
        case 'price.changed':
          reload.add(payload(event, 'price.changed').sku);
          break;
        case 'catalogue.bulk-changed':
          for (const s of payload(event, 'catalogue.bulk-changed').skus) reload.add(s);
          break;
        case 'price-list.changed':
          priceLists.add(payload(event, 'price-list.changed').priceList.id);
          break;
        default:
          break;
      }
    }
    if (reload.size > 0 || priceLists.size > 0 || globals.length > 0) {
      // One REPEATABLE READ snapshot for the reloads and the revision they are labelled with, so the two
      // agree exactly (in a READ COMMITTED transaction a commit could slip in between the statements).
      const list = [...reload];
      await inSnapshot(deps.db, async (snap, rev) => {
        if (priceLists.size > 0)
          for (const r of await snap
            .selectFrom('prices')
            .select('sku')
            .distinct()
            .where('priceListId', 'in', [...priceLists])
            .execute())
            if (!reload.has(r.sku)) {
              reload.add(r.sku);
              list.push(r.sku);
            }
        writes.push(...globalWrites(keys, await loadGlobals(snap, globals), rev));
        for (let i = 0; i < list.length; i += 1000) {
          const views = await loadSections(snap, list.slice(i, i + 1000));
          for (const v of views.values()) if (v) writes.push(...viewWrites(keys, v, rev));
        }
      });
      for (const s of list) skus.add(s);
    }
    newest = Math.max(newest, revision);
    if (!batch && writes.length === 0 && skus.size === 0 && !locations) return;
    const watermark = await writeFactsAndNotify(
      deps.redis,
      await target(),
      writes,
      { revision, skus: [...skus], locations, globals: globals.map((f) => f.name) },
      batch && { revision: await batch.reached(), anchor: anchorOf(events) },
    );
    if (watermark !== null) noteWatermark(events, watermark);
  };
  let advancing: NodeJS.Timeout | null = null;
  return {
    name: READ_MODEL_CONSUMER,
    apply: (event) => applyFirst([event]),
    applyFirst,
    async afterCommit(events, reached) {
      const top = events.reduce((m, e) => Math.max(m, e.revision), 0);
      newest = Math.max(newest, top);
      if (announced >= top) {
        // Announced before the commit already: only PostgreSQL's record of the watermark (where the next
        // batches' reached() starts scanning, and what re-delivery reads) moves, within 200 ms and at most
        // every 200 ms — a trailing timer, so the last batch of a burst is recorded too.
        advancing ??= setTimeout(() => {
          advancing = null;
          void advanceWatermark(deps.db, READ_MODEL_CONSUMER, deps.clock.now()).catch(() => undefined);
        }, 200);
        advancing.unref();
        return;
      }
      // Applied before and delivered again, or applied without a batch: announce from PostgreSQL's record.
      noteWatermark(
        events,
        await raiseAndAnnounceWatermark(deps.redis, await target(), await reached(), anchorOf(events)),
      );
    },
  };
}

/**
 * Writes the sections and then publishes the notices, in one round trip (a pipeline runs in order); with
 * `watermark`, raises and announces it in a second one once every write succeeded, and returns the watermark
 * stored (-1: not this database's model), else null.
 * @throws the first failed write's error (nothing raised then).
 */
async function writeFactsAndNotify(
  redis: Redis,
  target: SectionTarget,
  writes: SectionWrite[],
  change: ReadModelChange,
  watermark?: { revision: number; anchor: string },
): Promise<number | null> {
  const { keys } = target;
  const pipe = redis.pipeline();
  queueSectionWrites(pipe, target, writes);
  const skus = change.skus ?? [];
  if (change.locations)
    pipe.publish(
      keys.changes,
      JSON.stringify({ revision: change.revision, locations: true } satisfies ReadModelChange),
    );
  if (change.globals?.length)
    pipe.publish(
      keys.changes,
      JSON.stringify({ revision: change.revision, globals: change.globals } satisfies ReadModelChange),
    );
  for (let i = 0; i < skus.length; i += 1000) {
    pipe.publish(
      keys.changes,
      JSON.stringify({ revision: change.revision, skus: skus.slice(i, i + 1000) } satisfies ReadModelChange),
    );
  }
  // The watermark goes up only once every write of the pipeline succeeded: a pipeline is not atomic, and a
  // raise queued behind a failed write (WRONGTYPE, OOM, a script stopped midway) would still run and cover
  // sections Redis never stored. One more round trip, after the writes.
  await execPipeline(pipe);
  return watermark ? raiseAndAnnounceWatermark(redis, target, watermark.revision, watermark.anchor) : null;
}

/**
 * The revision the Redis read model has fully reached (its watermark), or null when it holds none or is not
 * built from this database (lost, being rebuilt, another database's): nothing is served from it then.
 */
export async function readModelWatermark(
  deps: Pick<Deps, 'db' | 'redis' | 'redisPrefix'>,
): Promise<number | null> {
  const keys = readModelKeys(deps.redisPrefix);
  const [[watermark, built], source] = await Promise.all([
    deps.redis.mget(keys.watermark, keys.built),
    sourceIdentity(deps.db),
  ]);
  return watermark === null || built !== source ? null : Number(watermark);
}
