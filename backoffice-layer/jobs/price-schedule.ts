import { Worker, type Job } from 'bullmq';
import { sql } from 'kysely';
import { createRedis, runWrite, type Executor, type Redis } from '../../shared/index.js';
import type { BackofficeDeps } from '../backoffice-deps.js';
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
export async function commitPriceSwitch(deps: Pick<BackofficeDeps, 'db' | 'clock'>, at: Date): Promise<{ revision: number; switched: PriceScheduleSwitch; replayed: boolean }> {
  const atIso = at.toISOString();
  const { result, revision, replayed } = await runWrite(deps, async (w) => {
    const lists = await w.tx.selectFrom('priceLists').select('id').where((eb) => eb.or([eb('validFrom', '=', at), eb('validTo', '=', at)])).orderBy('id').execute();
    const prices = await w.tx.selectFrom('prices').select('sku').distinct().where((eb) => eb.or([eb('validFrom', '=', at), eb('validTo', '=', at)])).orderBy('sku').limit(10_000).execute();
    const switched: PriceScheduleSwitch = { at: atIso, priceListIds: lists.map((l) => l.id), skus: prices.map((p) => p.sku) };
    w.emit({ type: 'price.schedule-switched', aggregateType: 'price-schedule', aggregateId: atIso, payload: { ...switched } });
    return switched;
  }, { idempotency: { scope: 'price-switch', key: atIso, request: { at: atIso } } });
  return { revision, switched: result, replayed };
}

/** Another layer's scheduled instants (e.g. promotion windows): the next one strictly after `after`, or null. */
export type BoundarySource = (db: Executor, after: Date) => Promise<Date | null>;

/** The next instant at which a price window or any other source's window opens or closes. */
export async function nextScheduleBoundary(db: Executor, after: Date, sources: readonly BoundarySource[] = []): Promise<Date | null> {
  const all = await Promise.all([nextPriceBoundary(db, after), ...sources.map((s) => s(db, after))]);
  const times = all.filter((d): d is Date => d !== null).map((d) => d.getTime());
  return times.length ? new Date(Math.min(...times)) : null;
}

/**
 * Commits every switch that is due (boundary ≤ now) and not yet committed. The worker calls it on each job and
 * at start; tests call it with a controllable clock.
 */
export async function runDuePriceSwitches(deps: Pick<BackofficeDeps, 'db' | 'clock'>, since: Date, sources: readonly BoundarySource[] = []): Promise<PriceScheduleSwitch[]> {
  const done: PriceScheduleSwitch[] = [];
  let cursor = since;
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
 * Keeps one delayed job per upcoming boundary (job id = the instant, so rescheduling never duplicates). When it
 * fires it commits the due switches and schedules the next boundary.
 */
export async function startPriceScheduler(deps: BackofficeDeps, opts: { lookbackMs?: number; sources?: readonly BoundarySource[] } = {}): Promise<PriceScheduler> {
  const sources = opts.sources ?? [];
  const prefix = bullPrefix(deps.redisPrefix);
  const queue = deps.queues.priceSchedule;
  const reschedule = async (): Promise<Date | null> => {
    const next = await nextScheduleBoundary(deps.db, deps.clock.now(), sources);
    if (next) {
      await queue.add('switch', { at: next.toISOString() }, { jobId: `switch-${next.getTime()}`, delay: Math.max(0, next.getTime() - deps.clock.now().getTime()) });
    }
    return next;
  };
  const connection: Redis = createRedis(deps.redisUrl);
  const worker = new Worker(PRICE_SCHEDULE_QUEUE, async (job: Job<{ at: string }>) => {
    const at = new Date(job.data.at);
    if (at > deps.clock.now()) {
      // Fired early (clock skew between Redis and this node): try again at the instant.
      await queue.add('switch', job.data, { jobId: `switch-${at.getTime()}-retry-${Date.now()}`, delay: at.getTime() - deps.clock.now().getTime() });
      return;
    }
    await runDuePriceSwitches(deps, new Date(at.getTime() - 1), sources);
    await reschedule();
  }, { connection, prefix, concurrency: 1 });
  worker.on('error', (e) => deps.logger.warn({ err: e }, 'price scheduler worker error'));
  // Catch up on switches missed while no worker ran (e.g. the hub was down at midnight).
  await runDuePriceSwitches(deps, new Date(deps.clock.now().getTime() - (opts.lookbackMs ?? 7 * 86_400_000)), sources).catch((e: unknown) => deps.logger.warn({ err: e }, 'price switch catch-up failed'));
  await reschedule().catch((e: unknown) => deps.logger.warn({ err: e }, 'could not schedule the next price switch'));
  return {
    reschedule,
    stop: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}
