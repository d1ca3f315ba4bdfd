import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { luaScript } from '../../shared/index.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.close();
});

describe('Lua scripts run by SHA', () => {
  it('runs, and still runs after Redis forgot its scripts', async () => {
    const add = luaScript(`return redis.call('INCRBY', KEYS[1], ARGV[1])`);
    const key = `${ctx.redisPrefix}:lua-counter`;
    expect(await add(ctx.deps.redis, [key], [2])).toBe(2);
    expect(await add(ctx.deps.redis, [key], [3])).toBe(5);
    await ctx.deps.redis.script('FLUSH'); // what a Redis restart does to cached scripts
    expect(await add(ctx.deps.redis, [key], [4])).toBe(9);
  });
});
