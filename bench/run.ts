/**
 * `npm run bench`: every benchmark, each against its baseline measured in the same run, printed as tables.
 * Options: --quick (smaller sizes, for a smoke run), --only p1|p4|p4o|p5|p5o|p6|p7|p8|t1|s1 (p1 runs P1–P3).
 */
import { parseArgs } from 'node:util';
import { benchGraphqlOffer } from './graphql-offer.js';
import { benchPropagation } from './propagation.js';
import { benchImportStock } from './import-stock.js';
import { benchRebuild } from './rebuild.js';
import { benchCatalogueOffer } from './catalogue-offer.js';
import { benchReserveHotSku } from './reserve-hot-sku.js';
import { benchPlaceOrderHotSku } from './place-order-hot-sku.js';
import { benchOrderChanged } from './order-changed.js';
import { benchInteractions } from './interactions.js';
import { benchRevisionTail } from './revision-tail.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' } } });
const want = (id: string) => !values.only || values.only.toLowerCase() === id;

process.stdout.write(
  `Omnihub benchmarks — ${new Date().toISOString()}, Node ${process.version}, ` +
    `${(await import('node:os')).cpus().length} CPUs\n`,
);
const summary: string[] = [];
let offersPerSecond: number | undefined;
if (want('p1')) {
  const r = await benchGraphqlOffer({ seconds: values.quick ? 2 : 5 });
  offersPerSecond = r.offersPerSecond;
  summary.push(
    `P1 anonymous offer over GraphQL at ${r.ratio.toFixed(2)} × a plain Express endpoint (target ≥ 1.0); ` +
      `P1m a member's offer at ${r.memberRatio.toFixed(2)} × (target ≥ 0.50); ` +
      `every answer computed anew ${r.freshRatio.toFixed(2)} ×; ` +
      `P2 at 70 % load p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (targets 2 / 10); ` +
      `P3 offers(50): ${r.pgQueries} PostgreSQL queries + ${r.redisCommands} Redis commands (target ≤ 2)`,
  );
  summary.push(
    `P1 with a delivery promise (postcode): ${r.promise.ratio.toFixed(2)} × its plain endpoint, ` +
      `${r.promise.ratioToWithout.toFixed(2)} × the offer without a postcode ` +
      `(${Math.round(r.promise.offersPerSecond)}/s; p50 ${r.promise.p50.toFixed(1)} ms, ` +
      `p99 ${r.promise.p99.toFixed(1)} ms at full load); offers(50) with a postcode: ` +
      `${r.promise.pgQueries} PostgreSQL queries + ${r.promise.redisCommands} Redis commands`,
  );
}
if (want('p4')) {
  const r = await benchPropagation({ seconds: values.quick ? 3 : 5 });
  summary.push(
    `P4 at ${Math.round(r.committedPerSecond)} changes/s achieved (500 asked): ` +
      `commit → read model at its revision p50 ${r.visibleP50.toFixed(0)} ms, ` +
      `p99 ${r.visibleP99.toFixed(0)} ms; ` +
      `→ pushed to a subscriber p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms ` +
      `over ${r.pushes} pushes (targets 15 / 100 ms)`,
  );
}
if (want('p4o')) {
  // One order in flight, then 50 at once: the push path alone, then under a burst.
  for (const orders of [1, 50]) {
    const r = await benchOrderChanged({ orders });
    summary.push(
      `P4o fulfilment event → orderChanged on two API nodes, ${orders} order(s) in flight: ` +
        `p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms over ${r.pushes} pushes ` +
        '(targets 15 / 100 ms)',
    );
  }
}
if (want('p5')) {
  const r = await benchReserveHotSku({ seconds: values.quick ? 2 : 5 });
  // QUALITY P5's baseline is the lower of the fsync rate (measured by turns with each run) and the API's own
  // offer read rate (measured by P1 above, when it ran).
  for (const run of r.runs) {
    const base = Math.min(run.fsyncCommitsPerSecond, offersPerSecond ?? Number.POSITIVE_INFINITY);
    const against =
      offersPerSecond !== undefined && offersPerSecond < run.fsyncCommitsPerSecond
        ? `the API's offer read rate (${Math.round(offersPerSecond)}/s)`
        : `the disk's serial durable-commit rate (${Math.round(run.fsyncCommitsPerSecond)}/s)`;
    const api = run.api
      ? `; through one API node ${Math.round(run.api.reservationsPerSecond)}/s = ` +
        `${run.api.ratio.toFixed(2)} × its fsync turns, p50 ${run.api.p50.toFixed(1)} ms, ` +
        `p99 ${run.api.p99.toFixed(1)} ms`
      : '';
    summary.push(
      `P5 reservations on one hot SKU at ${run.callers} callers: ` +
        `${Math.round(run.reservationsPerSecond)}/s = ` +
        `${(run.reservationsPerSecond / base).toFixed(2)} × ${against} (target ≥ 0.70), ` +
        `p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, ` +
        `${run.perCommit.toFixed(1)} per commit; ` +
        `oversold ${run.oversold}; contended ${run.contendedGranted}/${run.contendedUnits}${api}`,
    );
  }
}
if (want('p5o')) {
  const r = await benchPlaceOrderHotSku({ seconds: values.quick ? 2 : 5 });
  summary.push(
    `P5o orders with sourcing and a delivery promise on one hot SKU: ${Math.round(r.ordersPerSecond)}/s = ` +
      `${r.ratio.toFixed(2)} × the disk's serial durable-commit rate ` +
      `(${Math.round(r.fsyncCommitsPerSecond)}/s; ` +
      `reserveStock alone ${Math.round(r.reservationsPerSecond)}/s), ` +
      `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`,
  );
}
if (want('p6')) {
  const r = await benchImportStock({ rows: values.quick ? 100_000 : 1_000_000 });
  summary.push(
    `P6 import of ${r.rows.toLocaleString('en-US')} stock rows: ` +
      `${r.importSeconds.toFixed(1)} s = ${(r.importSeconds / r.copySeconds).toFixed(1)}× COPY ` +
      `(target ≤ 40×), re-run ${r.rerunSeconds.toFixed(1)} s, ` +
      `COPY floor ${r.copySeconds.toFixed(1)} s; RSS ${r.rssAt10PercentMb} MB at 10%, peak ${r.peakRssMb} MB`,
  );
}
if (want('p7')) {
  const r = await benchCatalogueOffer({ quick: values.quick ?? false });
  const TRAFFIC = {
    zipf: 'Zipf-like (s = 1) drawn SKUs',
    uniform: 'uniformly drawn SKUs',
    computed: 'uniformly drawn SKUs, every answer computed',
  };
  for (const run of r.runs) {
    const met = (ok: boolean) => (ok ? 'met' : 'not met');
    summary.push(
      `P7 offers of ${TRAFFIC[run.traffic]}, ` +
        `${r.big.skus.toLocaleString('en-US')} SKUs × ${r.big.locations} against the demo's ` +
        `${r.small.skus} × ${r.small.locations}: P1 ${Math.round(run.big.perSecond)}/s ` +
        `(${run.big.ratio.toFixed(2)} × plain, ${(run.big.hitRate * 100).toFixed(0)} % cached) vs ` +
        `${Math.round(run.small.perSecond)}/s (${run.small.ratio.toFixed(2)} ×, ` +
        `${(run.small.hitRate * 100).toFixed(0)} % cached) = ${run.p1BigToSmall.toFixed(2)} × ` +
        `(target ≥ 0.83: ${met(run.p1BigToSmall >= 1 / 1.2)}); P2 p50 ${run.big.p50.toFixed(1)} vs ` +
        `${run.small.p50.toFixed(1)} ms, p99 ${run.big.p99.toFixed(1)} vs ${run.small.p99.toFixed(1)} ms = ` +
        `${run.p50BigToSmall.toFixed(2)} / ${run.p99BigToSmall.toFixed(2)} × (target ≤ 1.2: ` +
        `${met(run.p50BigToSmall <= 1.2 && run.p99BigToSmall <= 1.2)})`,
    );
  }
  summary.push(
    `P7 API node RSS peak on the big catalogue ${r.apiPeakRssMb.big} MB (small ${r.apiPeakRssMb.small} MB; ` +
      `target ≤ 512: ${r.apiPeakRssMb.big <= 512 ? 'met' : 'not met'}; NODE_OPTIONS ` +
      `${r.nodeOptions || '(none)'}); load ${r.loadAverage}`,
  );
}
if (want('p8')) {
  const r = await benchRebuild({ quick: values.quick ?? false });
  summary.push(
    `P8 read model rebuilt from PostgreSQL, ${r.skus.toLocaleString('en-US')} SKUs × ` +
      `${r.levels / r.skus} locations: ${r.seconds.toFixed(1)} s ` +
      `(${Math.round(r.rowsPerSecond).toLocaleString('en-US')} stock levels/s; target ≤ 60 s for 1M × 20: ` +
      `${r.seconds <= 60 ? 'met' : 'not met'}), worker RSS peak ${r.peakRssMb} MB ` +
      `(${r.readyRssMb} MB ready), Redis +${r.redisMb} MB; offers meanwhile: ${r.offers} answered, ` +
      `${r.offerErrors} errors, p99 ${r.offerP99.toFixed(0)} ms; ` +
      `after it ${Math.round(r.afterPerSecond)}/s, ` +
      `p99 ${r.afterP99.toFixed(0)} ms, API node RSS peak ${r.apiPeakRssMb} MB; load ${r.loadAverage}`,
  );
}
if (want('t1')) {
  const r = await benchInteractions({ seconds: values.quick ? 2 : 5 });
  summary.push(
    `T1 recordInteraction at ${r.concurrency} callers, a customer each: ` +
      `${Math.round(r.interactionsPerSecond)}/s = ` +
      `${r.ratio.toFixed(2)} × reserveStock on one hot SKU (${Math.round(r.reservationsPerSecond)}/s), ` +
      `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms; a timeline of 10,000: first page of 50 ` +
      `p50 ${r.firstPageP50.toFixed(1)} ms, p99 ${r.firstPageP99.toFixed(1)} ms; all 200 pages ` +
      `p50 ${r.walkP50.toFixed(0)} ms, p99 ${r.walkP99.toFixed(0)} ms ` +
      `(a page p99 ${r.pageP99.toFixed(1)} ms)`,
  );
}
if (want('s1')) {
  const r = await benchRevisionTail({ seconds: values.quick ? 2 : 5 });
  summary.push(
    `S1 revisioned writes of distinct SKUs on one primary: ${r.rows
      .map(
        (x) =>
          `${Math.round(x.writesPerSecond)}/s at ${x.callers} callers ` +
          `(${(x.writesPerSecond / r.fsyncPerSecond).toFixed(2)} × serial fsync, ` +
          `${(x.writesPerSecond / x.groupPerSecond).toFixed(2)} × group commit)`,
      )
      .join('; ')} (reported: the primary's ceiling)`,
  );
}
process.stdout.write(`\nSummary\n${summary.map((s) => `- ${s}`).join('\n')}\n`);
process.exit(0);
