/**
 * P1–P3 for the channel API, each against a baseline in the same run:
 * - P1: `offer` queries per second through an API node process vs a plain Express endpoint (another process)
 *   serving the same JSON, same client, same concurrency, keep-alive, no pipelining;
 * - P2: `offer` latency (p50/p99) at 70 % of the hub's measured maximum, open loop;
 * - P3: backend round trips (PostgreSQL queries, Redis commands) of one `offers` query for 50 SKUs, warm read
 *   model;
 * - P1 with a delivery promise (issue 12): the same `offer` asked with a postcode and country and its
 *   `delivery`, against its own plain endpoint serving that answer, and against the `offer` without a
 *   postcode (the ratio the issue asks for), same run; and P3 for `offers(50)` with a postcode.
 * @example npx tsx bench/graphql-offer.ts [seconds]
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import { pathToFileURL } from 'node:url';
import {
  createReadModel,
  seedDemoRetailer,
  startBackofficeWorker,
  type BackofficeWorker,
} from '../backoffice-layer/index.js';
import { createChannelClient } from '../channel-layer/index.js';
import {
  journeyReadModelSections,
  journeyWorkerOptions,
  offers,
  seedDemoJourney,
} from '../journey-layer/index.js';
import type { HubTables } from '../channel-layer/index.js';
import {
  closedLoop,
  createBenchDatabase,
  interleavedLoops,
  omnihubArgs,
  percentile,
  printTable,
  startChild,
  hubEnv,
} from './support.js';

/** One closed-loop run's totals. */
type Run = Awaited<ReturnType<typeof closedLoop>>;

/**
 * Sends requests at a fixed rate whatever the answers' speed (open loop); returns latencies from the due
 * time. Each turn sends every request due by then and sleeps until the next is due, so answers are read
 * between sends however high the rate (at rates above 1,000/s requests go in bursts of a millisecond's
 * worth).
 */
export async function paced(
  ratePerSecond: number,
  seconds: number,
  fn: () => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  const interval = 1000 / ratePerSecond;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  let sent = 0;
  for (let now = start; now - start < seconds * 1000; now = performance.now()) {
    for (; start + sent * interval <= now; sent++) {
      const due = start + sent * interval;
      inflight.push(
        fn().then(() => {
          latencies.push(performance.now() - due);
        }),
      );
    }
    // Sleep until the next one is due (timers fire at 1 ms at the finest): no busy loop on shared cores.
    await new Promise((r) => setTimeout(r, Math.max(0, start + sent * interval - performance.now())));
  }
  await Promise.all(inflight);
  return latencies;
}

/** The header by which an API node says it answered from its answer cache (answer-cache.ts). */
const ANSWER_CACHE_HEADER = 'x-answer-cache';

/** What the offer benchmarks ask of an `offer`: its prices with their adjustments, its availability. */
export const OFFER_SELECTION =
  'sku price { base { amount formatted } final { amount formatted } ' +
  'savings { amount } adjustments { source id label reason amount { amount } } } ' +
  'availability { online { available status } locations { location { id } available status } } ' +
  'revision fingerprint';

/**
 * POSTs `body` (JSON) to `url` through `agent` with `headers`, reading and dropping the answer; resolves
 * with whether it came from the node's answer cache (its `x-answer-cache: hit` header), rejects unless the
 * status is 200. node:http with keep-alive, not fetch: fetch costs the load generator more CPU than the
 * plain endpoint costs its server, so it capped the baseline (≈ 2,300/s with fetch, ≈ 6,000/s with this)
 * and flattered the ratio.
 */
export function postOffer(
  agent: http.Agent,
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<{ hit: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () =>
          res.statusCode === 200
            ? resolve({ hit: res.headers[ANSWER_CACHE_HEADER] === 'hit' })
            : reject(new Error(`status ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Starts the baseline of P1/P2 in a process of its own: a plain Express endpoint answering `sample` (an
 * answer's JSON text) to every POST; returns its URL and the process.
 */
export async function startPlainEndpoint(sample: string): Promise<{ url: string; child: ChildProcess }> {
  const plain = await startChild(['--import', 'tsx', 'bench/plain-server.ts', sample], {});
  return { url: `http://127.0.0.1:${plain.port}/plain`, child: plain.child };
}

export async function benchGraphqlOffer(opts: { seconds?: number; concurrency?: number } = {}): Promise<{
  table: string;
  ratio: number;
  /** P1m: a member's offer against the same plain endpoint. */
  memberRatio: number;
  /** The offer computed for every request (no answer reused) against the same plain endpoint. */
  freshRatio: number;
  offersPerSecond: number;
  p50: number;
  p99: number;
  pgQueries: number;
  redisCommands: number;
  /** P1 with a postcode: its rate, against its plain endpoint, and against the offer without a postcode. */
  promise: {
    offersPerSecond: number;
    ratio: number;
    ratioToWithout: number;
    p50: number;
    p99: number;
    pgQueries: number;
    redisCommands: number;
  };
}> {
  const seconds = opts.seconds ?? 5;
  const concurrency = opts.concurrency ?? 32;
  const bench = await createBenchDatabase('graphql', { poolSize: 20 });
  const { deps } = bench;
  const procs: ChildProcess[] = [];
  let worker: BackofficeWorker | undefined;
  try {
    await seedDemoRetailer(deps);
    await seedDemoJourney(deps);
    worker = await startBackofficeWorker(deps, journeyWorkerOptions(deps));
    await new Promise((r) => setTimeout(r, 1500)); // the read model is built
    const { key } = await createChannelClient(
      deps.db,
      { name: 'bench', channel: 'WEB', scopes: ['rate:999999', 'customer-tokens'] },
      new Date(),
    );
    const sku = 'NK-COAT-ARCTIC-BLACK-M';
    const selection = OFFER_SELECTION;
    const query = JSON.stringify({ query: `{ offer(sku: "${sku}") { ${selection} } }` });
    // The same offer to a Dutch postcode, with what it promises (delivery from the location that would ship
    // one unit, pickup at the stores holding it).
    const promiseQuery = JSON.stringify({
      query:
        `{ offer(sku: "${sku}", postcode: "1012 AB", countryCode: "NL") { ${selection} ` +
        'delivery { method from { id name } orderBefore deliverBy readyBy reason } } }',
    });
    const env = hubEnv(bench, { PORT: '0' });
    const hub = await startChild(omnihubArgs('api'), env);
    procs.push(hub.child);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    const hubUrl = `http://127.0.0.1:${hub.port}/graphql`;
    const sampleOf = async (body: string, must: string, extra: Record<string, string> = {}) => {
      const text = await (
        await fetch(hubUrl, { method: 'POST', headers: { ...headers, ...extra }, body })
      ).text();
      if (!text.includes(must)) throw new Error(`the hub did not answer the offer: ${text.slice(0, 300)}`);
      return text;
    };
    const sample = await sampleOf(query, '"fingerprint"');
    const plain = await startPlainEndpoint(sample);
    procs.push(plain.child);
    const plainUrl = plain.url;
    const promiseSample = await sampleOf(promiseQuery, '"DELIVERY"');
    const promisePlain = await startPlainEndpoint(promiseSample);
    procs.push(promisePlain.child);
    const promisePlainUrl = promisePlain.url;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const call =
      (url: string, body = query, extra: Record<string, string> = {}) =>
      async () => {
        await postOffer(agent, new URL(url), { ...headers, ...extra }, body);
      };
    await closedLoop(concurrency, 1000, call(hubUrl)); // warm-up
    await closedLoop(concurrency, 1000, call(plainUrl));
    // P1m: a member's offer (her tier and personal prices: an answer for her only), signed in by her token.
    const member = await deps.db
      .selectFrom('customers')
      .select('id')
      .orderBy('displayName')
      .executeTakeFirstOrThrow();
    // Her token, as a web shop's back end gets one once it signed her in.
    const signedIn = await sampleOf(
      JSON.stringify({ query: `mutation { issueCustomerToken(customerId: "${member.id}") { token } }` }),
      '"token"',
    );
    const { token } = (JSON.parse(signedIn) as { data: { issueCustomerToken: { token: string } } }).data
      .issueCustomerToken;
    const memberQuery = JSON.stringify({
      query: `{ offer(sku: "${sku}", customerId: "${member.id}") { ${selection} } }`,
    });
    const memberHeaders = { 'x-customer-token': token };
    await sampleOf(memberQuery, '"fingerprint"', memberHeaders);
    const memberCall = call(hubUrl, memberQuery, memberHeaders);
    await closedLoop(concurrency, 1000, memberCall); // warm-up
    // The baseline, the anonymous offer and the member's by turns, one second each, so a drifting load on
    // the machine weighs on all three alike.
    const [base, hubRun, memberRun] = (await interleavedLoops(concurrency, seconds, 1000, [
      call(plainUrl),
      call(hubUrl),
      memberCall,
    ])) as [Run, Run, Run];
    const ratio = hubRun.perSecond / base.perSecond;
    // P2, with how many of its answers came from the answer cache and whether a commit landed meanwhile (a
    // new revision makes every cached answer stale at once).
    const revisionAt = async () =>
      Number((await deps.pool.query('SELECT max(revision) AS r FROM outbox')).rows[0].r ?? 0);
    const revisionBefore70 = await revisionAt();
    let at70Hits = 0;
    const at70 = await paced(Math.max(1, Math.floor(hubRun.perSecond * 0.7)), seconds, async () => {
      if ((await postOffer(agent, new URL(hubUrl), headers, query)).hit) at70Hits++;
    });
    const commitsDuring70 = (await revisionAt()) - revisionBefore70;
    // Every answer computed: the same document, its body made new each time by a variable it does not use
    // (GraphQL ignores it), so no answer is reused while the parsed document still is.
    const freshDocument = `query($sku: ID!) { offer(sku: $sku) { ${selection} } }`;
    let asked = 0;
    const fresh = () =>
      call(hubUrl, JSON.stringify({ query: freshDocument, variables: { sku, asked: asked++ } }))();
    const freshRun = await closedLoop(concurrency, seconds * 1000, fresh);
    // P1 with a delivery promise: the same runs for the offer to a postcode, against its own plain endpoint.
    const hubPromise = call(hubUrl, promiseQuery);
    await closedLoop(concurrency, 1000, hubPromise); // warm-up
    await closedLoop(concurrency, 1000, call(promisePlainUrl, promiseQuery));
    const promiseBase = await closedLoop(concurrency, seconds * 1000, call(promisePlainUrl, promiseQuery));
    const promiseRun = await closedLoop(concurrency, seconds * 1000, hubPromise);

    // P3, in this process: count PostgreSQL queries and Redis commands of one offers(50) with a warm read
    // model.
    const rm = await createReadModel(deps, { sections: journeyReadModelSections });
    const skus = (await deps.db.selectFrom('products').select('sku').orderBy('sku').limit(50).execute()).map(
      (r) => r.sku,
    );
    const nl = { postcode: '1012 AB', countryCode: 'NL' };
    await offers(deps, { skus }, { readModel: rm });
    await offers(deps, { skus, ...nl }, { readModel: rm });
    // The same pool through a Kysely instance that counts every query it sends.
    let pgQueries = 0;
    const countingDb = new Kysely<HubTables>({
      dialect: new PostgresDialect({ pool: deps.pool }),
      plugins: [new CamelCasePlugin()],
      log: () => {
        pgQueries++;
      },
    });
    const commands = async () =>
      Number(/total_commands_processed:(\d+)/.exec(await deps.redis.info('stats'))![1]);
    /** PostgreSQL queries and Redis commands of one offers(50) with these arguments. */
    const roundTrips = async (args: { postcode?: string; countryCode?: string }) => {
      const [q0, before] = [pgQueries, await commands()];
      await offers({ ...deps, db: countingDb }, { skus, ...args }, { readModel: rm });
      return { pg: pgQueries - q0, redis: (await commands()) - before - 1 };
    };
    const plainTrips = await roundTrips({});
    const promiseTrips = await roundTrips(nl);
    await rm.close();

    /** A table row: a closed-loop run's rate and latencies, and its ratio to its baseline. */
    const runRow = (label: string, run: { perSecond: number; latencies: number[] }, vs: string) => [
      label,
      run.perSecond,
      percentile(run.latencies, 50),
      percentile(run.latencies, 99),
      vs,
    ];
    const table = printTable(
      `P1–P3 — the offer query (${concurrency} concurrent clients, ${seconds} s per run)`,
      ['measure', 'per second', 'p50 ms', 'p99 ms', 'vs baseline'],
      [
        runRow('baseline: plain Express endpoint, same JSON', base, '1.00'),
        runRow('P1: anonymous offer over GraphQL (one API node process)', hubRun, ratio.toFixed(2)),
        runRow(
          "P1m: a member's offer (her customer token)",
          memberRun,
          (memberRun.perSecond / base.perSecond).toFixed(2),
        ),
        runRow(
          'offer asked anew every time (no answer reused)',
          freshRun,
          (freshRun.perSecond / base.perSecond).toFixed(2),
        ),
        [
          `offer at 70% of its maximum (${Math.floor(hubRun.perSecond * 0.7)}/s, open loop; ` +
            `${Math.round((100 * at70Hits) / Math.max(1, at70.length))} % cached, ` +
            `${commitsDuring70} revisions meanwhile)`,
          at70.length / seconds,
          percentile(at70, 50),
          percentile(at70, 99),
          '',
        ],
        [
          'offers(50 SKUs), warm read model: PostgreSQL queries / Redis commands ',
          `${plainTrips.pg} / ${plainTrips.redis}`,
          '',
          '',
          '',
        ],
        runRow('baseline: plain Express endpoint, the offer with its promise', promiseBase, '1.00'),
        runRow(
          'offer with postcode + delivery promise over GraphQL',
          promiseRun,
          (promiseRun.perSecond / promiseBase.perSecond).toFixed(2),
        ),
        [
          '  … against the offer without a postcode (same node, same run)',
          '',
          '',
          '',
          (promiseRun.perSecond / hubRun.perSecond).toFixed(2),
        ],
        [
          'offers(50 SKUs) with a postcode: PostgreSQL queries / Redis commands',
          `${promiseTrips.pg} / ${promiseTrips.redis}`,
          '',
          '',
          '',
        ],
      ],
    );
    return {
      table,
      ratio,
      memberRatio: memberRun.perSecond / base.perSecond,
      freshRatio: freshRun.perSecond / base.perSecond,
      offersPerSecond: hubRun.perSecond,
      p50: percentile(at70, 50),
      p99: percentile(at70, 99),
      pgQueries: plainTrips.pg,
      redisCommands: plainTrips.redis,
      promise: {
        offersPerSecond: promiseRun.perSecond,
        ratio: promiseRun.perSecond / promiseBase.perSecond,
        ratioToWithout: promiseRun.perSecond / hubRun.perSecond,
        p50: percentile(promiseRun.latencies, 50),
        p99: percentile(promiseRun.latencies, 99),
        pgQueries: promiseTrips.pg,
        redisCommands: promiseTrips.redis,
      },
    };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await worker?.stop();
    await bench.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchGraphqlOffer({ seconds: Number(process.argv[2] ?? 5) }).then(
    (r) => {
      process.stdout.write(
        `\nP1 ratio ${r.ratio.toFixed(2)} (target ≥ 0.50); ` +
          `P2 p50 ${r.p50.toFixed(1)} ms / p99 ${r.p99.toFixed(1)} ms (targets 2 / 10); ` +
          `P3 ${r.pgQueries} PostgreSQL queries + ${r.redisCommands} Redis commands ` +
          '(target ≤ 2 round trips); ' +
          `with a postcode: ${r.promise.ratio.toFixed(2)} × its plain endpoint, ` +
          `${r.promise.ratioToWithout.toFixed(2)} × the offer without one\n`,
      );
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
