import { Worker, type Job } from 'bullmq';
import { sql } from 'kysely';
import { createRedis, runWrite, type Redis } from '../../shared/index.js';
import type { Executor } from '../tables.js';
import type { BackofficeDeps } from '../backoffice-deps.js';
import type { SharedSection } from '../read-model/store.js';
import { bullPrefix, QUEUE_NAMES } from './queues.js';

/** Queue of delayed jobs that fire when a price or price list window opens or closes. */
export const PRICE_SCHEDULE_QUEUE = QUEUE_NAMES.priceSchedule;

/** Payload of the `price.schedule-switched` event: the instant, and what switched at it. */
export interface PriceScheduleSwitch {
  at: string;
  priceListIds: string[];
  skus: string[];
}

/**
 * The next instant strictly after `after` at which any price list or price window starts or ends, or null.
 * Answers from four index range scans, not a table scan.
 */
export async function nextPriceBoundary(db: Executor, after: Date): Promise<Date | null> {
  const r = await sql<{ at: Date | null }>`
    SELECT least(
      (SELECT min(valid_from) FROM price_lists WHERE valid_from > ${after}),
      (SELECT min(valid_to) FROM price_lists WHERE valid_to > ${after}),
      (SELECT min(valid_from) FROM prices WHERE valid_from > ${after}),
      (SELECT min(valid_to) FROM prices WHERE valid_to > ${after})
    ) AS at`.execute(db);
  return r.rows[0]?.at ?? null;
}

/**
 * Commits the switch at `at` as its own revision (event `price.schedule-switched`), so every cache and every
 * channel moves to the new price together, and an answer's revision tells which side of the switch it is on.
 * Idempotent per instant: the job may run twice, the switch commits once.
 */
export async function commitPriceSwitch(
  deps: Pick<BackofficeDeps, 'db' | 'clock'>,
  at: Date,
): Promise<{ revision: number; switched: PriceScheduleSwitch; replayed: boolean }> {
  const atIso = at.toISOString();
  const { result, revision, replayed } = await runWrite(
    deps,
    async (w) => {
      const lists = await w.tx
        .selectFrom('priceLists')
        .select('id')
        .where((eb) => eb.or([eb('validFrom', '=', at), eb('validTo', '=', at)]))
        .orderBy('id')
        .execute();
      const prices = await w.tx
        .selectFrom('prices')
        .select('sku')
        .distinct()
        .where((eb) => eb.or([eb('validFrom', '=', at), eb('validTo', '=', at)]))
        .orderBy('sku')
        .limit(10_000)
        .execute();
      const switched: PriceScheduleSwitch = {
        at: atIso,
        priceListIds: lists.map((l) => l.id),
        skus: prices.map((p) => p.sku),
      };
      w.atRevision(async (tx, revision) => {
        await tx
          .insertInto('scheduleSwitches')
          .values({ at, revision, createdAt: w.now })
          .onConflict((oc) => oc.column('at').doNothing())
          .execute();
      });
      w.emit({
        type: 'price.schedule-switched',
        aggregateType: 'price-schedule',
        aggregateId: atIso,
        payload: { ...switched },
      });
      return switched;
    },
    { idempotency: { scope: 'price-switch', key: atIso, request: { at: atIso } } },
  );
  return { revision, switched: result, replayed };
}

/**
 * Another layer's scheduled instants (e.g. promotion windows): the next one strictly after `after`, or null.
 */
export type BoundarySource = (db: Executor, after: Date) => Promise<Date | null>;

/** The next instant at which a price window or any other source's window opens or closes. */
export async function nextScheduleBoundary(
  db: Executor,
  after: Date,
  sources: readonly BoundarySource[] = [],
): Promise<Date | null> {
  const all = await Promise.all([nextPriceBoundary(db, after), ...sources.map((s) => s(db, after))]);
  const times = all.filter((d): d is Date => d !== null).map((d) => d.getTime());
  return times.length ? new Date(Math.min(...times)) : null;
}

/** The instant of the latest scheduled switch committed, or null when none ever was. */
export async function lastScheduleSwitch(db: Executor): Promise<Date | null> {
  const r = await db
    .selectFrom('scheduleSwitches')
    .select((eb) => eb.fn.max('at').as('at'))
    .executeTakeFirst();
  return r?.at ? new Date(r.at) : null;
}

/**
 * Commits every switch that is due (boundary ≤ now) and not yet committed, after `since` and after the latest
 * switch committed. The worker calls it on each job and at start; tests call it with a controllable clock.
 */
export async function runDuePriceSwitches(
  deps: Pick<BackofficeDeps, 'db' | 'clock'>,
  since: Date,
  sources: readonly BoundarySource[] = [],
): Promise<PriceScheduleSwitch[]> {
  const done: PriceScheduleSwitch[] = [];
  const last = await lastScheduleSwitch(deps.db);
  let cursor = last && last > since ? last : since;
  for (;;) {
    const next = await nextScheduleBoundary(deps.db, cursor, sources);
    if (!next || next > deps.clock.now()) return done;
    const r = await commitPriceSwitch(deps, next);
    if (!r.replayed) done.push(r.switched);
    cursor = next;
  }
}

export interface PriceScheduler {
  /** Looks up the next boundary and (re)schedules the delayed job for it. Call after any price change. */
  reschedule(): Promise<Date | null>;
  stop(): Promise<void>;
}

/**
 * Keeps one delayed job per upcoming boundary (job id = the instant, so rescheduling never duplicates). When
 * it fires it commits the due switches and schedules the next boundary.
 */
export async function startPriceScheduler(
  deps: BackofficeDeps,
  opts: { lookbackMs?: number; sources?: readonly BoundarySource[] } = {},
): Promise<PriceScheduler> {
  const sources = opts.sources ?? [];
  const prefix = bullPrefix(deps.redisPrefix);
  const queue = deps.queues.priceSchedule;
  const reschedule = async (): Promise<Date | null> => {
    // From the latest switch, not from now: a window edge written in the past but after it is due at once.
    const next = await nextScheduleBoundary(
      deps.db,
      (await lastScheduleSwitch(deps.db)) ?? deps.clock.now(),
      sources,
    );
    if (next) {
      await queue.add(
        'switch',
        { at: next.toISOString() },
        {
          jobId: `switch-${next.getTime()}`,
          delay: Math.max(0, next.getTime() - deps.clock.now().getTime()),
        },
      );
    }
    return next;
  };
  const connection: Redis = createRedis(deps.redisUrl);
  const worker = new Worker(
    PRICE_SCHEDULE_QUEUE,
    async (job: Job<{ at: string }>) => {
      const at = new Date(job.data.at);
      if (at > deps.clock.now()) {
        // Fired early (clock skew between Redis and this node): try again at the instant.
        await queue.add('switch', job.data, {
          jobId: `switch-${at.getTime()}-retry-${Date.now()}`,
          delay: at.getTime() - deps.clock.now().getTime(),
        });
        return;
      }
      await runDuePriceSwitches(deps, new Date(at.getTime() - 1), sources);
      await reschedule();
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on('error', (e) => deps.logger.warn({ err: e }, 'price scheduler worker error'));
  // The first worker on a database commits a switch at its start: from then on every answer is evaluated
  // between the latest switch and the next edge (see effectiveInstant), so the first edge too switches at one
  // revision.
  const startSchedule = async () => {
    if ((await lastScheduleSwitch(deps.db)) === null) await commitPriceSwitch(deps, deps.clock.now());
  };
  await startSchedule().catch((e: unknown) =>
    deps.logger.warn({ err: e }, 'could not start the switch schedule'),
  );
  // Catch up on switches missed while no worker ran (e.g. the hub was down at midnight).
  await runDuePriceSwitches(
    deps,
    new Date(deps.clock.now().getTime() - (opts.lookbackMs ?? 7 * 86_400_000)),
    sources,
  ).catch((e: unknown) => deps.logger.warn({ err: e }, 'price switch catch-up failed'));
  await reschedule().catch((e: unknown) =>
    deps.logger.warn({ err: e }, 'could not schedule the next price switch'),
  );
  return {
    reschedule,
    stop: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}

/** The name of the read model's shared section that holds the schedule state (ScheduleState). */
export const SCHEDULE_SECTION = 'backoffice.schedule';

/**
 * Where the switch schedule stands at a revision: the latest switch committed and the first window edge after
 * it (ISO 8601, UTC; null: none). Between the two, no window opens or closes, so every answer evaluated at an
 * instant in [switchedAt, nextAt) is the same answer.
 */
export interface ScheduleState {
  switchedAt: string | null;
  nextAt: string | null;
}

/** The schedule state as of the executor's snapshot. */
export async function loadScheduleState(
  db: Executor,
  sources: readonly BoundarySource[] = [],
): Promise<ScheduleState> {
  const switchedAt = await lastScheduleSwitch(db);
  if (!switchedAt) return { switchedAt: null, nextAt: null };
  const next = await nextScheduleBoundary(db, switchedAt, sources);
  return { switchedAt: switchedAt.toISOString(), nextAt: next?.toISOString() ?? null };
}

/**
 * The schedule state as a shared section of the read model: reloaded after every switch and every change that
 * may move a window edge (prices, price lists, imports, and `eventTypes` of the other layers' sources),
 * labelled with that revision and part of every snapshot. Worker and API nodes must be given the same
 * sources.
 */
export function scheduleSection(
  sources: readonly BoundarySource[] = [],
  eventTypes: readonly string[] = [],
): SharedSection {
  return {
    name: SCHEDULE_SECTION,
    types: [
      'price.schedule-switched',
      'price.changed',
      'price-list.changed',
      'catalogue.bulk-changed',
      ...eventTypes,
    ],
    load: (db) => loadScheduleState(db, sources),
  };
}

/**
 * The instant an answer at a snapshot is evaluated at: the clock's `now`, but never before the snapshot's
 * latest switch nor at or after its next window edge — a window opens for readers when its switch revision
 * commits, not when a node's clock passes it. So an answer is a function of its revision and the question:
 * two answers at one revision never differ because one was computed a millisecond after an edge. Without the
 * section (no worker has started the schedule yet), `now`.
 * @example effectiveInstant(snapshot.globals, clock.now())
 */
export function effectiveInstant(globals: ReadonlyMap<string, unknown> | undefined, now: Date): Date {
  const state = globals?.get(SCHEDULE_SECTION) as ScheduleState | undefined;
  let t = now.getTime();
  if (state?.nextAt) t = Math.min(t, Date.parse(state.nextAt) - 1);
  if (state?.switchedAt) t = Math.max(t, Date.parse(state.switchedAt));
  return t === now.getTime() ? now : new Date(t);
}
