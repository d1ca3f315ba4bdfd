import {
  ADMIN_KEY_LENGTH,
  authenticateAdminKey,
  hasChannelKeyPrefix,
  type BackofficeDeps,
} from '../../backoffice-layer/index.js';
import { bearerToken, DomainError, KeyGuard } from '../../shared/index.js';
import { adminAsClient, authenticateChannelClient, scopeLimit, type ChannelClient } from './clients.js';
import { verifyCustomerToken } from './customer-tokens.js';
import { RateLeases } from './rate-lease.js';

/**
 * Requests (HTTP) or operations (WebSocket) per second a client may make unless its scopes say otherwise
 * (`rate:<n>`).
 */
export const DEFAULT_RATE_PER_SECOND = 200;

/**
 * What a caller presents at any channel entrance: the `Authorization` value, an optional customer token, its
 * address.
 */
export interface Credentials {
  authorization: string | undefined;
  customerToken: string | undefined;
  /** The caller's address as `callerAddress` (shared/key-guard.ts) names it. */
  address: string;
}

/**
 * A caller let in: its client, and the customer its customer token names and until when (null without one).
 */
export interface Admitted {
  client: ChannelClient;
  customerId: string | null;
  tokenExpiresAt: Date | null;
}

/**
 * The key an `Authorization: Bearer <key>` value carries, if it has the shape of a client key or an admin key
 * (the admin API's bounds, 1 to 512 characters; scheme in any case, one or more spaces before the key):
 * anything else is refused before any look-up.
 */
export function bearerKey(authorization: string | undefined): string | undefined {
  return bearerToken(authorization, ADMIN_KEY_LENGTH) ?? undefined;
}

/**
 * What a key stands for on the channel API: a channel client, or an admin key as a CONSOLE caller with every
 * console area (adminAsClient). A key shaped as a channel key (`ohk_<channel>_`) is looked up as a client key
 * only; any other as an admin key, then as a client key (a client key of an older shape).
 */
async function lookUpCaller(deps: BackofficeDeps, key: string): Promise<ChannelClient | null> {
  if (hasChannelKeyPrefix(key)) return (await authenticateChannelClient(deps.db, key)) ?? null;
  const admin = await authenticateAdminKey(deps.db, key, deps.clock.now());
  if (admin) return adminAsClient(admin);
  return (await authenticateChannelClient(deps.db, key)) ?? null;
}

/**
 * The one door of the channel API, passed by every HTTP request and every WebSocket connection and operation:
 * the client key, or an admin key let in as a CONSOLE caller with every console area (a KeyGuard: remembered
 * briefly per node, look-ups of unknown keys limited per source address), the per-client rate limit shared
 * by every node (Redis, one-second windows, taken by each node in leases: rate-lease.ts; if Redis cannot
 * answer, callers are let through rather than refused), and the customer token. Refusals for the rate count
 * in `deps.metrics` as `omnihub_rate_limited_total{reason="client-rate"}` (the key guard's under its own
 * reasons).
 */
export class Gate {
  readonly keys: KeyGuard<ChannelClient>;
  private readonly rate: RateLeases;
  constructor(private readonly deps: BackofficeDeps) {
    this.keys = new KeyGuard(deps, 'client', (key) => lookUpCaller(deps, key));
    this.rate = new RateLeases(deps.redis, (id, second) => `${deps.redisPrefix}:rl:${id}:${second}`);
  }

  /**
   * @returns the client and customer of a caller allowed in now.
   * @throws DomainError UNAUTHENTICATED (no, unknown or revoked key; a bad customer token), RATE_LIMITED
   *   (details `retryAfterMs`), UNAVAILABLE (PostgreSQL cannot check the key or token now: never claimed to
   * be a wrong key).
   */
  async admit(c: Credentials): Promise<Admitted> {
    const key = bearerKey(c.authorization);
    if (!key)
      throw new DomainError(
        'UNAUTHENTICATED',
        'A channel client key is required: Authorization: Bearer <key>',
        {},
      );
    const client = await this.keys.check(key, c.address);
    if (!client)
      throw new DomainError(
        'UNAUTHENTICATED',
        'This channel client key is not valid: it is unknown or was revoked',
        {},
      );
    await this.withinRate(client);
    if (!c.customerToken) return { client, customerId: null, tokenExpiresAt: null };
    try {
      const { customerId, expiresAt } = await verifyCustomerToken(
        this.deps.db,
        c.customerToken,
        client.id,
        this.deps.clock.now(),
      );
      return { client, customerId, tokenExpiresAt: expiresAt };
    } catch (e) {
      if (e instanceof DomainError) throw e;
      this.deps.logger.warn({ err: e }, 'could not check a customer token: answering UNAVAILABLE');
      throw new DomainError(
        'UNAVAILABLE',
        'The hub cannot check the customer token right now; retry shortly',
        { retryAfterMs: 1_000 },
      );
    }
  }

  private async withinRate(client: ChannelClient): Promise<void> {
    const limit = scopeLimit(client, 'rate', DEFAULT_RATE_PER_SECOND);
    const now = Date.now();
    if (await this.rate.take(client.id, limit, now)) return;
    this.deps.metrics?.rateLimited.inc({ reason: 'client-rate' });
    throw new DomainError('RATE_LIMITED', 'Too many requests for this client; retry shortly', {
      retryAfterMs: (Math.floor(now / 1000) + 1) * 1000 - now,
    });
  }
}
