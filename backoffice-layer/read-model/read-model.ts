import {
  createRedis,
  DomainError,
  readOnReplica,
  type Logger,
  type ReadReplica,
  type Redis,
} from '../../shared/index.js';
import type { Database } from '../tables.js';
import type { LocationState } from '../events/event-types.js';
import type { ReadModelChange } from './consumer.js';
import { SkuCache } from './sku-cache.js';
import { replicaMirrors } from './source.js';
import {
  loadGlobals,
  loadLocations,
  loadSections,
  loadSnapshotFromDatabase,
  readModelKeys,
  type SharedSection,
  type SkuView,
} from './store.js';
import { WatermarkSync } from './watermark-sync.js';

/** What a reader gets: SKU views (null = unknown SKU) and locations, exactly as of `revision`. */
export interface Snapshot {
  revision: number;
  /**
   * Where it came from: this node's memory/Redis (the read model), or read through to PostgreSQL — the
   * primary (`database`) or a streaming replica that had replayed the revision asked for (`replica`).
   */
  source: 'read-model' | 'database' | 'replica';
  skus: Map<string, SkuView | null>;
  locations: LocationState[];
  /** The shared sections this read model was given (by name), as of the same revision. */
  globals: Map<string, unknown>;
}

export interface ReadModel {
  /**
   * A snapshot of these SKUs at a revision ≥ `minRevision`. Served from memory and Redis when the read model
   * has reached the revision, after waiting briefly for it, else read through to PostgreSQL. Never older than
   * asked, never an error because Redis is behind, flushed or down.
   */
  getSnapshot(skus: readonly string[], opts?: { minRevision?: number }): Promise<Snapshot>;
  /**
   * The revision the read model has fully reached (every event at or below it is reflected), or null when
   * unknown.
   */
  watermark(): number | null;
  /**
   * Calls `listener` for every change notice (revision and SKUs), for live subscriptions. Returns an
   * unsubscribe.
   */
  onChange(listener: (change: ReadModelChange) => void): () => void;
  close(): Promise<void>;
}

export interface ReadModelOptions {
  /** How long a reader waits for the read model to reach a revision before reading PostgreSQL. */
  waitMs?: number;
  /** SKUs kept in process memory (default 50,000). */
  cacheSize?: number;
  /** Estimated bytes of SKUs kept in process memory (default 64 MiB; see `estimatedBytes`). */
  cacheBytes?: number;
  /** Shared sections (other layers' data every answer may need) to include in every snapshot. */
  sections?: readonly SharedSection[];
}

/**
 * The backoffice read model as an API node sees it: an in-process cache over the Redis sections, invalidated
 * by the change notices every consumer publishes, with PostgreSQL behind it. A snapshot is exact: its
 * revision is a watermark every used section has reached, so equal revisions give equal content on every
 * node. It serves the Redis model only while that model is fully built from its own database (the built
 * marker names this database's identity; checked with every fetch from Redis) and, when first trusted,
 * neither ahead of that database's revision nor reflecting an event it does not hold (a restored older copy):
 * anything else is read through PostgreSQL until the worker has rebuilt it.
 * @example
 * const rm = await createReadModel(deps);
 * const snap = await rm.getSnapshot(['COAT-M'], { minRevision: 42 });
 */
export async function createReadModel(deps: ReadModelDeps, opts: ReadModelOptions = {}): Promise<ReadModel> {
  const model = new CachedReadModel(deps, opts);
  await model.start();
  return model;
}

/**
 * What the read model reads: PostgreSQL (and a streaming replica of it, when there is one), Redis (and its
 * URL, for the subscriber it opens), and a logger.
 */
export interface ReadModelDeps {
  db: Database;
  replica?: ReadReplica | undefined;
  redis: Redis;
  redisUrl: string;
  redisPrefix: string;
  logger: Logger;
}

/** The read model of `createReadModel`: the SKU cache and the watermark, kept current by one subscriber. */
class CachedReadModel implements ReadModel {
  private readonly keys: ReturnType<typeof readModelKeys>;
  private readonly sections: readonly SharedSection[];
  private readonly waitMs: number;
  private readonly cache: SkuCache;
  private readonly mark: WatermarkSync;
  private readonly listeners = new Set<(c: ReadModelChange) => void>();
  private readonly sub: Redis;

  constructor(
    private readonly deps: ReadModelDeps,
    opts: ReadModelOptions,
  ) {
    this.keys = readModelKeys(deps.redisPrefix);
    this.sections = opts.sections ?? [];
    this.waitMs = opts.waitMs ?? 250;
    const { db, redis } = deps;
    this.cache = new SkuCache({
      db,
      redis,
      keys: this.keys,
      sections: this.sections,
      cacheSize: opts.cacheSize ?? 50_000,
      cacheBytes: opts.cacheBytes ?? 64 * 1024 * 1024,
    });
    this.mark = new WatermarkSync({ db, redis, keys: this.keys, onLost: () => this.cache.drop() });
    this.sub = createRedis(deps.redisUrl, { lazyConnect: true, connectionName: 'omnihub:read-model' });
    this.sub.on('message', (channel: string, message: string) => this.received(channel, message));
    // A subscriber that was disconnected may have missed notices: forget everything cached and re-read the
    // watermark.
    this.sub.on('ready', () => {
      this.cache.missedNotices();
      void this.mark.refresh().catch(() => undefined);
    });
  }

  /**
   * Subscribes to the change notices and reads the watermark; without Redis, every read goes to PostgreSQL.
   */
  async start(): Promise<void> {
    await this.sub.connect().catch(() => undefined);
    await this.sub
      .subscribe(this.keys.changes, this.mark.channel)
      .catch((e: unknown) =>
        this.deps.logger.warn({ err: e }, 'read model: no change notices; reading through'),
      );
    await this.mark.refresh().catch(() => undefined);
  }

  private received(channel: string, message: string): void {
    if (channel === this.mark.channel) return this.mark.markerArrived(message);
    let change: ReadModelChange;
    try {
      change = JSON.parse(message) as ReadModelChange;
    } catch {
      return;
    }
    if (change.lost) this.mark.lost(); // read PostgreSQL until the rebuild's reset notice
    this.cache.noticed(change);
    if (change.watermark || change.reset) this.mark.reached(change.revision);
    for (const l of this.listeners) l(change);
    this.mark.wake();
  }

  async getSnapshot(skus: readonly string[], o: { minRevision?: number } = {}): Promise<Snapshot> {
    const minRevision = o.minRevision ?? 0;
    const deadline = Date.now() + this.waitMs;
    try {
      if (this.mark.value === null) await this.mark.refresh();
      for (let attempt = 0; this.mark.value !== null && attempt < 6; attempt++) {
        const loaded = await this.cache.load(skus);
        if (loaded === 'not-built') this.mark.lost();
        if (loaded === 'absent' || loaded === 'not-built') break;
        if (loaded === 'retry' || !this.cache.holds(skus)) continue;
        const { newest, ...snapshot } = this.cache.snapshot(skus);
        const required = Math.max(minRevision, newest);
        const at = this.mark.value;
        if (at >= required) return { revision: at, source: 'read-model', ...snapshot };
        if (Date.now() >= deadline) break;
        await this.mark.waitFor(required, deadline);
      }
    } catch (e) {
      this.deps.logger.debug({ err: e }, 'read model unavailable; reading PostgreSQL');
    }
    // A replica answers only at or past the read model's watermark too: never older than this node answered.
    return snapshotFromDatabase(this.deps.db, skus, {
      minRevision,
      sections: this.sections,
      replica: this.deps.replica,
      replicaAtLeast: this.mark.value ?? 0,
    });
  }

  watermark(): number | null {
    return this.mark.value;
  }

  onChange(listener: (change: ReadModelChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.mark.wake();
    this.sub.disconnect();
  }
}

/**
 * Reads through to PostgreSQL: one consistent snapshot of these SKUs, the locations and the shared sections,
 * at the database's latest revision — what a read model answers when it cannot, and what a caller without a
 * read model reads. With `replica`, the replica answers instead when its snapshot has replayed
 * max(`minRevision`, `replicaAtLeast`) — at its own revision, which may be below the primary's latest — and
 * the primary otherwise (the replica behind, down, or not a copy of `db`); either way the same revision gives
 * the same snapshot.
 * @throws BAD_USER_INPUT when `minRevision` is ahead of the hub (details `minRevision`, `revision`).
 */
export async function snapshotFromDatabase(
  db: Database,
  skus: readonly string[],
  o: {
    minRevision: number;
    sections: readonly SharedSection[];
    replica?: ReadReplica | undefined;
    replicaAtLeast?: number;
  },
): Promise<Snapshot> {
  if (o.replica) {
    const atLeast = Math.max(o.minRevision, o.replicaAtLeast ?? 0);
    const read = await readOnReplica(
      o.replica,
      db,
      atLeast,
      async (tx, revision) => {
        const [views, locations, globals] = await Promise.all([
          loadSections(tx, skus),
          loadLocations(tx),
          loadGlobals(tx, o.sections),
        ]);
        return { revision, skus: views, locations, globals };
      },
      replicaMirrors,
    );
    if (read) return { ...read, source: 'replica' };
  }
  const s = await loadSnapshotFromDatabase(db, skus, o.sections);
  if (s.revision < o.minRevision)
    throw new DomainError(
      'BAD_USER_INPUT',
      `minRevision ${o.minRevision} is ahead of the hub (latest revision ${s.revision})`,
      { minRevision: o.minRevision, revision: s.revision },
    );
  return {
    revision: s.revision,
    source: 'database',
    skus: s.views,
    locations: s.locations,
    globals: s.globals,
  };
}
