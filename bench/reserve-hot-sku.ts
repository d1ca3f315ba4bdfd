/**
 * P5 — reservations per second on one hot SKU, zero oversell, durable commits, at 16 and at 64 callers;
 * compared in the same run with the disk's fsync rate, measured as serial durable commits (one connection, a
 * one-row INSERT per transaction, `synchronous_commit = on`): every reservation of one hot row must wait for
 * the previous one's commit, so that is its ceiling unless commits are shared. The baseline and the
 * reservations run by turns (one second each, `seconds` rounds), so a drifting load on the machine weighs on
 * both alike. Group-commit throughput at the same concurrency is shown for reference.
 *
 * Each concurrency is measured twice: `reserveStock` called in this process (the backoffice layer, as the
 * channel API and checkout call it: the verdict), and the GraphQL `reserveStock` mutation over HTTP against
 * an API node process, as a channel client's back end calls it (one client, keep-alive; reported, its cost
 * per request is the API's). After each: oversold units (the level's `reserved` against on hand and against
 * the live reservations' units, must be 0), and a burst of twice the units on a SKU of its own (granted must
 * be exactly the units).
 * @example npx tsx bench/reserve-hot-sku.ts [seconds] [--no-api]
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { reserveStock, setStockCount } from '../backoffice-layer/index.js';
import { createChannelClient } from '../channel-layer/index.js';
import { runWrite } from '../shared/index.js';
import {
  closedLoop,
  createBenchDatabase,
  hubEnv,
  omnihubArgs,
  percentile,
  postGraphql,
  printTable,
  startChild,
  type BenchDatabase,
} from './support.js';

/** One closed-loop run's totals. */
type Run = Awaited<ReturnType<typeof closedLoop>>;

/** The figures of one concurrency. */
export interface ReserveRun {
  callers: number;
  /** Serial durable commits per second, measured by turns with the reservations. */
  fsyncCommitsPerSecond: number;
  /** One-row commits per second at the same concurrency (at most 16 connections), for reference. */
  groupCommitsPerSecond: number;
  reservationsPerSecond: number;
  /** reservationsPerSecond / fsyncCommitsPerSecond. */
  ratio: number;
  p50: number;
  p99: number;
  /** Reservations per transaction, on average. */
  perCommit: number;
  /** Units reserved beyond on hand, plus any difference between `reserved` and the live reservations. */
  oversold: number;
  contendedGranted: number;
  contendedUnits: number;
  /** The same through the API node (absent with `api: false`); `ratio` against this run's fsync rate. */
  api?: { reservationsPerSecond: number; ratio: number; p50: number; p99: number; fsyncPerSecond: number };
}

export interface ReserveBenchResult {
  runs: ReserveRun[];
  table: string;
}

const HOT = 'HOT-1';
/** Connections of the group-commit reference (at most): 64 would crowd a server shared with other work. */
const REFERENCE_CONNECTIONS = 16;
const LOCATION = 'wh';

/** Adds the products and the warehouse (one revision). */
async function seed(bench: BenchDatabase, skus: readonly string[]): Promise<void> {
  await runWrite(bench.deps, async (w) => {
    w.atRevision(async (tx, revision) => {
      for (const sku of skus)
        await tx
          .insertInto('products')
          .values({
            sku,
            name: sku === HOT ? 'Hot item' : 'Contended item',
            category: 'bench',
            attributes: '{}',
            vatRateBp: 2100,
            status: 'ACTIVE',
            revision,
            createdAt: w.now,
            updatedAt: w.now,
          })
          .execute();
      await tx
        .insertInto('locations')
        .values({
          id: LOCATION,
          name: 'Warehouse',
          kind: 'WAREHOUSE',
          fulfilsOnline: true,
          revision,
          createdAt: w.now,
          updatedAt: w.now,
        })
        .execute();
    });
    w.emit({
      type: 'catalogue.bulk-changed',
      aggregateType: 'catalogue',
      aggregateId: 'bench',
      payload: { kind: 'products', skus: [...skus] },
    });
  });
}

/** Units reserved beyond on hand, plus any difference between `reserved` and the live reservations' units. */
async function oversoldUnits(bench: BenchDatabase, sku: string): Promise<number> {
  const { db } = bench.deps;
  const level = await db
    .selectFrom('stockLevels')
    .select(['onHand', 'reserved'])
    .where('sku', '=', sku)
    .executeTakeFirstOrThrow();
  const live = await db
    .selectFrom('reservationLines')
    .innerJoin('reservations', 'reservations.id', 'reservationLines.reservationId')
    .select((eb) => eb.fn.sum<number>('quantity').as('units'))
    .where('status', '=', 'ACTIVE')
    .where('sku', '=', sku)
    .executeTakeFirstOrThrow();
  return Math.max(0, level.reserved - level.onHand) + Math.abs(level.reserved - Number(live.units ?? 0));
}

/**
 * Closed loops by turns, `rounds` × `roundMs` each; each loop with its own concurrency. A worker is told its
 * loop and a number that is new on every call (across rounds: an idempotency key made of it is never reused).
 */
async function byTurns(
  rounds: number,
  roundMs: number,
  loops: ReadonlyArray<{ concurrency: number; worker: (loop: number, i: number) => Promise<void> }>,
): Promise<Run[]> {
  const totals = loops.map(() => ({ ops: 0, ms: 0, latencies: [] as number[] }));
  let calls = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [i, loop] of loops.entries()) {
      const t0 = performance.now();
      const run = await closedLoop(loop.concurrency, roundMs, (l) => loop.worker(l, calls++));
      const total = totals[i]!;
      total.ms += performance.now() - t0;
      total.ops += run.ops;
      for (const l of run.latencies) total.latencies.push(l);
    }
  }
  return totals.map((t) => ({ ops: t.ops, perSecond: (t.ops * 1000) / t.ms, latencies: t.latencies }));
}

/** A GraphQL `reserveStock` caller over HTTP (keep-alive) with a channel client's key. */
function graphqlReserver(port: number, key: string, maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const query =
    'mutation($k: String!) { reserveStock(input: { lines: [{ sku: "HOT-1", quantity: 1, ' +
    'locationId: "wh" }], ttlSeconds: 3600 }, idempotencyKey: $k) { id revision } }';
  return {
    reserve: async (idempotencyKey: string) => {
      const body = JSON.stringify({ query, variables: { k: idempotencyKey } });
      const { status, text } = await postGraphql(agent, port, key, body);
      if (status !== 200 || text.includes('"errors"'))
        throw new Error(`reserveStock over HTTP: ${status} ${text.slice(0, 300)}`);
    },
    close: () => agent.destroy(),
  };
}

export async function benchReserveHotSku(
  opts: { seconds?: number; callers?: readonly number[]; api?: boolean } = {},
): Promise<ReserveBenchResult> {
  const seconds = Math.max(1, Math.round(opts.seconds ?? 5));
  const callers = opts.callers ?? [16, 64];
  const withApi = opts.api ?? true;
  const most = Math.max(...callers);
  // Reservations of one SKU hold one connection at a time (their lane's transaction); replays and a failed
  // group's retries may take more. The group-commit reference uses up to REFERENCE_CONNECTIONS: the server's
  // connections are shared with every other process on it.
  const bench = await createBenchDatabase('reserve', { poolSize: REFERENCE_CONNECTIONS + 4 });
  const { deps } = bench;
  const procs: ChildProcess[] = [];
  try {
    await seed(bench, [HOT, ...callers.map((c) => `HOT-2-${c}`)]);
    await setStockCount(deps, HOT, LOCATION, { onHand: 50_000_000 });
    await deps.pool.query('CREATE TABLE bench_commit (id bigserial PRIMARY KEY, payload text NOT NULL)');
    const commit = async () => {
      await deps.pool.query('INSERT INTO bench_commit (payload) VALUES ($1)', ['x']);
    };
    let api: ReturnType<typeof graphqlReserver> | undefined;
    if (withApi) {
      const hub = await startChild(omnihubArgs('api'), hubEnv(bench, { PORT: '0' }));
      procs.push(hub.child);
      const { key } = await createChannelClient(
        deps.db,
        { name: 'bench', channel: 'WEB', scopes: ['rate:999999999', 'held-units:999999999'] },
        new Date(),
      );
      api = graphqlReserver(hub.port, key, most);
      await closedLoop(4, 500, (loop, i) => api!.reserve(`warm-${loop}-${i}`));
    }
    await closedLoop(4, 500, async (loop, i) => {
      await reserveStock(
        deps,
        { lines: [{ sku: HOT, locationId: LOCATION, quantity: 1 }] },
        `w-${loop}-${i}`,
      );
    });

    const runs: ReserveRun[] = [];
    const rows: Array<Array<string | number>> = [];
    for (const c of callers) {
      const revisionBefore = Number(
        (await deps.pool.query('SELECT max(revision) AS r FROM outbox')).rows[0].r,
      );
      const [fsync, reserve] = (await byTurns(seconds, 1000, [
        { concurrency: 1, worker: commit },
        {
          concurrency: c,
          worker: async (loop, i) => {
            await reserveStock(
              deps,
              { lines: [{ sku: HOT, locationId: LOCATION, quantity: 1 }], ttlSeconds: 3600, channel: 'WEB' },
              `in-${c}-${loop}-${i}`,
            );
          },
        },
      ])) as [Run, Run];
      const commits = Number(
        (
          await deps.pool.query('SELECT count(DISTINCT revision) AS n FROM outbox WHERE revision > $1', [
            revisionBefore,
          ])
        ).rows[0].n,
      );
      const group = await closedLoop(Math.min(c, REFERENCE_CONNECTIONS), 1000, commit);
      let viaApi: ReserveRun['api'];
      if (api) {
        const reserver = api;
        const [apiFsync, apiRun] = (await byTurns(seconds, 1000, [
          { concurrency: 1, worker: commit },
          { concurrency: c, worker: (loop, i) => reserver.reserve(`api-${c}-${loop}-${i}`) },
        ])) as [Run, Run];
        viaApi = {
          reservationsPerSecond: apiRun.perSecond,
          ratio: apiRun.perSecond / apiFsync.perSecond,
          p50: percentile(apiRun.latencies, 50),
          p99: percentile(apiRun.latencies, 99),
          fsyncPerSecond: apiFsync.perSecond,
        };
      }
      const oversold = await oversoldUnits(bench, HOT);

      // Zero oversell under contention: `units` units, demand of twice that in one burst.
      const units = 5_000;
      const contended = `HOT-2-${c}`;
      await setStockCount(deps, contended, LOCATION, { onHand: units });
      let granted = 0;
      let attempt = 0;
      await Promise.all(
        Array.from({ length: c }, async (_, loop) => {
          for (;;) {
            const n = attempt++;
            if (n >= units * 2) return;
            try {
              await reserveStock(
                deps,
                { lines: [{ sku: contended, locationId: LOCATION, quantity: 1 }], ttlSeconds: 3600 },
                `contended-${c}-${loop}-${n}`,
              );
              granted++;
            } catch (e) {
              if ((e as { code?: string }).code !== 'INSUFFICIENT_STOCK') throw e;
            }
          }
        }),
      );
      const contendedOversold = await oversoldUnits(bench, contended);

      const run: ReserveRun = {
        callers: c,
        fsyncCommitsPerSecond: fsync.perSecond,
        groupCommitsPerSecond: group.perSecond,
        reservationsPerSecond: reserve.perSecond,
        ratio: reserve.perSecond / fsync.perSecond,
        p50: percentile(reserve.latencies, 50),
        p99: percentile(reserve.latencies, 99),
        perCommit: commits > 0 ? reserve.ops / commits : Number.NaN,
        oversold: oversold + contendedOversold,
        contendedGranted: granted,
        contendedUnits: units,
        ...(viaApi ? { api: viaApi } : {}),
      };
      runs.push(run);
      rows.push(
        [
          `${c} callers — baseline: serial durable commits (fsync rate)`,
          fsync.perSecond,
          percentile(fsync.latencies, 50),
          percentile(fsync.latencies, 99),
          '1.00',
        ],
        [
          `${c} callers — reference: ${Math.min(c, REFERENCE_CONNECTIONS)} concurrent one-row commits`,
          group.perSecond,
          percentile(group.latencies, 50),
          percentile(group.latencies, 99),
          (group.perSecond / fsync.perSecond).toFixed(2),
        ],
        [
          `${c} callers — reserveStock (1 unit, hot row; ${run.perCommit.toFixed(1)} per commit)`,
          reserve.perSecond,
          run.p50,
          run.p99,
          run.ratio.toFixed(2),
        ],
        ...(viaApi
          ? [
              [
                `${c} callers — GraphQL reserveStock over HTTP, one API node ` +
                  `(vs its own fsync turns: ${Math.round(viaApi.fsyncPerSecond)}/s)`,
                viaApi.reservationsPerSecond,
                viaApi.p50,
                viaApi.p99,
                viaApi.ratio.toFixed(2),
              ],
            ]
          : []),
        [
          `${c} callers — oversold units; contended: ${units * 2} attempts on ${units} units`,
          `${run.oversold}; granted ${granted}`,
          '',
          '',
          run.oversold === 0 && granted === units ? 'exact' : 'WRONG',
        ],
      );
    }
    api?.close();
    const table = printTable(
      `P5 — reservations on one hot SKU (${seconds} rounds of 1 s, by turns with the baseline)`,
      ['measure', 'per second', 'p50 ms', 'p99 ms', 'ratio'],
      rows,
    );
    return { runs, table };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await bench.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5);
  benchReserveHotSku({ seconds, api: !process.argv.includes('--no-api') }).then(
    (r) => {
      for (const run of r.runs)
        process.stdout.write(
          `${run.callers} callers: oversold ${run.oversold}; ratio ${run.ratio.toFixed(2)} → target ≥ 0.70 ` +
            `${run.ratio >= 0.7 ? 'met' : 'NOT met'}\n`,
        );
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
