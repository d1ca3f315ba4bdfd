/**
 * P4 — from commit to the answer pushed to a subscriber on an API node (another process), while a writer commits
 * stock changes at a steady rate (default 500/s) over 50 SKUs. Latency = push received − commit returned.
 * @example npx tsx bench/propagation.ts [seconds] [changesPerSecond]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { readModelKeys, seedDemoRetailer, setStockCount, startBackofficeWorker, type BackofficeWorker, type ReadModelChange } from '../backoffice-layer/index.js';
import { createChannelClient } from '../channel-layer/index.js';
import { journeyWorkerOptions } from '../journey-layer/index.js';
import { createBenchDatabase, percentile, printTable } from './support.js';

export async function benchPropagation(opts: { seconds?: number; rate?: number } = {}): Promise<{ table: string; p50: number; p99: number; pushes: number }> {
  const seconds = opts.seconds ?? 5;
  const rate = opts.rate ?? 500;
  const bench = await createBenchDatabase('propagation', { poolSize: 30 });
  const { deps } = bench;
  let worker: BackofficeWorker | undefined;
  let api: ChildProcess | undefined;
  try {
    await seedDemoRetailer(deps);
    worker = await startBackofficeWorker(deps, { ...journeyWorkerOptions(deps), relayPollMs: 200 });
    const { key } = await createChannelClient(deps.db, { name: 'bench', channel: 'CALL_CENTER', scopes: ['rate:999999'] }, new Date());
    api = spawn(process.execPath, ['bin/omnihub.js', 'api'], { env: { ...process.env, DATABASE_URL: bench.databaseUrl, REDIS_URL: deps.redisUrl, OMNIHUB_REDIS_PREFIX: deps.redisPrefix, LOG_LEVEL: 'error', PORT: '0', OMNIHUB_ADMIN_KEY: 'bench-admin-key-0123456789' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) => { let out = ''; api!.stdout!.on('data', (d: Buffer) => { out += d.toString(); const m = /localhost:(\d+)/.exec(out); if (m) resolve(Number(m[1])); }); });
    await new Promise((r) => setTimeout(r, 1500));
    const skus = (await deps.db.selectFrom('stockLevels').select('sku').where('locationId', '=', 'wh-tilburg').orderBy('sku').limit(50).execute()).map((r) => r.sku);
    const watched = skus.slice(0, 5);
    const committedAt = new Map<number, number>();
    const latencies: number[] = [];
    // When the read model (what every API node answers from) reached each committed revision.
    const allCommits = new Map<number, number>();
    const visible: number[] = [];
    const notices = new Redis(deps.redisUrl);
    await notices.subscribe(readModelKeys(deps.redisPrefix).changes);
    notices.on('message', (_c: string, m: string) => {
      const n = JSON.parse(m) as ReadModelChange;
      if (!n.watermark) return;
      const now = performance.now();
      for (const [rev, at] of allCommits) if (rev <= n.revision) { visible.push(now - at); allCommits.delete(rev); }
    });
    const client = createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
    const stops = watched.map((sku) => client.subscribe<{ offerChanged: { revision: string } }>({ query: `subscription { offerChanged(sku: "${sku}") { revision } }` }, {
      next: (v) => {
        const rev = Number(v.data?.offerChanged.revision);
        const sent = [...committedAt.entries()].filter(([r]) => r <= rev).sort((a, b) => b[0] - a[0])[0];
        if (sent) latencies.push(performance.now() - sent[1]);
      },
      error: () => undefined, complete: () => undefined,
    }));
    await new Promise((r) => setTimeout(r, 1000));
    const start = performance.now();
    let i = 0;
    const writes: Promise<void>[] = [];
    while (performance.now() - start < seconds * 1000) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const sku = skus[i % skus.length]!;
      const n = i++;
      writes.push(setStockCount(deps, sku, 'wh-tilburg', { onHand: 1000 + n }).then((r) => {
        const at = performance.now();
        allCommits.set(r.revision, at);
        if (watched.includes(sku)) committedAt.set(r.revision, at);
      }, () => undefined));
    }
    await Promise.all(writes);
    await new Promise((r) => setTimeout(r, 1500));
    for (const s of stops) s();
    await client.dispose();
    notices.disconnect();
    const achieved = i / seconds;
    const table = printTable(`P4 — commit → pushed to a subscriber on another process (${Math.round(achieved)} changes/s over 50 SKUs, ${seconds} s)`,
      ['measure', 'pushes', 'p50 ms', 'p99 ms', 'target'],
      [['stock change committed → read model at its revision (every node answers it)', visible.length, percentile(visible, 50), percentile(visible, 99), 'p50 ≤ 15, p99 ≤ 100'],
        ['stock change committed → offerChanged received', latencies.length, percentile(latencies, 50), percentile(latencies, 99), 'p50 ≤ 15, p99 ≤ 100']]);
    return { table, p50: percentile(latencies, 50), p99: percentile(latencies, 99), pushes: latencies.length };
  } finally {
    api?.kill('SIGTERM');
    await worker?.stop();
    await bench.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchPropagation({ seconds: Number(process.argv[2] ?? 5), rate: Number(process.argv[3] ?? 500) }).then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
}
