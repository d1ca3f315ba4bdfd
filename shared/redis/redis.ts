import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { DomainError } from '../errors.js';

export type { Redis };

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
 * subscribers alike.
 * @example const redis = createRedis('redis://127.0.0.1:6379', { connectionName: 'omnihub:events' });
 */
export function createRedis(url: string, opts: RedisConnectionOptions = {}): Redis {
  const r = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: opts.lazyConnect ?? false,
    ...(opts.connectionName ? { connectionName: opts.connectionName } : {}),
  });
  // Connection errors are surfaced through failing commands and /readyz; an unhandled 'error' would crash the
  // process.
  r.on('error', () => undefined);
  return r;
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
 * policy.
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  const res = (await redis.config('GET', 'maxmemory-policy')) as string[];
  const policy = res[1];
  if (policy !== undefined && policy !== 'noeviction') {
    throw new DomainError(
      'UNAVAILABLE',
      `Redis maxmemory-policy is "${policy}"; Omnihub's queues need "noeviction" ` +
        '(set it with: CONFIG SET maxmemory-policy noeviction, or in redis.conf), ' +
        'otherwise Redis could silently drop queued events',
      { policy },
    );
  }
}

/**
 * Deletes every key matching a glob pattern (e.g. `omnihub:rm:*`) but those in `keep`, with SCAN so Redis is
 * never blocked (a page of keys at a time: not atomic). Returns how many were deleted.
 */
export async function deleteKeysMatching(
  redis: Redis,
  pattern: string,
  keep: ReadonlySet<string> = new Set(),
): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    const keys = found.filter((k) => !keep.has(k));
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Is a Redis server answering at this URL? */
export async function redisReachable(url: string, timeoutMs = 1500): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

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
