/**
 * The WebSocket transport's own limits (the per-client request rate, shared by both transports, is the
 * Gate's: clients/admission.ts): subscriptions per connection, subscriptions per client across every API node
 * (slots in Redis, renewed while held), and pings per second.
 */
import { randomUUID } from 'node:crypto';
import type { BackofficeDeps } from '../../backoffice-layer/index.js';
import { DomainError, luaScript } from '../../shared/index.js';
import { scopeLimit } from '../clients/clients.js';
import type { Connection } from './connection.js';

/** Most subscriptions one WebSocket connection may hold open. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;
/**
 * Most subscriptions one client may hold open across every API node, unless its scopes say otherwise
 * (`subscriptions:<n>`).
 */
export const DEFAULT_SUBSCRIPTIONS_PER_CLIENT = 100;
/**
 * How long a node's claim on a client's subscription slot lasts unless renewed (a node that died frees its
 * slots by this), in milliseconds.
 */
export const SLOT_TTL_MS = 30_000;
/**
 * Pings one connection may send per second (keep-alives need one every few seconds); past it the socket is
 * closed.
 */
const MAX_PINGS_PER_SECOND = 10;

// A client's open subscriptions, cluster-wide: a sorted set of slot → expiry (ms). Expired slots go first.
const claimSlot = luaScript(`redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4]) redis.call('PEXPIRE', KEYS[1], ARGV[5]) return 1`);

/**
 * This node's claims on its clients' subscription slots: one slot per open subscription, named by node,
 * connection and operation, expiring unless renewed (see renew). Redis failing lets subscriptions through.
 */
export class SubscriptionSlots {
  private readonly nodeId = randomUUID();
  constructor(private readonly deps: Pick<BackofficeDeps, 'redis' | 'redisPrefix'>) {}

  private key(clientId: string): string {
    return `${this.deps.redisPrefix}:subs:${clientId}`;
  }

  private slot(c: Connection, id: string): string {
    return `${this.nodeId}:${c.id}:${id}`;
  }

  /**
   * Takes a slot for the subscription `id` of `c` (recorded in `c.subscriptions`), or answers why not.
   * @returns null when taken; RATE_LIMITED (details `maxSubscriptions` for the connection's limit) when not.
   */
  async take(c: Connection, id: string): Promise<DomainError | null> {
    if (c.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION)
      return new DomainError(
        'RATE_LIMITED',
        `At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`,
        { maxSubscriptions: MAX_SUBSCRIPTIONS_PER_CONNECTION },
      );
    // Counted before the claim's round trip, so a burst of subscriptions cannot all pass the check above.
    c.subscriptions.add(id);
    const limit = scopeLimit(c.admitted.client, 'subscriptions', DEFAULT_SUBSCRIPTIONS_PER_CLIENT);
    const now = Date.now();
    const granted = await claimSlot(
      this.deps.redis,
      [this.key(c.admitted.client.id)],
      [now, limit, now + SLOT_TTL_MS, this.slot(c, id), SLOT_TTL_MS * 2],
    ).catch(() => 1);
    if (Number(granted) === 1) return null;
    c.subscriptions.delete(id);
    return new DomainError('RATE_LIMITED', 'This client holds as many subscriptions as it may', {});
  }

  /** Gives back the slot of the subscription `id` of `c`, if it holds one. */
  release(c: Connection, id: string): void {
    if (!c.subscriptions.delete(id)) return;
    void this.deps.redis.zrem(this.key(c.admitted.client.id), this.slot(c, id)).catch(() => undefined);
  }

  /** Extends every slot the connections hold by SLOT_TTL_MS from now (slots no longer in Redis stay gone). */
  async renew(connections: Iterable<Connection>): Promise<void> {
    const byClient = new Map<string, string[]>();
    for (const c of connections) {
      if (c.subscriptions.size === 0) continue;
      const slots = byClient.get(c.admitted.client.id) ?? [];
      for (const id of c.subscriptions) slots.push(String(Date.now() + SLOT_TTL_MS), this.slot(c, id));
      byClient.set(c.admitted.client.id, slots);
    }
    for (const [clientId, slots] of byClient)
      await this.deps.redis.zadd(this.key(clientId), 'XX', ...slots).catch(() => undefined);
  }
}

/**
 * Counts a ping of `c`; false once it sent more than MAX_PINGS_PER_SECOND this second (its socket is closed).
 */
export function withinPingRate(c: Connection): boolean {
  const second = Math.floor(Date.now() / 1000);
  if (c.pings.second !== second) c.pings = { second, count: 0 };
  return ++c.pings.count <= MAX_PINGS_PER_SECOND;
}
