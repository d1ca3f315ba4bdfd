/**
 * P5 — reservations per second on one hot SKU, zero oversell, durable commits; compared in the same run with
 * the disk's fsync rate, measured as serial durable commits (one connection, a one-row INSERT per
 * transaction, `synchronous_commit = on`): every reservation of one hot row must wait for the previous one's
 * commit, so that is its ceiling. Group-commit throughput at the same concurrency is shown for reference.
 *
 * @example npx tsx bench/reserve-hot-sku.ts [seconds]
 */
import { pathToFileURL } from 'node:url';
import { reserveStock, setStockCount } from '../backoffice-layer/index.js';
import { runWrite } from '../shared/index.js';
import { closedLoop, createBenchDatabase, percentile, printTable } from './support.js';

export interface ReserveBenchResult {
  concurrency: number;
  fsyncCommitsPerSecond: number;
  reservationsPerSecond: number;
  ratio: number;
  p50: number;
  p99: number;
  oversold: number;
  contendedGranted: number;
  contendedUnits: number;
  table: string;
}

export async function benchReserveHotSku(
  opts: { seconds?: number; concurrency?: number } = {},
): Promise<ReserveBenchResult> {
  const seconds = opts.seconds ?? 5;
  const concurrency = opts.concurrency ?? 16;
  const bench = await createBenchDatabase('reserve', { poolSize: concurrency + 2 });
  const { deps } = bench;
  try {
    await runWrite(deps, async (w) => {
      w.atRevision(async (tx, revision) => {
        await tx
          .insertInto('products')
          .values({
            sku: 'HOT-1',
            name: 'Hot item',
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
          .insertInto('products')
          .values({
            sku: 'HOT-2',
            name: 'Contended item',
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
            id: 'wh',
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
        payload: { kind: 'products', skus: ['HOT-1', 'HOT-2'] },
      });
    });
    await setStockCount(deps, 'HOT-1', 'wh', { onHand: 50_000_000 });

    // Baseline: the durable commit rate of this disk at the same concurrency.
    await deps.pool.query('CREATE TABLE bench_commit (id bigserial PRIMARY KEY, payload text NOT NULL)');
    const fsync = await closedLoop(1, seconds * 1000, async () => {
      await deps.pool.query('INSERT INTO bench_commit (payload) VALUES ($1)', ['x']);
    });
    const group = await closedLoop(concurrency, seconds * 1000, async () => {
      await deps.pool.query('INSERT INTO bench_commit (payload) VALUES ($1)', ['x']);
    });

    const reserve = await closedLoop(concurrency, seconds * 1000, async (loop, i) => {
      await reserveStock(
        deps,
        { lines: [{ sku: 'HOT-1', locationId: 'wh', quantity: 1 }], ttlSeconds: 3600, channel: 'WEB' },
        `bench-${loop}-${i}`,
      );
    });
    const level = await deps.db
      .selectFrom('stockLevels')
      .select(['onHand', 'reserved'])
      .where('sku', '=', 'HOT-1')
      .executeTakeFirstOrThrow();
    const live = await deps.db
      .selectFrom('reservationLines')
      .innerJoin('reservations', 'reservations.id', 'reservationLines.reservationId')
      .select((eb) => eb.fn.sum<number>('quantity').as('units'))
      .where('status', '=', 'ACTIVE')
      .where('sku', '=', 'HOT-1')
      .executeTakeFirstOrThrow();
    const oversold =
      Math.max(0, level.reserved - level.onHand) + Math.abs(level.reserved - Number(live.units ?? 0));

    // Zero oversell under contention: 5,000 units, demand of 2 × that in one burst.
    const units = 5_000;
    await setStockCount(deps, 'HOT-2', 'wh', { onHand: units });
    let granted = 0;
    let attempt = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, loop) => {
        for (;;) {
          const n = attempt++;
          if (n >= units * 2) return;
          try {
            await reserveStock(
              deps,
              { lines: [{ sku: 'HOT-2', locationId: 'wh', quantity: 1 }], ttlSeconds: 3600 },
              `contended-${loop}-${n}`,
            );
            granted++;
          } catch (e) {
            if ((e as { code?: string }).code !== 'INSUFFICIENT_STOCK') throw e;
          }
        }
      }),
    );

    const ratio = reserve.perSecond / fsync.perSecond;
    const table = printTable(
      `P5 — reservations on one hot SKU (${concurrency} concurrent callers, ${seconds} s each)`,
      ['measure', 'per second', 'p50 ms', 'p99 ms', 'ratio'],
      [
        [
          'baseline: serial durable commits (fsync rate)',
          fsync.perSecond,
          percentile(fsync.latencies, 50),
          percentile(fsync.latencies, 99),
          '1.00',
        ],
        [
          `reference: ${concurrency} concurrent one-row commits`,
          group.perSecond,
          percentile(group.latencies, 50),
          percentile(group.latencies, 99),
          (group.perSecond / fsync.perSecond).toFixed(2),
        ],
        [
          'reserveStock (1 unit, hot row, outbox, ledger)',
          reserve.perSecond,
          percentile(reserve.latencies, 50),
          percentile(reserve.latencies, 99),
          ratio.toFixed(2),
        ],
        [
          `contended: ${units * 2} attempts on ${units} units`,
          `granted ${granted}`,
          '',
          '',
          granted === units ? 'exact' : 'WRONG',
        ],
      ],
    );
    return {
      concurrency,
      fsyncCommitsPerSecond: fsync.perSecond,
      reservationsPerSecond: reserve.perSecond,
      ratio,
      p50: percentile(reserve.latencies, 50),
      p99: percentile(reserve.latencies, 99),
      oversold,
      contendedGranted: granted,
      contendedUnits: units,
      table,
    };
  } finally {
    await bench.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv[2] ?? 5);
  benchReserveHotSku({ seconds }).then(
    (r) => {
      process.stdout.write(
        `\noversold units: ${r.oversold}; target ratio ≥ 0.70 → ${r.ratio >= 0.7 ? 'met' : 'NOT met'}\n`,
      );
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
