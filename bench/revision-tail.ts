/**
 * S1 — the limit of one PostgreSQL primary: every write takes the next revision in one serialised section
 * (the revision statement travels with COMMIT, under a transaction-scoped lock held until the commit is
 * durable), so independent writes — stock counts of distinct SKUs, no row shared — commit one after another.
 * Measured against, in the same run: the disk's serial durable-commit rate (one connection), and the group
 * commit rate of independent one-row inserts at the same concurrency (what the disk allows when commits
 * need not be ordered).
 * @example npx tsx bench/revision-tail.ts [seconds]
 */
import { pathToFileURL } from 'node:url';
import { setStockCount, upsertLocation, upsertProduct } from '../backoffice-layer/index.js';
import { closedLoop, createBenchDatabase, percentile, printTable } from './support.js';

export interface RevisionTailResult {
  fsyncPerSecond: number;
  rows: Array<{ callers: number; groupPerSecond: number; writesPerSecond: number; p50: number; p99: number }>;
  table: string;
}

export async function benchRevisionTail(
  opts: { seconds?: number; callers?: readonly number[] } = {},
): Promise<RevisionTailResult> {
  const seconds = opts.seconds ?? 5;
  const callers = opts.callers ?? [16, 64];
  const most = Math.max(...callers);
  const bench = await createBenchDatabase('revision_tail', { poolSize: most + 2 });
  const { deps } = bench;
  try {
    await upsertLocation(deps, 'wh', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    for (let i = 0; i < most; i++)
      await upsertProduct(deps, `TAIL-${i}`, {
        name: `Item ${i}`,
        category: 'bench',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
    await deps.pool.query('CREATE TABLE bench_commit (id bigserial PRIMARY KEY, payload text NOT NULL)');
    const insert = async () => {
      await deps.pool.query('INSERT INTO bench_commit (payload) VALUES ($1)', ['x']);
    };
    const fsync = await closedLoop(1, seconds * 1000, insert);
    const rows: RevisionTailResult['rows'] = [];
    for (const n of callers) {
      const group = await closedLoop(n, seconds * 1000, insert);
      // Each caller counts its own SKU: no row is shared, only the revision order.
      const writes = await closedLoop(n, seconds * 1000, async (loop, i) => {
        await setStockCount(deps, `TAIL-${loop}`, 'wh', { onHand: 100 + (i % 50) });
      });
      rows.push({
        callers: n,
        groupPerSecond: group.perSecond,
        writesPerSecond: writes.perSecond,
        p50: percentile(writes.latencies, 50),
        p99: percentile(writes.latencies, 99),
      });
    }
    const table = printTable(
      `S1 — revisioned writes of distinct SKUs on one primary (${seconds} s per run)`,
      ['measure', 'per second', 'p50 ms', 'p99 ms', 'vs serial fsync', 'vs group commit'],
      [
        ['baseline: serial durable commits (1 connection)', fsync.perSecond, '', '', '1.00', ''],
        ...rows.flatMap((r) => [
          [
            `baseline: independent inserts, ${r.callers} callers (group commit)`,
            r.groupPerSecond,
            '',
            '',
            (r.groupPerSecond / fsync.perSecond).toFixed(2),
            '1.00',
          ],
          [
            `stock counts of ${r.callers} distinct SKUs, ${r.callers} callers`,
            r.writesPerSecond,
            r.p50,
            r.p99,
            (r.writesPerSecond / fsync.perSecond).toFixed(2),
            (r.writesPerSecond / r.groupPerSecond).toFixed(2),
          ],
        ]),
      ],
    );
    return { fsyncPerSecond: fsync.perSecond, rows, table };
  } finally {
    await bench.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchRevisionTail({ seconds: Number(process.argv[2] ?? 5) }).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
