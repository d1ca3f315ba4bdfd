import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Cluster, Redis as RedisServer, type RedisOptions } from 'ioredis';
import { DomainError } from '../errors.js';

/**
 * A connection to Redis as {@link createRedis} opens it from a REDIS_URL: to one Redis server (ioredis
 * `Redis`) or to a Redis Cluster (ioredis `Cluster`). Both take the same commands; on a cluster a command,
 * pipeline, transaction or script that names several keys must name keys of one hash slot, which every key
 * under one {@link hubRedisPrefix} is.
 */
export type Redis = RedisServer | Cluster;

/** One node of a Redis Cluster, as REDIS_URL names it. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/**
 * What a REDIS_URL names: one Redis server (`redis://host:6379`), or a Redis Cluster through two or more of
 * its nodes (`redis://a:7000,redis://b:7001,…`; the rest are discovered). Credentials and TLS (`rediss:`) of
 * a cluster come from its first URL and apply to every node.
 */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | {
      kind: 'cluster';
      nodes: RedisNodeAddress[];
      options: Pick<RedisOptions, 'username' | 'password' | 'tls'>;
    };

/** Splits a REDIS_URL into its URLs (one for a server, several for a cluster's nodes). */
const urlsOf = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Whether one URL is a `redis:` / `rediss:` URL with a host. */
function singleRedisUrl(value: string): URL | null {
  try {
    const u = new URL(value);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '' ? u : null;
  } catch {
    return null;
  }
}

/**
 * Whether a REDIS_URL is well formed: one `redis://` or `rediss://` URL with a host, or a comma-separated
 * list of them (a cluster's nodes: one protocol, no database number other than 0, as a cluster has only
 * database 0).
 */
export function isRedisUrl(value: string): boolean {
  const urls = urlsOf(value).map(singleRedisUrl);
  if (urls.length === 0 || urls.some((u) => u === null)) return false;
  if (urls.length === 1) return true;
  return urls.every((u) => u!.protocol === urls[0]!.protocol && ['', '/', '/0'].includes(u!.pathname));
}

/**
 * Reads a REDIS_URL (see {@link RedisTarget}); throws on one {@link isRedisUrl} refuses.
 * @example parseRedisUrl('redis://127.0.0.1:7000,redis://127.0.0.1:7001').kind // 'cluster'
 */
export function parseRedisUrl(value: string): RedisTarget {
  if (!isRedisUrl(value)) throw new Error('not a Redis URL (or a comma-separated list of them)');
  const urls = urlsOf(value).map((u) => new URL(u));
  if (urls.length === 1) return { kind: 'server', url: urlsOf(value)[0]! };
  const first = urls[0]!;
  return {
    kind: 'cluster',
    nodes: urls.map((u) => ({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) })),
    options: {
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
      ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}

/**
 * The same REDIS_URL with every password replaced by `***`, for logs and messages.
 * @example redactRedisUrl('redis://:secret@a:7000,redis://:secret@b:7001') // 'redis://:***@a:7000,…'
 */
export function redactRedisUrl(value: string): string {
  return urlsOf(value)
    .map((one) => {
      const u = singleRedisUrl(one);
      if (!u) return one;
      if (u.password) u.password = '***';
      return u.toString();
    })
    .join(',');
}

/**
 * The key prefix of one hub, as a Redis Cluster hash tag: `omnihub` → `{omnihub}` (one already in braces is
 * kept). Every key and queue of the hub starts with it, so on a cluster they all hash to one slot — and every
 * script, transaction, pipeline and multi-key command of the hub is allowed there. On one Redis server the
 * braces are only part of the name.
 * @example hubRedisPrefix('omnihub') // '{omnihub}'
 */
export function hubRedisPrefix(name: string): string {
  return /^\{[^{}]+\}$/.test(name) ? name : `{${name}}`;
}

/** How `createRedis` opens a connection. */
export interface RedisConnectionOptions {
  /** Connect on the first command or `connect()` instead of at once (false). */
  lazyConnect?: boolean;
  /** The name the connection gives itself (`CLIENT SETNAME`), so `CLIENT LIST` tells its purpose. */
  connectionName?: string;
}

/**
 * Opens an ioredis connection suited to BullMQ (no per-request retry cap, so blocking commands survive
 * reconnects; it reconnects for ever with ioredis' back-off). Fit for producers, BullMQ workers and
 * subscribers alike. A REDIS_URL that lists several nodes opens a Redis Cluster connection (ioredis
 * `Cluster`, reading and writing on the masters), one URL a connection to that server.
 * @example const redis = createRedis('redis://127.0.0.1:6379', { connectionName: 'omnihub:events' });
 */
export function createRedis(url: string, opts: RedisConnectionOptions = {}): Redis {
  const target = parseRedisUrl(url);
  const name = opts.connectionName ? { connectionName: opts.connectionName } : {};
  const r: Redis =
    target.kind === 'server'
      ? new RedisServer(target.url, {
          maxRetriesPerRequest: null,
          enableReadyCheck: true,
          lazyConnect: opts.lazyConnect ?? false,
          ...name,
        })
      : announceResubscribes(
          routePublishesBySlot(
            new Cluster(target.nodes, {
              enableReadyCheck: true,
              lazyConnect: opts.lazyConnect ?? false,
              redisOptions: { ...target.options, maxRetriesPerRequest: null, ...name },
            }),
          ),
        );
  // Connection errors are surfaced through failing commands and /readyz; an unhandled 'error' would crash the
  // process.
  r.on('error', () => undefined);
  return r;
}

/** PUBLISH with its channel as the script's key, so a cluster runs it on the master of the channel's slot. */
const PUBLISH_IN_SLOT = `return redis.call('PUBLISH', KEYS[1], ARGV[1])`;

/**
 * Makes a cluster connection publish on the master of the channel's hash slot (itself, its pipelines and
 * transactions), where ioredis would pick any node. A hub's channels carry its hash tag, so its notices all
 * leave from the master that holds its keys, in the order it ran them: one published after a write is never
 * overtaken by one published before it, as it could be when two nodes forward them over the cluster bus.
 */
function routePublishesBySlot(cluster: Cluster): Cluster {
  type Message = string | Buffer;
  const inPipeline = <P>(p: P): P => {
    const chain = p as { eval?: (script: string, keys: number, ...args: Message[]) => unknown };
    if (typeof chain.eval === 'function') {
      const run = chain.eval.bind(chain);
      Object.assign(chain, {
        publish: (channel: Message, m: Message) => run(PUBLISH_IN_SLOT, 1, channel, m),
      });
    }
    return p;
  };
  const pipeline = cluster.pipeline.bind(cluster);
  const multi = cluster.multi.bind(cluster) as (...args: unknown[]) => unknown;
  return Object.assign(cluster, {
    publish: (channel: Message, m: Message) => cluster.eval(PUBLISH_IN_SLOT, 1, channel, m),
    pipeline: (commands?: unknown[][]) => inPipeline(pipeline(commands)),
    multi: (...args: unknown[]) => inPipeline(multi(...args)),
  });
}

/**
 * Makes a cluster connection that subscribed say `ready` again once its subscriptions moved to another node
 * and are in place there, as a connection to one server says `ready` after a reconnect: whoever listens
 * learns that notices may have been missed meanwhile (the read model drops what it cached on `ready`).
 * ioredis re-subscribes on another node when the subscriber's node goes away, but says nothing; this hooks
 * its subscriber selection (ioredis 5's `ClusterSubscriber`) and leaves the connection as it is where that
 * is not there.
 */
function announceResubscribes(cluster: Cluster): Cluster {
  type Selector = { selectSubscriber?: () => void; getInstance?: () => RedisServer | null };
  const selector = (cluster as unknown as { subscriber?: Selector }).subscriber;
  if (typeof selector?.selectSubscriber !== 'function' || typeof selector.getInstance !== 'function')
    return cluster;
  let subscribed = false;
  for (const method of ['subscribe', 'psubscribe'] as const) {
    const original = cluster[method].bind(cluster) as (...args: unknown[]) => unknown;
    Object.assign(cluster, {
      [method]: (...args: unknown[]) => {
        subscribed = true;
        return original(...args);
      },
    });
  }
  const select = selector.selectSubscriber.bind(selector);
  selector.selectSubscriber = () => {
    select();
    const instance = selector.getInstance!();
    if (!subscribed || !instance) return;
    // Its re-subscriptions were queued first: the PING's answer comes after theirs.
    instance.ping().then(
      () => {
        if (cluster.status === 'ready') cluster.emit('ready');
      },
      () => undefined,
    );
  };
  return cluster;
}

/**
 * The connections to every master of a cluster (connecting first when the cluster connection has not yet),
 * or the one connection to a Redis server: where a command that reads or changes the whole key space (SCAN,
 * KEYS, CONFIG, FLUSHDB, SCRIPT FLUSH) must go to reach all of it.
 */
export async function redisMasters(redis: Redis): Promise<RedisServer[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.nodes('master').length === 0) await redis.ping();
  return redis.nodes('master');
}

/**
 * A Lua script for Redis, run by its SHA-1 (`EVALSHA`): its text travels only when Redis does not hold it
 * yet.
 */
export type LuaScript = (
  redis: Redis,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
) => Promise<unknown>;

/**
 * Makes a Lua script that runs by its SHA-1 and falls back to `EVAL` (which also caches it in Redis) when
 * Redis answers NOSCRIPT — after a restart or `SCRIPT FLUSH`.
 * @example const incr = luaScript(`return redis.call('INCR', KEYS[1])`); await incr(redis, ['k'], []);
 */
export function luaScript(source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis, keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('NOSCRIPT'))
        return redis.eval(source, keys.length, ...keys, ...args);
      throw e;
    }
  };
}

const incrementInWindow = luaScript(
  `local n = redis.call('INCRBY', KEYS[1], ARGV[2]) ` +
    `if n == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n`,
);

/**
 * Counts `by` events (1 unless given) under `key`, a window that expires by itself `ttlSeconds` after its
 * first
 * count, in one round trip (rate limits, failure budgets, leases of a rate limit). @returns the count in the
 * window so far, these included.
 */
export async function countInWindow(redis: Redis, key: string, ttlSeconds: number, by = 1): Promise<number> {
  return Number(await incrementInWindow(redis, [key], [ttlSeconds, by]));
}

/**
 * Queues must not lose jobs: Redis must never evict keys. Refuses to go on (and says why) under any other
 * policy — on a cluster, on any of its masters.
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  for (const node of await redisMasters(redis)) {
    const res = (await node.config('GET', 'maxmemory-policy')) as string[];
    const policy = res[1];
    if (policy !== undefined && policy !== 'noeviction') {
      const where = redis instanceof Cluster ? ` on ${node.options.host}:${node.options.port}` : '';
      throw new DomainError(
        'UNAVAILABLE',
        `Redis maxmemory-policy is "${policy}"${where}; Omnihub's queues need "noeviction" ` +
          '(set it with: CONFIG SET maxmemory-policy noeviction, or in redis.conf), ' +
          'otherwise Redis could silently drop queued events',
        { policy },
      );
    }
  }
}

/**
 * Deletes every key matching a glob pattern (e.g. `{omnihub}:rm:*`) but those in `keep`, with SCAN so Redis
 * is never blocked (a page of keys at a time: not atomic) — on a cluster, SCAN on every master, as each holds
 * only its own slots' keys. Returns how many were deleted.
 */
export async function deleteKeysMatching(
  redis: Redis,
  pattern: string,
  keep: ReadonlySet<string> = new Set(),
): Promise<number> {
  const cluster = redis instanceof Cluster;
  let deleted = 0;
  for (const node of await redisMasters(redis)) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const keys = found.filter((k) => !keep.has(k));
      if (keys.length === 0) continue;
      if (!cluster) {
        deleted += await node.del(...keys);
        continue;
      }
      // A master's keys may lie in several slots, and one DEL may name one slot's keys only.
      const pipe = node.pipeline();
      for (const k of keys) pipe.del(k);
      for (const [err, n] of (await pipe.exec()) ?? []) {
        if (err) throw err;
        deleted += Number(n);
      }
    } while (cursor !== '0');
  }
  return deleted;
}

/**
 * Is Redis answering at this REDIS_URL — the server, or (a list of nodes) a cluster whose every slot is
 * served (`cluster_state:ok`)?
 */
export async function redisReachable(url: string, timeoutMs = 1500): Promise<boolean> {
  const target = parseRedisUrl(url);
  const r: Redis =
    target.kind === 'server'
      ? new RedisServer(target.url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          connectTimeout: timeoutMs,
          retryStrategy: () => null,
        })
      : new Cluster(target.nodes, {
          lazyConnect: true,
          clusterRetryStrategy: () => null,
          slotsRefreshTimeout: timeoutMs,
          redisOptions: { ...target.options, maxRetriesPerRequest: 0, connectTimeout: timeoutMs },
        });
  r.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs * 2);
  });
  const probe = (async () => {
    await r.connect();
    if (r instanceof Cluster) return /cluster_state:ok/.test(String(await r.cluster('INFO')));
    return (await r.ping()) === 'PONG';
  })().catch(() => false);
  try {
    return await Promise.race([probe, deadline]);
  } finally {
    clearTimeout(timer);
    r.disconnect();
  }
}

/** A `redis-server` child process started by {@link startLocalRedis}. */
export interface LocalRedisHandle {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` from the OS packages as a child process (no persistence; the outbox in PostgreSQL is
 * the durable copy of every event). Fails with a message saying how to get one when the binary is missing.
 */
export async function startLocalRedis(port: number): Promise<LocalRedisHandle> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        new Error(
          e.code === 'ENOENT'
            ? 'No Redis available: nothing answers on REDIS_URL / 127.0.0.1:6379 and `redis-server` is not ' +
                'installed. Install it (Debian/Ubuntu: apt-get install redis-server) or set REDIS_URL.'
            : `could not start redis-server: ${e.message}`,
        ),
      );
    });
  });
  const url = `redis://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      if (await redisReachable(url, 200)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  })();
  await Promise.race([ready, spawnError]);
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * How long a guard waits for Redis before it counts Redis as unable to answer (ms): a connection to a Redis
 * that
 * is down queues its commands, and a request must not wait with them.
 */
export const GUARD_REDIS_WAIT_MS = 250;

/**
 * `call`'s answer, or a rejection once `ms` passed without one: for the guards that let callers through when
 * Redis cannot answer (rate limits, look-up budgets), so that "cannot answer" includes "does not answer".
 * @throws Error when `call` rejects or takes longer than `ms` (the call itself goes on in the background).
 */
export async function answeredWithin<T>(call: Promise<T>, ms = GUARD_REDIS_WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      call,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
