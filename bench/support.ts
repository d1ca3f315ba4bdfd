/**
 * What every benchmark shares: a fresh, migrated database of its own on the local PostgreSQL (dropped at the
 * end), a Redis prefix of its own, percentiles, and a plain-text table printer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createBackofficeQueues } from '../backoffice-layer/index.js';
import type { ChannelDeps, HubTables } from '../channel-layer/index.js';
import {
  createDatabase,
  createLogger,
  createRedis,
  deleteKeysMatching,
  hubRedisPrefix,
  loadConfig,
  migrate,
  systemClock,
  withDatabaseName,
  type DatabaseHandle,
} from '../shared/index.js';

export const BENCH_ADMIN_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_REDIS_URL =
  process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BenchDatabase {
  deps: ChannelDeps;
  handle: DatabaseHandle<HubTables>;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * The environment of an `omnihub api` or `omnihub worker` child on the bench's database and Redis prefix, as
 * deployed (`NODE_ENV=production`, errors logged only), with `extra` added (e.g. `PORT: '0'`).
 */
export function hubEnv(bench: BenchDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: bench.databaseUrl,
    REDIS_URL: bench.deps.redisUrl,
    OMNIHUB_REDIS_PREFIX: bench.deps.redisPrefix,
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    OMNIHUB_ADMIN_KEY: 'bench-admin-key-0123456789',
    ...extra,
  };
}

/**
 * Creates `omnihub_bench_<name>_<id>` (a file copy of database `template` when given, which no one may be
 * connected to), migrates it, and returns backoffice deps on it.
 */
export async function createBenchDatabase(
  name: string,
  opts: { poolSize?: number; template?: string } = {},
): Promise<BenchDatabase> {
  const id = randomBytes(4).toString('hex');
  const dbName = `omnihub_bench_${name}_${id}`;
  const admin = new pg.Client({ connectionString: BENCH_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(
      opts.template
        ? `CREATE DATABASE "${dbName}" TEMPLATE "${opts.template}" STRATEGY FILE_COPY`
        : `CREATE DATABASE "${dbName}"`,
    );
  } finally {
    await admin.end();
  }
  const databaseUrl = withDatabaseName(BENCH_ADMIN_URL, dbName);
  const handle = createDatabase<HubTables>(databaseUrl, {
    max: opts.poolSize ?? 20,
    applicationName: `omnihub-bench-${name}`,
  });
  await migrate(handle.pool);
  const redis = createRedis(BENCH_REDIS_URL);
  const redisPrefix = hubRedisPrefix(`bench${id}`);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: BENCH_REDIS_URL,
    OMNIHUB_REDIS_PREFIX: redisPrefix,
  });
  const queues = createBackofficeQueues(redis, redisPrefix);
  const deps: ChannelDeps = {
    config,
    db: handle.db,
    pool: handle.pool,
    redis,
    redisUrl: BENCH_REDIS_URL,
    redisPrefix,
    clock: systemClock,
    logger: createLogger('silent', 'omnihub-bench'),
    queues,
  };
  return {
    deps,
    handle,
    databaseUrl,
    close: async () => {
      await queues.close();
      await deleteKeysMatching(redis, `${redisPrefix}:*`);
      redis.disconnect();
      await handle.close();
      const a = new pg.Client({ connectionString: BENCH_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Nearest-rank percentile of a list of numbers (p in 0–100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Runs `worker` on `concurrency` loops for `durationMs`; returns per-operation latencies (ms) and the rate.
 */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  worker: (loop: number, i: number) => Promise<void>,
): Promise<{ ops: number; perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        await worker(loop, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  return { ops: latencies.length, perSecond: (latencies.length * 1000) / elapsed, latencies };
}

/** Prints rows as an aligned plain-text table (and returns it, for the README). */
export function printTable(title: string, header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>) =>
    `| ${r.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ')} |`;
  const out = [
    `\n${title}`,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
  process.stdout.write(`${out}\n`);
  return out;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

/**
 * Starts a Node process (another port's server, or an `omnihub` command) and resolves once it says it is
 * ready: with the port it listens on, or 0 for a worker. Rejects if it exits first. `onOutput`, when given,
 * sees every chunk of its standard output from the first.
 */
export function startChild(
  args: string[],
  env: Record<string, string | undefined>,
  onOutput?: (chunk: string) => void,
): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      onOutput?.(d.toString());
      out += d.toString();
      const m = /(?:listening |localhost:)(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
      else if (out.includes('worker ready')) resolve({ child, port: 0 });
    });
    child.once('exit', (c) => reject(new Error(`child exited (${c})`)));
  });
}

/**
 * `omnihub <command>` as child-process arguments; with BENCH_PROFILE=1 it writes a CPU profile to
 * /tmp/omnihub-prof/<profile> (the command's name unless another is given); BENCH_NODE_FLAGS adds Node
 * flags (space-separated, e.g. `--max-semi-space-size=32`) to every hub process, to compare V8 settings.
 */
export function omnihubArgs(command: 'api' | 'worker', profile: string = command): string[] {
  return [
    ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=/tmp/omnihub-prof/${profile}`] : []),
    ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''),
    'bin/omnihub.js',
    command,
  ];
}

/** What an `omnihub worker` logged when it had rebuilt the read model: its duration (ms) and SKUs. */
export interface RebuildLogged {
  ms: number;
  skus: number;
}

/**
 * Starts an `omnihub worker` process on the bench's database (info logs) and resolves once it is ready, with
 * `built`: resolves when it logs that it rebuilt the read model from PostgreSQL (as a worker does at start
 * when the model is missing), and rejects if the worker exits first.
 */
export async function startWorker(
  bench: BenchDatabase,
  profile = 'worker',
): Promise<{ child: ChildProcess; built: Promise<RebuildLogged> }> {
  let lines = '';
  let onBuilt: (logged: RebuildLogged) => void = () => undefined;
  let onExit: (e: Error) => void = () => undefined;
  const built = new Promise<RebuildLogged>((resolve, reject) => {
    onBuilt = resolve;
    onExit = reject;
  });
  const { child } = await startChild(
    omnihubArgs('worker', profile),
    hubEnv(bench, { LOG_LEVEL: 'info' }),
    (chunk) => {
      lines += chunk;
      for (let nl = lines.indexOf('\n'); nl >= 0; nl = lines.indexOf('\n')) {
        const line = lines.slice(0, nl);
        lines = lines.slice(nl + 1);
        if (line.includes('read model rebuilt from PostgreSQL')) onBuilt(JSON.parse(line) as RebuildLogged);
      }
    },
  );
  child.once('exit', (c) => onExit(new Error(`the worker exited (${c})`)));
  built.catch(() => undefined); // a caller that stopped waiting is not told of the exit at shutdown
  return { child, built };
}

/** A process's resident memory now and at its peak (VmRSS, VmHWM), in MB; 0 when it is gone. */
export async function rssOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb('VmRSS') / 1000), peak: Math.round(kb('VmHWM') / 1000) };
}

/**
 * Runs several closed loops by turns — `rounds` rounds, each giving every loop `roundMs` in the same order —
 * and returns each loop's totals, as closedLoop does: on a machine whose load drifts, runs compared by
 * ratio then share the same conditions.
 */
export async function interleavedLoops(
  concurrency: number,
  rounds: number,
  roundMs: number,
  workers: ReadonlyArray<(loop: number, i: number) => Promise<void>>,
): Promise<Array<{ ops: number; perSecond: number; latencies: number[] }>> {
  const totals = workers.map(() => ({ ops: 0, ms: 0, latencies: [] as number[] }));
  for (let r = 0; r < rounds; r++) {
    for (const [w, worker] of workers.entries()) {
      const t0 = performance.now();
      const run = await closedLoop(concurrency, roundMs, worker);
      const total = totals[w]!;
      total.ms += performance.now() - t0;
      total.ops += run.ops;
      for (const l of run.latencies) total.latencies.push(l);
    }
  }
  return totals.map((t) => ({ ops: t.ops, perSecond: (t.ops * 1000) / t.ms, latencies: t.latencies }));
}

/**
 * POSTs a GraphQL request body to an API node on 127.0.0.1 (`/graphql`, keep-alive through `agent`) with a
 * channel client's key; resolves with the status and the text of the answer (rejects only when the
 * connection fails).
 */
export function postGraphql(
  agent: http.Agent,
  port: number,
  key: string,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${key}`,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
