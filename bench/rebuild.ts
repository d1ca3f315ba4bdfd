/**
 * P8 — the read model rebuilt from PostgreSQL for a big catalogue (1,000,000 SKUs × 20 locations: 20M stock
 * levels; `--quick`: 100,000 × 20), by an `omnihub worker` process as deployed (it rebuilds a missing model
 * at start), while an `omnihub api` process keeps answering `offer` queries for random SKUs (they read
 * PostgreSQL until the model is built). Reports the rebuild's seconds and rows/s, the worker's peak RSS, the
 * read model's size in Redis, and the offers answered meanwhile (count, errors, p50/p99).
 * @example npx tsx bench/rebuild.ts [--quick]
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { createReadModel, loadSnapshotFromDatabase, readModelKeys } from '../backoffice-layer/index.js';
import { createChannelClient } from '../channel-layer/index.js';
import { canonicalJson } from '../shared/index.js';
import { catalogueShape, catalogueSku, createCatalogueDatabase } from './catalogue.js';
import {
  closedLoop,
  hubEnv,
  omnihubArgs,
  percentile,
  postGraphql,
  printTable,
  rssOf,
  startChild,
  startWorker,
  type RebuildLogged,
} from './support.js';

export interface RebuildBenchResult {
  skus: number;
  levels: number;
  seconds: number;
  rowsPerSecond: number;
  /** The worker's resident memory when ready, and its peak (VmHWM) by the end of the rebuild, in MB. */
  readyRssMb: number;
  peakRssMb: number;
  /** Redis `used_memory` grown by the rebuild (MB; other users of the server move it too), and per SKU. */
  redisMb: number;
  bytesPerSku: number;
  /** Offers answered while the rebuild ran. */
  offers: number;
  offerErrors: number;
  offerP50: number;
  offerP99: number;
  /**
   * After the rebuild: offers of random SKUs for 10 s (8 clients) from the built model — per second, errors,
   * p99 — and the API node's peak RSS (VmHWM) over the whole run, in MB.
   */
  afterPerSecond: number;
  afterErrors: number;
  afterP99: number;
  apiPeakRssMb: number;
  /** SKUs compared between Redis and PostgreSQL after the rebuild, and how many differed. */
  checked: number;
  differing: number;
  templateMb: number;
  loadAverage: string;
  table: string;
}

/** Redis's `used_memory`, in bytes. */
async function usedMemory(redis: { info(section: string): Promise<string> }): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
}

export async function benchRebuild(opts: { quick?: boolean } = {}): Promise<RebuildBenchResult> {
  const shape = catalogueShape(opts.quick ?? false);
  const levels = shape.skus * shape.locations;
  const bench = await createCatalogueDatabase('rebuild', shape, { poolSize: 4 });
  const { deps } = bench;
  const keys = readModelKeys(deps.redisPrefix);
  const children: Array<{ kill(): boolean }> = [];
  try {
    const { key } = await createChannelClient(
      deps.db,
      { name: 'bench', channel: 'WEB', scopes: ['rate:999999'] },
      new Date(),
    );
    const api = await startChild(omnihubArgs('api'), hubEnv(bench, { PORT: '0' }));
    children.push(api.child);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const offer = async (sku: string) => {
      const body = JSON.stringify({
        query:
          `{ offer(sku: "${sku}") { sku price { final { amount } } ` +
          'availability { online { available } } revision } }',
      });
      const { status, text } = await postGraphql(agent, api.port, key, body);
      if (status !== 200 || !text.includes(`"sku":"${sku}"`) || text.includes('"errors"'))
        throw new Error(`status ${status}: ${text.slice(0, 200)}`);
    };
    await offer(catalogueSku(0)); // the API answers before the rebuild starts

    const usedBefore = await usedMemory(deps.redis);
    // Offers for random SKUs, 4 at a time, from now until the model is built.
    let serving = true;
    const latencies: number[] = [];
    const errors: string[] = [];
    const readers = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (serving) {
          const t0 = performance.now();
          try {
            await offer(catalogueSku(Math.floor(Math.random() * shape.skus)));
            latencies.push(performance.now() - t0);
          } catch (e) {
            errors.push((e as Error).message);
          }
        }
      }),
    );

    const worker = await startWorker(bench);
    children.push(worker.child);
    const pid = worker.child.pid!;
    const ready = await rssOf(pid);
    let logged: RebuildLogged | undefined;
    void worker.built.then(
      (l) => (logged = l),
      () => undefined, // the loop below sees the exit
    );
    const t0 = performance.now();
    let lastPrint = 0;
    let peakSeen = 0;
    while (!logged) {
      await new Promise((r) => setTimeout(r, 250));
      const { rss } = await rssOf(pid);
      peakSeen = Math.max(peakSeen, rss);
      if (performance.now() - lastPrint > 5000) {
        lastPrint = performance.now();
        process.stderr.write(
          `  [rebuild] ${((performance.now() - t0) / 1000).toFixed(0)} s: worker RSS ${rss} MB, ` +
            `${latencies.length} offers answered, ${errors.length} errors\n`,
        );
      }
      if (performance.now() - t0 > 600_000) throw new Error('the rebuild did not finish in 10 minutes');
      if (worker.child.exitCode !== null) throw new Error('the worker exited during the rebuild');
    }
    serving = false;
    await readers;
    const errorsDuring = errors.length;
    const { peak } = await rssOf(pid);
    const usedAfter = await usedMemory(deps.redis);
    if ((await deps.redis.get(keys.built)) === null)
      throw new Error('the rebuild did not mark the model built');

    // A sample of SKUs, as readers get them from Redis, against PostgreSQL.
    const sample = Array.from({ length: 1000 }, () => catalogueSku(Math.floor(Math.random() * shape.skus)));
    const unique = [...new Set(sample)];
    const rm = await createReadModel(deps);
    const served = await rm.getSnapshot(unique);
    await rm.close();
    if (served.source !== 'read-model') throw new Error(`the sample was read from ${served.source}`);
    const expected = (await loadSnapshotFromDatabase(deps.db, unique)).views;
    const differing = unique.filter(
      (sku) => canonicalJson(served.skus.get(sku) ?? null) !== canonicalJson(expected.get(sku) ?? null),
    ).length;

    // Served from the built model now: random SKUs, so the node's bounded caches keep turning over.
    const after = await closedLoop(8, 10_000, () =>
      offer(catalogueSku(Math.floor(Math.random() * shape.skus))).catch((e: unknown) => {
        errors.push((e as Error).message);
      }),
    );
    const afterErrors = errors.length - errorsDuring;
    const apiPeak = await rssOf(api.child.pid!);

    const seconds = logged.ms / 1000;
    const redisMb = Math.round((usedAfter - usedBefore) / 1e6);
    const result = {
      skus: logged.skus,
      levels,
      seconds,
      rowsPerSecond: levels / seconds,
      readyRssMb: ready.rss,
      peakRssMb: Math.max(peak, peakSeen),
      redisMb,
      bytesPerSku: Math.round((usedAfter - usedBefore) / shape.skus),
      offers: latencies.length,
      offerErrors: errorsDuring,
      afterPerSecond: after.perSecond,
      afterErrors,
      afterP99: percentile(after.latencies, 99),
      apiPeakRssMb: apiPeak.peak,
      offerP50: percentile(latencies, 50),
      offerP99: percentile(latencies, 99),
      checked: unique.length,
      differing,
      templateMb: bench.templateMb,
      loadAverage: (await import('node:os'))
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' '),
    };
    if (errors.length > 0) process.stderr.write(`  [rebuild] first offer error: ${errors[0]}\n`);
    const table = printTable(
      `P8 — read model rebuilt from PostgreSQL: ${shape.skus.toLocaleString('en-US')} SKUs × ` +
        `${shape.locations} locations (${(levels / 1e6).toFixed(0)}M stock levels), ` +
        `load ${result.loadAverage}`,
      ['measure', 'value'],
      [
        ['rebuild (claim → built)', `${seconds.toFixed(1)} s (target ≤ 60 s for 1M × 20)`],
        ['stock levels per second', Math.round(result.rowsPerSecond)],
        ['worker RSS ready / peak', `${result.readyRssMb} / ${result.peakRssMb} MB`],
        [
          'Redis used_memory grown',
          `${redisMb.toLocaleString('en-US')} MB (${result.bytesPerSku} B per SKU)`,
        ],
        [
          'offers during the rebuild',
          `${result.offers} answered, ${result.offerErrors} errors, ` +
            `p50 ${result.offerP50.toFixed(1)} ms, p99 ${result.offerP99.toFixed(1)} ms`,
        ],
        [
          'offers after it, from the model (8 clients, 10 s)',
          `${Math.round(result.afterPerSecond)}/s, ${afterErrors} errors, ` +
            `p99 ${result.afterP99.toFixed(1)} ms; API node RSS peak ${apiPeak.peak} MB`,
        ],
        ['sampled SKUs equal to PostgreSQL', `${unique.length - differing} of ${unique.length}`],
        ['template database on disk', `${bench.templateMb.toLocaleString('en-US')} MB (kept)`],
      ],
    );
    return { ...result, table };
  } finally {
    for (const c of children) c.kill();
    await bench.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchRebuild({ quick: process.argv.includes('--quick') });
  process.exit(0);
}
