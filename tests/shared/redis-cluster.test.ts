import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createReadModel,
  readModelWatermark,
  reserveStock,
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  verifyReadModel,
} from '../../backoffice-layer/index.js';
import { startWorkerNode } from '../../channel-layer/index.js';
import {
  assertNoEviction,
  countInWindow,
  createRedis,
  deleteKeysMatching,
  hubRedisPrefix,
  isRedisUrl,
  loadConfig,
  parseRedisUrl,
  redactRedisUrl,
  redisMasters,
  redisReachable,
  type Redis,
} from '../../shared/index.js';
import { createBackofficeTestContext, testProduct, until } from '../support/backoffice.js';
import { startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster.js';

/** Every key of `pattern` on each master (a master's SCAN sees only its own slots). */
async function keysByMaster(redis: Redis, pattern: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const node of await redisMasters(redis)) {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    if (keys.length > 0) out.set(`${node.options.host}:${node.options.port}`, keys);
  }
  return out;
}

describe('the REDIS_URL and the hub prefix', () => {
  it('names one server, or a cluster by two or more of its nodes', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({
      kind: 'server',
      url: 'redis://127.0.0.1:6379',
    });
    expect(parseRedisUrl('rediss://:s%40cret@a.example:7000, rediss://b.example:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a.example', port: 7000 },
        { host: 'b.example', port: 7001 },
      ],
      options: { password: 's@cret', tls: {} },
    });
    for (const bad of [
      '',
      'http://a:1',
      'redis://a:1,http://b:2',
      'redis://a:1,rediss://b:2',
      'redis://a:1/2,redis://b:2',
    ])
      expect(isRedisUrl(bad)).toBe(false);
    expect(redactRedisUrl('redis://u:secret@a:7000,redis://u:secret@b:7001')).toBe(
      'redis://u:***@a:7000,redis://u:***@b:7001',
    );
  });

  it('makes the prefix a hash tag, whether or not it came in braces', () => {
    expect(hubRedisPrefix('omnihub')).toBe('{omnihub}');
    expect(hubRedisPrefix('{omnihub}')).toBe('{omnihub}');
    const config = loadConfig({ REDIS_URL: 'redis://a:7000,redis://b:7001', OMNIHUB_REDIS_PREFIX: 'shop-2' });
    expect(config).toMatchObject({ redisUrl: 'redis://a:7000,redis://b:7001', redisPrefix: '{shop-2}' });
    expect(loadConfig({}).redisPrefix).toBe('{omnihub}');
    expect(loadConfig({ OMNIHUB_REDIS_PREFIX: '{shop-2}' }).redisPrefix).toBe('{shop-2}');
    for (const prefix of ['{shop', 'a}b', '{{a}}', 'a:b'])
      expect(() => loadConfig({ OMNIHUB_REDIS_PREFIX: prefix })).toThrow(/OMNIHUB_REDIS_PREFIX/);
    expect(() => loadConfig({ REDIS_URL: 'redis://a:7000,http://b:7001' })).toThrow(/REDIS_URL/);
  });
});

// A Redis Cluster of three masters of its own (redis-server in cluster mode, redis-cli --cluster create).
describe('on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let redis: Redis;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    redis = createRedis(cluster.url);
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  it('connects to every master, refuses keys of two slots in one command, and takes a hub’s', async () => {
    expect(await redisReachable(cluster.url)).toBe(true);
    expect(await redisReachable('redis://127.0.0.1:1,redis://127.0.0.1:2', 300)).toBe(false);
    expect((await redisMasters(redis)).map((n) => n.options.port).sort()).toEqual([...cluster.ports].sort());
    await expect(redis.mget('a', 'b')).rejects.toThrow(/CROSSSLOT/);
    const p = hubRedisPrefix('slots');
    await redis.mset(`${p}:a`, '1', `${p}:b`, '2');
    expect(await redis.mget(`${p}:a`, `${p}:b`)).toEqual(['1', '2']);
    expect(await countInWindow(redis, `${p}:window`, 60)).toBe(1);
    expect(await countInWindow(redis, `${p}:window`, 60)).toBe(2);
  });

  it('deletes matching keys on every master, but those it keeps', async () => {
    const run = randomBytes(4).toString('hex');
    // One hash tag per key: the keys spread over the masters.
    const keys = Array.from({ length: 30 }, (_, i) => `sweep-${run}:{${i}}`);
    for (const k of keys) await redis.set(k, '1');
    expect((await keysByMaster(redis, `sweep-${run}:*`)).size).toBe(3);
    expect(await deleteKeysMatching(redis, `sweep-${run}:*`, new Set([keys[7]!]))).toBe(29);
    expect([...(await keysByMaster(redis, `sweep-${run}:*`)).values()].flat()).toEqual([keys[7]]);
  });

  it('publishes on the master of the channel’s slot, so notices leave in the order sent', async () => {
    const channel = `${hubRedisPrefix('notices')}:changes`;
    const slot = Number(await redis.cluster('KEYSLOT', channel));
    const owner = (redis as unknown as { slots: string[][] }).slots[slot]![0]!;
    const listener = createRedis(`redis://${owner}`);
    const heard: string[] = [];
    listener.on('message', (_c: string, m: string) => heard.push(m));
    await listener.subscribe(channel);
    try {
      // PUBLISH counts the subscribers of the node that ran it: 1 each time means the owner ran every one.
      for (let i = 0; i < 10; i++) expect(await redis.publish(channel, `single ${i}`)).toBe(1);
      const pipe = redis.pipeline();
      for (let i = 0; i < 10; i++) pipe.publish(channel, `piped ${i}`);
      expect((await pipe.exec())!.map(([, n]) => n)).toEqual(Array(10).fill(1));
      await until(async () => heard.length === 20, 5_000, 'every notice');
      expect(heard).toEqual([
        ...Array.from({ length: 10 }, (_, i) => `single ${i}`),
        ...Array.from({ length: 10 }, (_, i) => `piped ${i}`),
      ]);
    } finally {
      listener.disconnect();
    }
  });

  it('says ready again once its subscriptions moved to another node, and hears notices there', async () => {
    const channel = `${hubRedisPrefix('moved')}:changes`;
    const sub = createRedis(cluster.url, { connectionName: 'cluster-test-moving' });
    const heard: string[] = [];
    let readies = 0;
    sub.on('message', (_c: string, m: string) => heard.push(m));
    sub.on('ready', () => readies++);
    try {
      await sub.subscribe(channel);
      await redis.publish(channel, 'before');
      await until(async () => heard.includes('before'), 5_000, 'the first notice');
      const seen = readies;
      // What a failing node does to the subscriber's connection: it ends.
      let killed = 0;
      for (const node of await redisMasters(redis)) {
        const clients = String(await node.client('LIST')).split('\n');
        const subscriber = (l: string) => / flags=P /.test(l) && / name=\S*cluster-test-moving /.test(l);
        for (const line of clients.filter(subscriber))
          killed += Number(await node.client('KILL', 'ID', /\bid=(\d+)/.exec(line)![1]!));
      }
      expect(killed).toBe(1);
      await until(async () => readies > seen, 5_000, 'ready again');
      await redis.publish(channel, 'after');
      await until(async () => heard.includes('after'), 5_000, 'a notice after the move');
    } finally {
      sub.disconnect();
    }
  });

  it('refuses to run the queues when any master may evict keys, and names it', async () => {
    const [, second] = await redisMasters(redis);
    await assertNoEviction(redis);
    await second!.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      await expect(assertNoEviction(redis)).rejects.toThrow(
        new RegExp(`"allkeys-lru" on 127\\.0\\.0\\.1:${second!.options.port}`),
      );
    } finally {
      await second!.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('runs a hub — writes, worker, read model, queues — with all its keys in one slot', async () => {
    const ctx = await createBackofficeTestContext({ redisUrl: cluster.url });
    const worker = await startWorkerNode(ctx.deps);
    const rm = await createReadModel(ctx.deps, { waitMs: 2000 });
    try {
      await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
      await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
      for (const sku of ['SLOT-1', 'SLOT-2', 'SLOT-3']) {
        await testProduct(ctx, sku);
        await setPrice(ctx.deps, 'base', sku, { amount: 4200, minQuantity: 1 });
        await setStockCount(ctx.deps, sku, 'wh-1', { onHand: 5 });
      }
      const reserved = await reserveStock(
        ctx.deps,
        { lines: [{ sku: 'SLOT-2', locationId: 'wh-1', quantity: 2 }], ttlSeconds: 600 },
        'slot-cart-1',
      );
      await until(
        async () => ((await readModelWatermark(ctx.deps)) ?? -1) >= reserved.revision,
        30_000,
        'the read model to reach the reservation',
      );
      const snap = await rm.getSnapshot(['SLOT-2'], { minRevision: reserved.revision });
      expect(snap.source).toBe('read-model');
      expect(snap.skus.get('SLOT-2')?.stock).toEqual([
        expect.objectContaining({ locationId: 'wh-1', onHand: 5, reserved: 2 }),
      ]);
      expect(await verifyReadModel(ctx.deps)).toEqual([]);

      const byMaster = await keysByMaster(ctx.deps.redis, `${ctx.redisPrefix}:*`);
      expect(byMaster.size).toBe(1);
      const keys = [...byMaster.values()][0]!;
      expect(keys).toEqual(
        expect.arrayContaining([
          `${ctx.redisPrefix}:rm:watermark`,
          `${ctx.redisPrefix}:rm:stock:SLOT-2`,
          `${ctx.redisPrefix}:bull:events:meta`,
          `${ctx.redisPrefix}:bull:reservations:delayed`,
        ]),
      );
      const slots = new Set(
        await Promise.all(keys.map(async (k) => Number(await ctx.deps.redis.cluster('KEYSLOT', k)))),
      );
      expect(slots.size).toBe(1);
    } finally {
      await rm.close();
      await worker.stop();
      await ctx.close();
    }
  }, 90_000);
});
