/**
 * The per-client rate limit taken in leases (channel-layer/clients/rate-lease.ts) against a real Redis: two
 * nodes sharing one client's budget never let more than the limit through in a second, let all of it through
 * under demand, and start again the next second.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { leaseSize, RateLeases } from '../../channel-layer/clients/rate-lease.js';
import { createRedis, GUARD_REDIS_WAIT_MS } from '../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

describe('rate leases', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const node = () =>
    new RateLeases(ctx.deps.redis, (id, second) => `${ctx.deps.redisPrefix}:rl:${id}:${second}`);
  /** How many of `n` requests, spread over `nodes` and asked at once within one second, went through. */
  const granted = async (nodes: RateLeases[], client: string, limit: number, n: number, nowMs: number) =>
    (
      await Promise.all(
        Array.from({ length: n }, (_, i) => nodes[i % nodes.length]!.take(client, limit, nowMs)),
      )
    ).filter(Boolean).length;

  it('takes a fiftieth of the limit at a time, between 1 and 256', () => {
    expect([5, 100, 200, 10_000, 999_999].map(leaseSize)).toEqual([1, 2, 4, 200, 256]);
  });

  it('lets exactly the limit through two nodes in a second, and again the next second', async () => {
    const nodes = [node(), node()];
    const second = 1_800_000_000_000;
    expect(await granted(nodes, 'c-100', 100, 170, second)).toBe(100);
    expect(await granted(nodes, 'c-100', 100, 10, second + 999)).toBe(0);
    expect(await granted(nodes, 'c-100', 100, 60, second + 1000)).toBe(60);
  });

  it('counts one request at a time under small limits', async () => {
    const nodes = [node(), node(), node()];
    const second = 1_800_000_010_000;
    expect(await granted(nodes, 'c-5', 5, 9, second)).toBe(5);
    expect(Number(await ctx.deps.redis.get(`${ctx.deps.redisPrefix}:rl:c-5:${second / 1000}`))).toBe(8);
  });

  it('never lets a lease pass the limit when the limit is not a multiple of the lease', async () => {
    const nodes = [node(), node()];
    const second = 1_800_000_020_000;
    // A limit of 1,001 takes leases of 20: the last lease is cut to what is left.
    expect(await granted(nodes, 'c-1001', 1001, 1500, second)).toBe(1001);
  });

  it('lets a client through at once, for the rest of the second, when Redis cannot answer', async () => {
    // Nothing listens on port 1: the connection queues commands and never answers them.
    const down = createRedis('redis://127.0.0.1:1');
    down.on('error', () => undefined);
    try {
      const leases = new RateLeases(down, (id, second) => `x:rl:${id}:${second}`);
      const second = 1_800_000_030_000;
      const t0 = performance.now();
      expect(await leases.take('c-down', 5, second)).toBe(true);
      expect(performance.now() - t0).toBeLessThan(GUARD_REDIS_WAIT_MS + 200);
      const rest = await Promise.all(Array.from({ length: 20 }, () => leases.take('c-down', 5, second + 10)));
      expect(rest.every(Boolean)).toBe(true);
    } finally {
      down.disconnect();
    }
  });
});
