/**
 * P4 — from commit to the answer pushed to a subscriber on an API node (another process), while a writer
 * commits stock changes at a steady rate (default 500/s, two per commit) over 50 SKUs. Latency = push
 * received − commit returned.
 * @example npx tsx bench/propagation.ts [seconds] [changesPerSecond] [changesPerCommit]
 */
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  applyStockMovements,
  readModelKeys,
  seedDemoRetailer,
  type ReadModelChange,
} from '../backoffice-layer/index.js';
import { createChannelClient } from '../channel-layer/index.js';
import { createRedis } from '../shared/index.js';
import { createBenchDatabase, omnihubArgs, percentile, printTable, startChild, hubEnv } from './support.js';

export async function benchPropagation(
  opts: { seconds?: number; rate?: number; perCommit?: number } = {},
): Promise<{
  table: string;
  p50: number;
  p99: number;
  pushes: number;
  committedPerSecond: number;
  visibleP50: number;
  visibleP99: number;
}> {
  const seconds = opts.seconds ?? 5;
  const rate = opts.rate ?? 500;
  const perCommit = opts.perCommit ?? 2;
  const maxInFlight = 16;
  const bench = await createBenchDatabase('propagation', { poolSize: 30 });
  const { deps } = bench;
  let workerProcess: ChildProcess | undefined;
  let api: ChildProcess | undefined;
  try {
    await seedDemoRetailer(deps);
    // Production shape: the worker in a process of its own, the API node in another, the writer here.
    const env = hubEnv(bench);
    workerProcess = (await startChild(omnihubArgs('worker'), env)).child;
    const { key } = await createChannelClient(
      deps.db,
      { name: 'bench', channel: 'CALL_CENTER', scopes: ['rate:999999'] },
      new Date(),
    );
    const started = await startChild(omnihubArgs('api'), { ...env, PORT: '0' });
    api = started.child;
    const port = started.port;
    await new Promise((r) => setTimeout(r, 1500));
    const skus = (
      await deps.db
        .selectFrom('stockLevels')
        .select('sku')
        .where('locationId', '=', 'wh-tilburg')
        .orderBy('sku')
        .limit(50)
        .execute()
    ).map((r) => r.sku);
    const watched = skus.slice(0, 5);
    const committedAt = new Map<number, number>();
    const latencies: number[] = [];
    // When the read model (what every API node answers from) reached each committed revision.
    const allCommits = new Map<number, number>();
    const visible: number[] = [];
    const notices = createRedis(deps.redisUrl, { connectionName: 'omnihub:bench-notices' });
    await notices.subscribe(readModelKeys(deps.redisPrefix).changes);
    notices.on('message', (_c: string, m: string) => {
      const n = JSON.parse(m) as ReadModelChange;
      if (!n.watermark) return;
      const now = performance.now();
      for (const [rev, at] of allCommits)
        if (rev <= n.revision) {
          visible.push(now - at);
          allCommits.delete(rev);
        }
    });
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
    });
    const stops = watched.map((sku) =>
      client.subscribe<{ offerChanged: { revision: string } }>(
        { query: `subscription { offerChanged(sku: "${sku}") { revision } }` },
        {
          next: (v) => {
            const rev = Number(v.data?.offerChanged.revision);
            const sent = [...committedAt.entries()].filter(([r]) => r <= rev).sort((a, b) => b[0] - a[0])[0];
            if (sent) latencies.push(performance.now() - sent[1]);
          },
          error: () => undefined,
          complete: () => undefined,
        },
      ),
    );
    await new Promise((r) => setTimeout(r, 1000));
    const start = performance.now();
    let i = 0;
    let committed = 0;
    let failed = 0;
    let lastCommit = start;
    const writes: Promise<void>[] = [];
    // Each commit changes `perCommit` stock levels (an adjustment batch over consecutive SKUs), so `rate`
    // changes a second is rate / perCommit commits a second. At most `maxInFlight` (16) commits in flight: a
    // writer that cannot keep up skips (counted), rather than queueing without bound.
    let skipped = 0;
    let inFlight = 0;
    while (performance.now() - start < seconds * 1000) {
      const due = start + (i * 1000 * perCommit) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const batch = Array.from({ length: perCommit }, (_, k) => skus[(i * perCommit + k) % skus.length]!);
      const n = i++;
      if (inFlight >= maxInFlight) {
        skipped++;
        continue;
      }
      inFlight++;
      const movements = batch.map((sku) => ({
        kind: 'ADJUSTMENT' as const,
        sku,
        locationId: 'wh-tilburg',
        delta: 1,
        reason: 'bench',
      }));
      writes.push(
        applyStockMovements(deps, { movements }, `p4-${n}`)
          .then(
            (r) => {
              const at = performance.now();
              committed++;
              lastCommit = at;
              allCommits.set(r.revision, at);
              if (batch.some((sku) => watched.includes(sku))) committedAt.set(r.revision, at);
            },
            (e: unknown) => {
              if (failed++ === 0) console.error('first failed write:', e);
            },
          )
          .finally(() => {
            inFlight--;
          }),
      );
    }
    await Promise.all(writes);
    await new Promise((r) => setTimeout(r, 1500));
    for (const s of stops) s();
    await client.dispose();
    notices.disconnect();
    // What the writer achieved: it asks for `rate` commits a second; when PostgreSQL cannot commit that many,
    // fewer.
    const achieved = (committed * perCommit) / ((lastCommit - start) / 1000);
    const table = printTable(
      `P4 — commit → pushed to a subscriber on another process (asked ${rate} changes/s as commits of ` +
        `${perCommit}; achieved ${Math.round(achieved)} changes/s` +
        `${failed ? `, ${failed} commits failed` : ''}${skipped ? `, ${skipped} skipped` : ''}; 50 SKUs)`,
      ['measure', 'pushes', 'p50 ms', 'p99 ms', 'target'],
      [
        [
          'stock change committed → read model at its revision (every node answers it)',
          visible.length,
          percentile(visible, 50),
          percentile(visible, 99),
          'p50 ≤ 15, p99 ≤ 100',
        ],
        [
          'stock change committed → offerChanged received',
          latencies.length,
          percentile(latencies, 50),
          percentile(latencies, 99),
          'p50 ≤ 15, p99 ≤ 100',
        ],
      ],
    );
    return {
      table,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      pushes: latencies.length,
      committedPerSecond: achieved,
      visibleP50: percentile(visible, 50),
      visibleP99: percentile(visible, 99),
    };
  } finally {
    api?.kill('SIGTERM');
    workerProcess?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await bench.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchPropagation({
    seconds: Number(process.argv[2] ?? 5),
    rate: Number(process.argv[3] ?? 500),
    perCommit: Number(process.argv[4] ?? 2),
  }).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
