import { answeredWithin, countInWindow, type Redis } from '../../shared/index.js';

/**
 * Most requests one node takes from a client's shared per-second budget in one Redis call. A node takes a
 * fiftieth of the limit at a time (at least 1, at most this), so a client at its limit costs one Redis call
 * per
 * lease instead of one per request.
 */
export const MAX_LEASE = 256;

/** The share of a per-second limit one node takes at a time (see MAX_LEASE). */
export function leaseSize(limit: number): number {
  return Math.max(1, Math.min(MAX_LEASE, Math.floor(limit / 50)));
}

/** What one node holds of one client's budget in the current second. */
interface Lease {
  second: number;
  /** Requests this node may still let through this second without asking Redis. */
  left: number;
  /** False once Redis said the second's budget is spent: refuse until the next second. */
  open: boolean;
  /** The Redis call under way, shared by every request waiting for it. */
  pending: Promise<void> | null;
}

/**
 * A per-client rate limit shared by every node through Redis (one counter per client and second), taken in
 * leases: a node counts `leaseSize(limit)` requests at once (INCRBY) and lets them through from memory. The
 * counter never passes the limit, so the cluster never lets more than `limit` requests through in a second;
 * what a node leased and did not use is lost to the others, so the limit a client meets can be lower by up
 * to (nodes − 1) × (lease − 1) in a second under load on several nodes (1 to 2 % per node at most).
 * When Redis cannot answer within GUARD_REDIS_WAIT_MS, the client's requests are let through for the rest of
 * that
 * second (as the gate always did), never refused and never held waiting.
 */
export class RateLeases {
  private readonly leases = new Map<string, Lease>();

  /**
   * @param key the Redis key of a client's second (`<prefix>:rl:<client>:<second>`).
   */
  constructor(
    private readonly redis: Redis,
    private readonly key: (clientId: string, second: number) => string,
  ) {}

  /**
   * Takes one request from the budget of `clientId` (at most `limit` per second cluster-wide).
   * @returns true when it may go through now, false when the second's budget is spent.
   */
  async take(clientId: string, limit: number, nowMs: number): Promise<boolean> {
    const second = Math.floor(nowMs / 1000);
    let lease = this.leases.get(clientId);
    if (!lease || lease.second !== second) {
      lease = { second, left: 0, open: true, pending: null };
      this.leases.set(clientId, lease);
      if (this.leases.size > 10_000) this.forgetOld(second);
    }
    while (lease.open && lease.left === 0) {
      lease.pending ??= this.renew(clientId, lease, limit).finally(() => {
        lease.pending = null;
      });
      await lease.pending;
    }
    if (lease.left === 0) return false;
    lease.left--;
    return true;
  }

  private async renew(clientId: string, lease: Lease, limit: number): Promise<void> {
    const size = leaseSize(limit);
    let total: number;
    try {
      total = await answeredWithin(countInWindow(this.redis, this.key(clientId, lease.second), 2, size));
    } catch {
      // Redis cannot count now (down, or commands queued waiting for it): let the rest of this second
      // through.
      lease.left = Number.POSITIVE_INFINITY;
      return;
    }
    const granted = Math.max(0, Math.min(size, limit - (total - size)));
    lease.left += granted;
    if (granted < size) lease.open = false;
  }

  /** Forgets the leases of earlier seconds (a node serving many clients keeps this map small). */
  private forgetOld(second: number): void {
    for (const [id, l] of this.leases) if (l.second !== second && !l.pending) this.leases.delete(id);
  }
}
