/**
 * P7 — P1 and P2 on a big catalogue against the small one, in the same run:
 * - the small catalogue: the demo retailer and its journey data (as P1 measures), a few hundred SKUs;
 * - the big one: 1,000,000 SKUs × 20 locations (`--quick`: 100,000 × 20), a copy of the template database
 *   of bench/catalogue.ts, its read model rebuilt by an `omnihub worker` before anything is measured.
 * Each catalogue has its own database, Redis prefix, worker process and API node process (run as deployed:
 * `NODE_ENV=production`, and `NODE_OPTIONS=--max-old-space-size=256` as docker-compose.yml runs API nodes;
 * `BENCH_API_NODE_OPTIONS` overrides it, '' for none), and its own plain Express endpoint answering one
 * offer of that catalogue (P1's baseline).
 * Traffic spreads over the catalogue's SKUs, not one hot SKU: every request asks for a SKU drawn at random,
 * the same way on both catalogues, by two distributions measured one after the other, then a control:
 * - Zipf-like (s = 1): the k-th most popular SKU is asked in proportion to 1/k, the popularity ranks a fixed
 *   shuffle of the catalogue — a shop's traffic, a head of best sellers and a long tail (on 1M SKUs the top
 *   1 % get 68 % of the requests; on the demo's few hundred every SKU is asked often). The verdict rests
 *   on it;
 * - uniform: every SKU as likely — the worst case (a crawler, a feed checking every price), reported;
 * - computed: uniform, and every request's body made new by a variable the document does not use, so no
 *   answer is ever served from a node's answer cache on either catalogue: what is left of the difference is
 *   the catalogue's size alone (read model lookups, the node's bounded SKU cache), not the answer cache.
 * Per distribution: P1 — the four closed loops (plain small, hub small, plain big, hub big; 32 clients) by
 * turns, one second each, `seconds` rounds, after a warm-up that lasts until each node's answer cache has
 * turned over (or stopped missing); P2 — each node at 70 % of its own maximum, open loop, p50/p99. Big/small
 * ratios: P1 as the ratio of the two P1 ratios (each against its own plain endpoint), P2 as latency ratios;
 * target: within 1.2 × (P1 big ≥ small / 1.2; P2 big ≤ small × 1.2). Also: the API nodes' peak RSS (VmHWM),
 * and the share of answers served from the answer cache.
 * @example npx tsx bench/catalogue-offer.ts [--quick] [seconds]
 */
import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { readModelKeys, seedDemoRetailer } from '../backoffice-layer/index.js';
import { createChannelClient } from '../channel-layer/index.js';
import { seedDemoJourney } from '../journey-layer/index.js';
import { seededRandom } from '../shared/index.js';
import { catalogueShape, catalogueSku, createCatalogueDatabase } from './catalogue.js';
import { OFFER_SELECTION, paced, postOffer, startPlainEndpoint } from './graphql-offer.js';
import {
  closedLoop,
  createBenchDatabase,
  hubEnv,
  interleavedLoops,
  omnihubArgs,
  percentile,
  postGraphql,
  printTable,
  rssOf,
  startChild,
  startWorker,
  type BenchDatabase,
} from './support.js';

/** The target: P1 and P2 on the big catalogue within this factor of the small one. */
const WITHIN = 1.2;

/** How SKUs are drawn: Zipf-like with exponent 1 over a fixed shuffle, or uniformly. */
export type SkuDistribution = 'zipf' | 'uniform';

/** The traffic of a run: SKUs drawn by a distribution, or uniformly with every answer computed anew. */
export type OfferTraffic = SkuDistribution | 'computed';

/** How a traffic is named in tables. */
const TRAFFIC_LABEL: Record<OfferTraffic, string> = {
  zipf: 'Zipf-like (s = 1)',
  uniform: 'uniform',
  computed: 'uniform, every answer computed',
};

/** One catalogue's figures under one distribution. */
export interface CatalogueOfferFigures {
  /** P1: offers per second through the API node, its plain endpoint's rate, and their ratio. */
  perSecond: number;
  plainPerSecond: number;
  ratio: number;
  /** Share of P1's answers that came from the node's answer cache (0–1). */
  hitRate: number;
  /** P2: the rate asked (70 % of perSecond), and the latencies in ms from each request's due time. */
  p2Rate: number;
  p50: number;
  p99: number;
}

export interface CatalogueOfferResult {
  small: { skus: number; locations: number };
  big: { skus: number; locations: number; rebuildSeconds: number };
  runs: Array<{
    traffic: OfferTraffic;
    small: CatalogueOfferFigures;
    big: CatalogueOfferFigures;
    /** big.ratio / small.ratio (≥ 1/1.2 meets P7), and the P2 latency ratios big/small (≤ 1.2 meets). */
    p1BigToSmall: number;
    p50BigToSmall: number;
    p99BigToSmall: number;
  }>;
  /** Peak RSS (VmHWM) of the API nodes over the whole run, and of the big catalogue's worker, in MB. */
  apiPeakRssMb: { small: number; big: number };
  workerPeakRssMb: number;
  /** Whether a read model's watermark moved while measuring (it empties the node's answer cache). */
  watermarkMoved: boolean;
  nodeOptions: string;
  loadAverage: string;
  table: string;
}

/**
 * A sampler of SKU numbers in [0, n): uniform, or Zipf-like with exponent 1 — rank k (1-based) drawn with
 * probability (1/k) / H(n), by binary search in the cumulative weights — where the ranks name a fixed
 * pseudo-random shuffle of the catalogue (seeded: the same SKUs are popular in every run).
 */
export function skuSampler(n: number, distribution: SkuDistribution, seed = 7): () => number {
  const random = seededRandom(seed);
  if (distribution === 'uniform') return () => Math.floor(random() * n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const shuffle = seededRandom(seed + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cumulative[k] = sum += 1 / (k + 1);
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return order[lo]!;
  };
}

/** One catalogue under test: its database, worker and API node processes, plain endpoint, and its SKUs. */
interface Side {
  name: 'small' | 'big';
  bench: BenchDatabase;
  skus: number;
  skuAt: (i: number) => string;
  key: string;
  hubUrl: URL;
  hubPort: number;
  plainUrl: URL;
  api: ChildProcess;
  worker: ChildProcess;
}

/** Asks one side's node (counting answers from its answer cache) or its plain endpoint for drawn SKUs. */
interface Caller {
  side: Side;
  counts: { hits: number; misses: number };
  hub: () => Promise<void>;
  plain: () => Promise<void>;
}

/** The offer of one SKU as a shop's back end asks it: one document, the SKU in its variables. */
const OFFER_DOCUMENT = `query Offer($sku: ID!) { offer(sku: $sku) { ${OFFER_SELECTION} } }`;
const offerBody = (sku: string) => JSON.stringify({ query: OFFER_DOCUMENT, variables: { sku } });

export async function benchCatalogueOffer(
  opts: { quick?: boolean; seconds?: number; concurrency?: number } = {},
): Promise<CatalogueOfferResult> {
  const seconds = opts.seconds ?? (opts.quick ? 3 : 5);
  const concurrency = opts.concurrency ?? 32;
  const shape = catalogueShape(opts.quick ?? false);
  const nodeOptions = process.env.BENCH_API_NODE_OPTIONS ?? '--max-old-space-size=256';
  const children: ChildProcess[] = [];
  const benches: BenchDatabase[] = [];
  const log = (s: string) => process.stderr.write(`  [p7] ${s}\n`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 * concurrency });
  try {
    /** Starts the worker (which builds the read model) and waits for the model, printing progress. */
    const buildModel = async (bench: BenchDatabase, name: string) => {
      const worker = await startWorker(bench, `worker-${name}`);
      children.push(worker.child);
      let logged: { ms: number; skus: number } | undefined;
      let failed: unknown;
      void worker.built.then(
        (l) => (logged = l),
        (e: unknown) => (failed = e),
      );
      const t0 = performance.now();
      let lastPrint = t0;
      while (!logged) {
        if (failed) throw failed;
        await new Promise((r) => setTimeout(r, 250));
        if (performance.now() - lastPrint > 10_000) {
          lastPrint = performance.now();
          const { rss } = await rssOf(worker.child.pid!);
          log(`${name}: rebuilding, ${((lastPrint - t0) / 1000).toFixed(0)} s, worker RSS ${rss} MB`);
        }
        if (performance.now() - t0 > 900_000) throw new Error('the rebuild did not finish in 15 minutes');
      }
      log(`${name}: read model of ${logged.skus.toLocaleString('en-US')} SKUs built in ${logged.ms} ms`);
      return { worker: worker.child, ...logged };
    };
    /** The API node, a client key, a sample answer and the plain endpoint serving it, for a catalogue. */
    const serve = async (
      name: Side['name'],
      bench: BenchDatabase,
      worker: ChildProcess,
      skus: number,
      skuAt: (i: number) => string,
    ): Promise<Side> => {
      const { key } = await createChannelClient(
        bench.deps.db,
        { name: 'bench', channel: 'WEB', scopes: ['rate:999999'] },
        new Date(),
      );
      const api = await startChild(
        omnihubArgs('api', `api-${name}`),
        hubEnv(bench, { PORT: '0', NODE_OPTIONS: nodeOptions }),
      );
      children.push(api.child);
      // Every answer of a sample of SKUs is an offer of that SKU, without errors.
      const random = seededRandom(11);
      let sample = '';
      for (let i = 0; i < 200; i++) {
        const sku = skuAt(i === 0 ? 0 : Math.floor(random() * skus));
        const { status, text } = await postGraphql(agent, api.port, key, offerBody(sku));
        if (status !== 200 || text.includes('"errors"') || !text.includes(`"sku":"${sku}"`))
          throw new Error(`${name}: the hub did not answer the offer of ${sku}: ${text.slice(0, 300)}`);
        if (i === 0) sample = text;
      }
      const plain = await startPlainEndpoint(sample);
      children.push(plain.child);
      const hubUrl = new URL(`http://127.0.0.1:${api.port}/graphql`);
      return {
        name,
        bench,
        skus,
        skuAt,
        key,
        hubUrl,
        hubPort: api.port,
        plainUrl: new URL(plain.url),
        api: api.child,
        worker,
      };
    };

    // The small catalogue: the demo retailer and its journey data, as P1 measures it.
    const smallBench = await createBenchDatabase('p7small', { poolSize: 4 });
    benches.push(smallBench);
    await seedDemoRetailer(smallBench.deps);
    await seedDemoJourney(smallBench.deps);
    const smallSkus = (
      await smallBench.deps.db.selectFrom('products').select('sku').orderBy('sku').execute()
    ).map((r) => r.sku);
    const smallLocations = (await smallBench.deps.db.selectFrom('locations').select('id').execute()).length;
    const smallModel = await buildModel(smallBench, 'small');
    const small = await serve('small', smallBench, smallModel.worker, smallSkus.length, (i) => smallSkus[i]!);

    // The big catalogue: a copy of its template, its read model rebuilt by the worker before measuring.
    const bigBench = await createCatalogueDatabase('p7big', shape, { poolSize: 4 });
    benches.push(bigBench);
    const bigModel = await buildModel(bigBench, 'big');
    const big = await serve('big', bigBench, bigModel.worker, shape.skus, catalogueSku);
    const sides = [small, big] as const;

    const watermarks = () =>
      Promise.all(
        sides.map((s) => s.bench.deps.redis.get(readModelKeys(s.bench.deps.redisPrefix).watermark)),
      );
    const watermarksBefore = (await watermarks()).join(',');

    const headersOf = (side: Side) => ({
      'content-type': 'application/json',
      authorization: `Bearer ${side.key}`,
    });
    const runs: CatalogueOfferResult['runs'] = [];
    for (const traffic of ['zipf', 'uniform', 'computed'] as const) {
      /** A caller asking the side's node for SKUs drawn from the distribution, counting cache hits. */
      const [smallCaller, bigCaller] = sides.map((side) => {
        const draw = skuSampler(side.skus, traffic === 'zipf' ? 'zipf' : 'uniform');
        let asked = 0;
        const body =
          traffic === 'computed'
            ? () =>
                JSON.stringify({
                  query: OFFER_DOCUMENT,
                  variables: { sku: side.skuAt(draw()), asked: asked++ },
                })
            : () => offerBody(side.skuAt(draw()));
        const headers = headersOf(side);
        const counts = { hits: 0, misses: 0 };
        const hub = async () => {
          const { hit } = await postOffer(agent, side.hubUrl, headers, body());
          if (hit) counts.hits++;
          else counts.misses++;
        };
        const plain = async () => {
          await postOffer(agent, side.plainUrl, headers, body());
        };
        return { side, counts, hub, plain };
      }) as [Caller, Caller];
      const callers = [smallCaller, bigCaller];
      // Warm-up: until the answer cache has turned over (1.25 × its 20,000 entries missed) or no longer
      // misses, at least 2 s and at most 60 s, so P1 sees its steady state rather than an empty cache (2 s
      // when every answer is computed).
      for (const c of callers) {
        const t0 = performance.now();
        c.counts.misses = 0;
        for (let s = 0; s < 60; s++) {
          const before = c.counts.misses;
          await closedLoop(concurrency, 1000, c.hub);
          const done = traffic === 'computed' || c.counts.misses >= 25_000 || c.counts.misses === before;
          if (s >= 1 && done) break;
        }
        await closedLoop(concurrency, 500, c.plain);
        log(
          `${traffic} warm-up of ${c.side.name}: ${((performance.now() - t0) / 1000).toFixed(0)} s, ` +
            `${c.counts.misses.toLocaleString('en-US')} answers computed`,
        );
      }
      for (const c of callers) c.counts.hits = c.counts.misses = 0;
      // P1: by turns — plain small, hub small, plain big, hub big — one second each.
      const [plainSmall, hubSmall, plainBig, hubBig] = await interleavedLoops(concurrency, seconds, 1000, [
        smallCaller.plain,
        smallCaller.hub,
        bigCaller.plain,
        bigCaller.hub,
      ]);
      const hitRates = callers.map((c) => c.counts.hits / (c.counts.hits + c.counts.misses));
      // P2: each node at 70 % of its own maximum, open loop.
      const p2: Array<{ rate: number; p50: number; p99: number }> = [];
      for (const [i, c] of callers.entries()) {
        const rate = Math.max(1, Math.floor([hubSmall!, hubBig!][i]!.perSecond * 0.7));
        const latencies = await paced(rate, seconds, c.hub);
        p2.push({ rate, p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
      }
      const figures = (
        hub: { perSecond: number },
        plain: { perSecond: number },
        i: number,
      ): CatalogueOfferFigures => ({
        perSecond: hub.perSecond,
        plainPerSecond: plain.perSecond,
        ratio: hub.perSecond / plain.perSecond,
        hitRate: hitRates[i]!,
        p2Rate: p2[i]!.rate,
        p50: p2[i]!.p50,
        p99: p2[i]!.p99,
      });
      const s = figures(hubSmall!, plainSmall!, 0);
      const b = figures(hubBig!, plainBig!, 1);
      runs.push({
        traffic,
        small: s,
        big: b,
        p1BigToSmall: b.ratio / s.ratio,
        p50BigToSmall: b.p50 / s.p50,
        p99BigToSmall: b.p99 / s.p99,
      });
    }
    const watermarkMoved = (await watermarks()).join(',') !== watermarksBefore;
    const apiPeakRssMb = {
      small: (await rssOf(small.api.pid!)).peak,
      big: (await rssOf(big.api.pid!)).peak,
    };
    const workerPeakRssMb = (await rssOf(big.worker.pid!)).peak;
    const loadAverage = (await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');

    const verdict = (ok: boolean) => (ok ? 'met' : 'not met');
    const rows: Array<Array<string | number>> = [];
    for (const r of runs) {
      const label = TRAFFIC_LABEL[r.traffic];
      for (const [name, f] of [
        ['small', r.small],
        ['big', r.big],
      ] as const) {
        rows.push([
          `${label}, ${name}: P1 hub / plain`,
          `${Math.round(f.perSecond)} / ${Math.round(f.plainPerSecond)}/s = ${f.ratio.toFixed(2)} × ` +
            `(${(f.hitRate * 100).toFixed(0)} % from the answer cache)`,
        ]);
        rows.push([
          `${label}, ${name}: P2 at ${f.p2Rate}/s`,
          `p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms`,
        ]);
      }
      rows.push([
        `${label}: big / small`,
        `P1 ${r.p1BigToSmall.toFixed(2)} × (${verdict(r.p1BigToSmall >= 1 / WITHIN)}); ` +
          `P2 p50 ${r.p50BigToSmall.toFixed(2)} ×, p99 ${r.p99BigToSmall.toFixed(2)} × ` +
          `(${verdict(r.p50BigToSmall <= WITHIN && r.p99BigToSmall <= WITHIN)})`,
      ]);
    }
    rows.push([
      'API node RSS peak (VmHWM) small / big',
      `${apiPeakRssMb.small} / ${apiPeakRssMb.big} MB (≤ 512 MB: ${verdict(apiPeakRssMb.big <= 512)}); ` +
        `NODE_OPTIONS ${nodeOptions || '(none)'}`,
    ]);
    rows.push([
      'big catalogue read model rebuilt',
      `${(bigModel.ms / 1000).toFixed(1)} s; worker RSS peak ${workerPeakRssMb} MB`,
    ]);
    if (watermarkMoved) rows.push(['note', "a read model's watermark moved while measuring"]);
    const table = printTable(
      `P7 — P1/P2 on ${shape.skus.toLocaleString('en-US')} SKUs × ${shape.locations} locations against ` +
        `the demo catalogue (${smallSkus.length} SKUs × ${smallLocations} locations); ${concurrency} ` +
        `clients, ${seconds} rounds by turns; load ${loadAverage}`,
      ['measure', 'value'],
      rows,
    );
    return {
      small: { skus: smallSkus.length, locations: smallLocations },
      big: { skus: shape.skus, locations: shape.locations, rebuildSeconds: bigModel.ms / 1000 },
      runs,
      apiPeakRssMb,
      workerPeakRssMb,
      watermarkMoved,
      nodeOptions,
      loadAverage,
      table,
    };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    agent.destroy();
    // Let the processes let go of their databases before they are dropped (and write their profiles).
    await new Promise((r) => setTimeout(r, 500));
    for (const b of benches) await b.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const seconds = process.argv.slice(2).find((a) => /^\d+$/.test(a));
  await benchCatalogueOffer({ quick, seconds: seconds ? Number(seconds) : undefined });
  process.exit(0);
}
