/**
 * T1 — the customer's timeline. (a) recordInteraction per second at 16 concurrent callers, each for a
 * customer of its own, against the hot-SKU baseline measured in the same run (reserveStock of 1 unit on one
 * SKU at the same concurrency): both are durable writes with a revision and an outbox event, and both share
 * commits between the calls that arrive together (group commit), so the ratio shows what the timeline write
 * costs beside the hub's busiest write. (b) Reading a timeline of 10,000
 * interactions (among 1,000 other customers' 100,000): the first page of 50, and paging to the end.
 *
 * @example npx tsx bench/interactions.ts [seconds]
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { reserveStock, setStockCount, upsertLocation, upsertProduct } from '../backoffice-layer/index.js';
import { enrollCustomer, listTimeline, recordInteraction } from '../journey-layer/index.js';
import { closedLoop, createBenchDatabase, percentile, printTable } from './support.js';

/** What one run measured: rates per second, latencies in milliseconds, and the printed table. */
export interface InteractionsBenchResult {
  concurrency: number;
  interactionsPerSecond: number;
  reservationsPerSecond: number;
  /** recordInteraction per second ÷ reserveStock per second. */
  ratio: number;
  p50: number;
  p99: number;
  reserveP50: number;
  reserveP99: number;
  /** First page (50) of a 10,000-interaction timeline, ms. */
  firstPageP50: number;
  firstPageP99: number;
  /** One walk of all 200 pages of 50 to the end, ms; and per page. */
  walkP50: number;
  walkP99: number;
  pageP50: number;
  pageP99: number;
  table: string;
}

/**
 * Runs the timeline benchmark for `seconds` (default 5) at `concurrency` callers (default 16), in a
 * database of its own that is dropped afterwards.
 */
export async function benchInteractions(
  opts: { seconds?: number; concurrency?: number } = {},
): Promise<InteractionsBenchResult> {
  const seconds = opts.seconds ?? 5;
  const concurrency = opts.concurrency ?? 16;
  const bench = await createBenchDatabase('interactions', { poolSize: concurrency + 2 });
  const { deps } = bench;
  try {
    await upsertProduct(deps, 'HOT-1', {
      name: 'Hot item',
      category: 'bench',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await upsertLocation(deps, 'wh', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await setStockCount(deps, 'HOT-1', 'wh', { onHand: 50_000_000 });
    const her = (
      await enrollCustomer(
        deps,
        { displayName: 'Her', email: 'her@example.nl' },
        { channel: 'WEB', idempotencyKey: 'her' },
      )
    ).customer.id;

    // Baseline: the hot-SKU reservation, measured in this run.
    const reserve = await closedLoop(concurrency, seconds * 1000, async (loop, i) => {
      await reserveStock(
        deps,
        { lines: [{ sku: 'HOT-1', locationId: 'wh', quantity: 1 }], ttlSeconds: 3600, channel: 'WEB' },
        `bench-${loop}-${i}`,
      );
    });
    // Each caller reports for a customer of its own, a new one every 100 calls: the per-customer rate limit
    // (120 a minute) is not what is measured. Enough customers for three times the baseline's rate are
    // enrolled before the clock runs.
    const perLoop = Math.ceil((reserve.perSecond * seconds * 3) / concurrency / 100) + 1;
    const pool: string[] = [];
    for (let i = 0; i < perLoop * concurrency; i++)
      pool.push(
        (
          await enrollCustomer(
            deps,
            { displayName: `Caller ${i}`, email: `caller-${i}@example.nl` },
            { channel: 'WEB', idempotencyKey: `caller-${i}` },
          )
        ).customer.id,
      );
    const clientId = randomUUID();
    const record = await closedLoop(concurrency, seconds * 1000, async (loop, i) => {
      const customerId = pool[loop * perLoop + Math.floor(i / 100)];
      if (!customerId) throw new Error('more calls than the customers enrolled for them can take');
      await recordInteraction(
        deps,
        { customerId, kind: 'PRODUCT_VIEWED', sku: 'HOT-1' },
        {
          channel: 'WEB',
          clientId,
          locationId: null,
          actor: `client:${clientId}`,
          idempotencyKey: `view-${loop}-${i}`,
        },
      );
    });
    const interactionsPerSecond = record.perSecond;
    const latencies = record.latencies;

    // (b) A timeline of 10,000 interactions among 1,000 other customers' 100 each.
    await sql`WITH c AS (
        INSERT INTO customers (id, revision, created_at, updated_at)
        SELECT gen_random_uuid(), 0, now(), now() FROM generate_series(1, 1000) RETURNING id)
      INSERT INTO customer_interactions
        (id, customer_id, kind, channel, summary, actor, source, occurred_at, revision)
      SELECT gen_random_uuid(), c.id, 'POINTS', 'WEB', 'Earned 10 points', 'system',
        'bench:' || c.id || ':' || n,
        now() - n * interval '1 hour', n
      FROM c, generate_series(1, 100) AS n`.execute(deps.db);
    await sql`INSERT INTO customer_interactions
        (id, customer_id, kind, channel, sku, summary, actor, source, occurred_at, revision)
      SELECT gen_random_uuid(), ${her}::uuid, 'PRODUCT_VIEWED', 'WEB', 'HOT-1', 'Viewed HOT-1 (Hot item)',
        'system', 'bench:her:' || n, now() - n * interval '1 minute', n
      FROM generate_series(1, 10000) AS n`.execute(deps.db);
    await sql`ANALYZE customer_interactions`.execute(deps.db);
    const first: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await listTimeline(deps.db, her, { first: 50 });
      first.push(performance.now() - t0);
    }
    const walks: number[] = [];
    const pages: number[] = [];
    for (let w = 0; w < 10; w++) {
      const t0 = performance.now();
      let after: string | null = null;
      let n = 0;
      do {
        const p0 = performance.now();
        const page: Awaited<ReturnType<typeof listTimeline>> = await listTimeline(deps.db, her, {
          first: 50,
          after,
        });
        pages.push(performance.now() - p0);
        n += page.items.length;
        after = page.hasNextPage ? page.endCursor : null;
      } while (after);
      if (n !== 10_000) throw new Error(`paged ${n} interactions, not 10,000`);
      walks.push(performance.now() - t0);
    }

    const ratio = interactionsPerSecond / reserve.perSecond;
    const table = printTable(
      `T1 — the customer's timeline (${concurrency} concurrent callers, ${seconds} s each)`,
      ['measure', 'per second', 'p50 ms', 'p99 ms', 'ratio'],
      [
        [
          'baseline: reserveStock, 1 unit of one hot SKU',
          reserve.perSecond,
          percentile(reserve.latencies, 50),
          percentile(reserve.latencies, 99),
          '1.00',
        ],
        [
          'recordInteraction, a customer per caller',
          interactionsPerSecond,
          percentile(latencies, 50),
          percentile(latencies, 99),
          ratio.toFixed(2),
        ],
        ['timeline of 10,000: first page of 50', '', percentile(first, 50), percentile(first, 99), ''],
        [
          'timeline of 10,000: one page of 50 on the way',
          '',
          percentile(pages, 50),
          percentile(pages, 99),
          '',
        ],
        ['timeline of 10,000: all 200 pages of 50', '', percentile(walks, 50), percentile(walks, 99), ''],
      ],
    );
    return {
      concurrency,
      interactionsPerSecond,
      reservationsPerSecond: reserve.perSecond,
      ratio,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      reserveP50: percentile(reserve.latencies, 50),
      reserveP99: percentile(reserve.latencies, 99),
      firstPageP50: percentile(first, 50),
      firstPageP99: percentile(first, 99),
      walkP50: percentile(walks, 50),
      walkP99: percentile(walks, 99),
      pageP50: percentile(pages, 50),
      pageP99: percentile(pages, 99),
      table,
    };
  } finally {
    await bench.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv[2] ?? 5);
  benchInteractions({ seconds }).then(
    (r) => process.stdout.write(`\nrecordInteraction at ${r.ratio.toFixed(2)} × reserveStock on a hot SKU\n`),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
