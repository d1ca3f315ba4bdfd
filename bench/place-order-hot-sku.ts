/**
 * P5o — orders per second on one hot SKU, with sourcing and the delivery promise (issue 12, "Benchmarks:
 * order placement with sourcing: orders per second on one hot SKU against P5's baseline"). Each order names
 * no location: the hub sources it by the demo retailer's rules, reserves it, prices it, promises its delivery
 * and commits it (order, lines, fulfilment, promise, outbox) — two durable transactions per order. Compared
 * in
 * the same run with the disk's serial durable-commit rate (P5's baseline) and with `reserveStock` alone on
 * the
 * same row and callers.
 *
 * @example npx tsx bench/place-order-hot-sku.ts [seconds] [callers]
 */
import { pathToFileURL } from 'node:url';
import { listProducts, reserveStock, seedDemoRetailer, setStockCount } from '../backoffice-layer/index.js';
import { placeOrder, seedDemoJourney } from '../journey-layer/index.js';
import { closedLoop, createBenchDatabase, percentile, printTable } from './support.js';

/** What the placement benchmark measured: rates per second, latencies in ms, ratios to the fsync baseline. */
export interface PlaceOrderBenchResult {
  concurrency: number;
  fsyncCommitsPerSecond: number;
  reservationsPerSecond: number;
  ordersPerSecond: number;
  ratio: number;
  p50: number;
  p99: number;
  table: string;
}

/** Runs the benchmark for `seconds` per measure with `concurrency` callers (defaults 5 s, 16). */
export async function benchPlaceOrderHotSku(
  opts: { seconds?: number; concurrency?: number } = {},
): Promise<PlaceOrderBenchResult> {
  const seconds = opts.seconds ?? 5;
  const concurrency = opts.concurrency ?? 16;
  const bench = await createBenchDatabase('place', { poolSize: concurrency * 2 + 2 });
  const { deps } = bench;
  try {
    await seedDemoRetailer(deps);
    await seedDemoJourney(deps);
    const sku = (await listProducts(deps.db, { limit: 1 })).products[0]!.sku;
    await setStockCount(deps, sku, 'wh-tilburg', { onHand: 50_000_000 });

    await deps.pool.query('CREATE TABLE bench_commit (id bigserial PRIMARY KEY, payload text NOT NULL)');
    const fsync = await closedLoop(1, seconds * 1000, async () => {
      await deps.pool.query('INSERT INTO bench_commit (payload) VALUES ($1)', ['x']);
    });
    const reserve = await closedLoop(concurrency, seconds * 1000, async (loop, i) => {
      await reserveStock(
        deps,
        { lines: [{ sku, locationId: 'wh-tilburg', quantity: 1 }], ttlSeconds: 3600, channel: 'WEB' },
        `reserve-${loop}-${i}`,
      );
    });
    const place = await closedLoop(concurrency, seconds * 1000, async (loop, i) => {
      await placeOrder(
        deps,
        {
          lines: [{ sku, quantity: 1 }],
          fulfilment: { method: 'DELIVERY', countryCode: 'NL', postcode: '5038 AB' },
        },
        `order-${loop}-${i}`,
        { channel: 'WEB' },
      );
    });
    const ratio = place.perSecond / fsync.perSecond;
    const row = (what: string, r: typeof fsync) => [
      what,
      r.perSecond,
      percentile(r.latencies, 50),
      percentile(r.latencies, 99),
      (r.perSecond / fsync.perSecond).toFixed(2),
    ];
    const table = printTable(
      `P5o — orders with sourcing on one hot SKU (${concurrency} concurrent callers, ${seconds} s each)`,
      ['measure', 'per second', 'p50 ms', 'p99 ms', 'ratio'],
      [
        row('baseline: serial durable commits (fsync rate)', fsync),
        row('reference: reserveStock (1 unit, hot row)', reserve),
        row('placeOrder, sourced, promised (reserve + price + commit)', place),
      ],
    );
    return {
      concurrency,
      fsyncCommitsPerSecond: fsync.perSecond,
      reservationsPerSecond: reserve.perSecond,
      ordersPerSecond: place.perSecond,
      ratio,
      p50: percentile(place.latencies, 50),
      p99: percentile(place.latencies, 99),
      table,
    };
  } finally {
    await bench.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchPlaceOrderHotSku({
    seconds: Number(process.argv[2] ?? 5),
    concurrency: Number(process.argv[3] ?? 16),
  }).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
