import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Redis } from './redis/redis.js';
import { DomainError } from './errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { sha256 } from './database/write-transaction.js';
import { answeredWithin, countInWindow, luaScript } from './redis/redis.js';

/** Key look-ups (keys a node does not remember) one source address may cause per second, on any API. */
export const ADDRESS_LOOKUPS_PER_SECOND = 50;
/**
 * Unknown or revoked keys one source address may present per minute before its look-ups stop for the minute.
 */
export const UNKNOWN_KEYS_PER_MINUTE = 30;
/**
 * How long a node trusts what it read about a key: a revoked key stops working on every node within this
 * time.
 */
export const KEY_CACHE_MS = 5_000;

/**
 * How to name a caller's address: the socket's peer, or — through proxies `trust` names (config
 * OMNIHUB_TRUST_PROXY) — the address they forwarded in X-Forwarded-For. For HTTP requests and WebSocket
 * upgrades alike.
 * @example const addressOf = callerAddress(['loopback']); addressOf(req) // '203.0.113.7'
 */
export function callerAddress(trust: string[]): (req: IncomingMessage) => string {
  if (trust.length === 0) return (req) => req.socket.remoteAddress ?? 'unknown';
  const trusted = proxyaddr.compile(trust);
  return (req) => proxyaddr(req, trusted);
}

// One round trip: the address's look-ups this second, and its unknown keys this minute.
const countLookUp =
  luaScript(`local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], 2) end
  return { n, tonumber(redis.call('GET', KEYS[2]) or '0') }`);

/**
 * Keys of one kind (channel client keys, admin keys) as a node checks them: what it read is remembered for
 * KEY_CACHE_MS (known and unknown keys alike, by the key's hash, at most 10,000), and looking up a key it
 * does not remember is limited per source address in Redis (shared by every node) — so a flood of invented
 * keys costs a few PostgreSQL reads, not one each. If Redis cannot answer, look-ups are let through rather
 * than refused.
 * @typeParam T what a key stands for (a client, an admin).
 */
export class KeyGuard<T> {
  private readonly cache = new Map<string, { found: T | null; until: number }>();
  private readonly pending = new Map<string, Promise<T | null>>();

  /**
   * @param lookUp reads a key from the database: what it stands for, or null when unknown or revoked.
   * @param name the kind of key, for messages and Redis keys (`client`, `admin`), and for the reason a
   *   refusal is counted under in `deps.metrics` (`<name>-key-lookups`, `<name>-unknown-keys`).
   */
  constructor(
    private readonly deps: {
      redis: Redis;
      redisPrefix: string;
      clock: { now(): Date };
      logger: Logger;
      metrics?: Pick<Metrics, 'rateLimited'>;
    },
    private readonly name: string,
    private readonly lookUp: (key: string) => Promise<T | null>,
    private readonly ttlMs = KEY_CACHE_MS,
  ) {}

  /**
   * What this node still remembers of the key: what it stands for, `null` when known to be unknown or
   * revoked, `undefined` when it must be looked up.
   */
  remembered(key: string): T | null | undefined {
    const hit = this.cache.get(sha256(key));
    if (!hit || hit.until <= this.clock()) return undefined;
    return hit.found;
  }

  /**
   * Forgets at once, on this node, every key remembered as standing for something `matches` picks (e.g. the
   * admin key with a given id), so the next request with it is looked up again: what a revocation or a
   * rotation without grace calls, so it takes effect here now, not after KEY_CACHE_MS (other nodes still
   * within that time).
   * @returns how many remembered keys were forgotten.
   */
  forget(matches: (found: T) => boolean): number {
    let n = 0;
    for (const [hash, hit] of this.cache) {
      if (hit.found !== null && matches(hit.found)) {
        this.cache.delete(hash);
        n++;
      }
    }
    return n;
  }

  /**
   * What `key`, presented from `address`, stands for: remembered, or looked up within the address's budget.
   * @returns null for an unknown or revoked key.
   * @throws DomainError RATE_LIMITED (details `retryAfterMs`) past the address's budget; UNAVAILABLE when the
   *   database cannot answer — never a claim that the key is wrong.
   */
  async check(key: string, address: string): Promise<T | null> {
    const known = this.remembered(key);
    if (known !== undefined) return known;
    // Requests that arrive together with a key the node does not remember share one look-up (and count once).
    return this.shared(key, async () => {
      const prefix = `${this.deps.redisPrefix}:gate:${this.name}:${sha256(address).slice(0, 32)}`;
      const second = Math.floor(Date.now() / 1000);
      const counts = (await answeredWithin(
        countLookUp(this.deps.redis, [`${prefix}:${second}`, `${prefix}:unknown`], []),
      ).catch(() => [0, 0])) as [number, number];
      if (counts[0] > ADDRESS_LOOKUPS_PER_SECOND || counts[1] >= UNKNOWN_KEYS_PER_MINUTE) {
        this.deps.metrics?.rateLimited.inc({
          reason: `${this.name}-${counts[1] >= UNKNOWN_KEYS_PER_MINUTE ? 'unknown-keys' : 'key-lookups'}`,
        });
        throw new DomainError(
          'RATE_LIMITED',
          `Too many unknown ${this.name} keys or key checks from this address; retry shortly`,
          { retryAfterMs: counts[1] >= UNKNOWN_KEYS_PER_MINUTE ? 60_000 : 1_000 },
        );
      }
      const found = await this.readNow(key);
      if (found === null)
        await answeredWithin(countInWindow(this.deps.redis, `${prefix}:unknown`, 60)).catch(() => undefined);
      return found;
    });
  }

  /**
   * What the key stands for now, remembered or read (no address budget: for keys already let in, checked
   * again). @throws UNAVAILABLE
   */
  async current(key: string): Promise<T | null> {
    const known = this.remembered(key);
    return known !== undefined ? known : this.read(key);
  }

  private read(key: string): Promise<T | null> {
    return this.shared(key, () => this.readNow(key));
  }

  /** One look-up of `key` at a time on this node: whoever asks meanwhile waits for the same answer. */
  private shared(key: string, lookUp: () => Promise<T | null>): Promise<T | null> {
    const hash = sha256(key);
    const pending = this.pending.get(hash);
    if (pending) return pending;
    const reading = lookUp().finally(() => this.pending.delete(hash));
    this.pending.set(hash, reading);
    return reading;
  }

  private async readNow(key: string): Promise<T | null> {
    let found: T | null;
    try {
      found = await this.lookUp(key);
    } catch (e) {
      this.deps.logger.warn({ err: e }, `could not check a ${this.name} key: answering UNAVAILABLE`);
      throw new DomainError(
        'UNAVAILABLE',
        `The hub cannot check the ${this.name} key right now; retry shortly`,
        { retryAfterMs: 1_000 },
      );
    }
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(sha256(key), { found, until: this.clock() + this.ttlMs });
    return found;
  }

  private clock(): number {
    return this.deps.clock.now().getTime();
  }
}
