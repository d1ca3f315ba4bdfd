import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { BackofficeDeps } from '../../backoffice-layer/index.js';
import { DomainError, luaScript, sha256 } from '../../shared/index.js';
import { ClientKeyCache, type ChannelClient } from './clients.js';
import { verifyCustomerToken } from './customer-tokens.js';

/** Requests (HTTP) or operations (WebSocket) per second a client may make unless its scopes say otherwise (`rate:<n>`). */
export const DEFAULT_RATE_PER_SECOND = 200;
/** Key look-ups (keys this node does not remember) one source address may cause per second. */
export const ADDRESS_LOOKUPS_PER_SECOND = 50;
/** Unknown or revoked keys one source address may present per minute before its look-ups stop for the minute. */
export const UNKNOWN_KEYS_PER_MINUTE = 30;

/** What a caller presents at any channel entrance: the `Authorization` value, an optional customer token, its address. */
export interface Credentials {
  authorization: string | undefined;
  customerToken: string | undefined;
  /** The caller's address as {@link callerAddress} names it. */
  address: string;
}

/** A caller let in: its client, and the customer its customer token names (null without one). */
export interface Admitted {
  client: ChannelClient;
  customerId: string | null;
}

/**
 * How to name a caller's address: the socket's peer, or — through proxies `trust` names (config OMNIHUB_TRUST_PROXY) —
 * the address they forwarded in X-Forwarded-For. For HTTP requests and WebSocket upgrades alike.
 * @example const addressOf = callerAddress(['loopback']); addressOf(req) // '203.0.113.7'
 */
export function callerAddress(trust: string[]): (req: IncomingMessage) => string {
  if (trust.length === 0) return (req) => req.socket.remoteAddress ?? 'unknown';
  const trusted = proxyaddr.compile(trust);
  return (req) => proxyaddr(req, trusted);
}

// One round trip each. KEYS: per-second windows (and the address's per-minute failures); ARGV: limits.
const countKnown = luaScript(`local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], 2) end return n`);
const countLookUp = luaScript(`local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], 2) end
  return { n, tonumber(redis.call('GET', KEYS[2]) or '0') }`);
const countUnknown = luaScript(`local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], 60) end return n`);

const BEARER = /^Bearer (\S{16,200})$/;

/**
 * The one door of the channel API, passed by every HTTP request and every WebSocket connection and operation: the
 * client key (remembered briefly per node, see ClientKeyCache), the per-client rate limit shared by every node
 * (Redis, one-second windows), per-address limits on look-ups of keys the node does not know — so a flood of invented
 * keys costs a few PostgreSQL reads, not one each — and the customer token. If Redis cannot answer, limits let callers
 * through rather than refusing them.
 */
export class Gate {
  readonly keys: ClientKeyCache;
  constructor(private readonly deps: BackofficeDeps) {
    this.keys = new ClientKeyCache(deps.db, deps.clock);
  }

  /**
   * @returns the client and customer of a caller allowed in now.
   * @throws DomainError UNAUTHENTICATED (no, unknown or revoked key; a bad customer token), RATE_LIMITED (details
   *   `retryAfterMs`), UNAVAILABLE (PostgreSQL cannot check the key or token now: never claimed to be a wrong key).
   */
  async admit(c: Credentials): Promise<Admitted> {
    const key = BEARER.exec(c.authorization ?? '')?.[1];
    if (!key) throw new DomainError('UNAUTHENTICATED', 'A channel client key is required: Authorization: Bearer <key>', {});
    const client = await this.client(key, c.address);
    await this.withinRate(client);
    if (!c.customerToken) return { client, customerId: null };
    try {
      return { client, customerId: await verifyCustomerToken(this.deps.db, c.customerToken, client.id, this.deps.clock.now()) };
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw this.unavailable(e, 'customer token');
    }
  }

  /** Whether a key still lets its holder in (null: revoked or unknown), as remembered or looked up now; throws when it cannot be checked. */
  async current(key: string): Promise<ChannelClient | null> {
    const known = this.keys.remembered(key);
    return known !== undefined ? known : this.keys.lookUp(key);
  }

  private async client(key: string, address: string): Promise<ChannelClient> {
    const known = this.keys.remembered(key);
    if (known) return known;
    if (known === undefined) {
      const prefix = `${this.deps.redisPrefix}:gate:${sha256(address).slice(0, 32)}`;
      const second = Math.floor(Date.now() / 1000);
      const counts = await countLookUp(this.deps.redis, [`${prefix}:${second}`, `${prefix}:unknown`], []).catch(() => [0, 0]) as [number, number];
      if (counts[0] > ADDRESS_LOOKUPS_PER_SECOND || counts[1] >= UNKNOWN_KEYS_PER_MINUTE) {
        throw new DomainError('RATE_LIMITED', 'Too many unknown keys or key checks from this address; retry shortly', { retryAfterMs: counts[1] >= UNKNOWN_KEYS_PER_MINUTE ? 60_000 : 1_000 });
      }
      let found: ChannelClient | null;
      try {
        found = await this.keys.lookUp(key);
      } catch (e) {
        throw this.unavailable(e, 'client key');
      }
      if (found) return found;
      await countUnknown(this.deps.redis, [`${prefix}:unknown`], []).catch(() => undefined);
    }
    throw new DomainError('UNAUTHENTICATED', 'A channel client key is required: Authorization: Bearer <key> (this one is unknown or revoked)', {});
  }

  private async withinRate(client: ChannelClient): Promise<void> {
    const scope = client.scopes.find((s) => /^rate:\d{1,6}$/.test(s));
    const limit = scope ? Number(scope.slice(5)) : DEFAULT_RATE_PER_SECOND;
    const now = Date.now();
    const second = Math.floor(now / 1000);
    const count = Number(await countKnown(this.deps.redis, [`${this.deps.redisPrefix}:rl:${client.id}:${second}`], []).catch(() => 0));
    if (count > limit) throw new DomainError('RATE_LIMITED', 'Too many requests for this client; retry shortly', { retryAfterMs: (second + 1) * 1000 - now });
  }

  private unavailable(e: unknown, what: string): DomainError {
    this.deps.logger.warn({ err: e }, `could not check a ${what}: answering UNAVAILABLE`);
    return new DomainError('UNAVAILABLE', `The hub cannot check the ${what} right now; retry shortly`, { retryAfterMs: 1_000 });
  }
}
