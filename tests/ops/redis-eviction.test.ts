import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bootstrapRuntime } from '../../channel-layer/index.js';
import { createLogger, loadConfig, startLocalRedis, type LocalRedisHandle } from '../../shared/index.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

// QUALITY F4: a Redis that may evict keys could silently drop queued events, so the hub refuses to start on
// one.
describe('Redis with an eviction policy', () => {
  let ctx: TestContext;
  let redis: LocalRedisHandle;
  beforeAll(async () => {
    ctx = await createTestContext();
    redis = await startLocalRedis(20000 + Math.floor(Math.random() * 20000));
  });
  afterAll(async () => {
    await redis.stop();
    await ctx.close();
  });

  it('refuses to start the queues and says why', async () => {
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    admin.disconnect();
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: ctx.databaseUrl, REDIS_URL: redis.url });
    await expect(bootstrapRuntime(config, { logger: createLogger('silent') })).rejects.toThrow(
      /maxmemory-policy is "allkeys-lru".*noeviction/,
    );
  });

  it('starts once the policy is noeviction', async () => {
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    admin.disconnect();
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: ctx.databaseUrl, REDIS_URL: redis.url });
    const rt = await bootstrapRuntime(config, { logger: createLogger('silent') });
    expect(rt.describe.redis).toContain(redis.url.replace('redis://', ''));
    await rt.close();
  });
});
