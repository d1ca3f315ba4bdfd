import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startWorkerNode, type WorkerNode } from '../../channel-layer/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';

/**
 * Runs the worker container's health check (deploy/worker-healthcheck.mjs) as Docker would; its exit code and
 * stderr.
 */
function healthCheck(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['deploy/worker-healthcheck.mjs'],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (error, _stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr });
      },
    );
  });
}

describe('the worker container\u2019s health check', () => {
  let ctx: BackofficeTestContext;
  let worker: WorkerNode | undefined;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await worker?.stop();
    await ctx.close();
  });

  it(
    'is healthy only while a worker of this host holds its ' + 'queues in Redis, under its own prefix',
    async () => {
      const env = { REDIS_URL: ctx.redisUrl, OMNIHUB_REDIS_PREFIX: ctx.redisPrefix };
      const before = await healthCheck(env);
      expect(before).toEqual({ code: 1, stderr: expect.stringContaining(`${ctx.redisPrefix}:bull:`) });

      worker = await startWorkerNode(ctx.deps);
      await until(
        async () => (await healthCheck(env)).code === 0,
        15_000,
        'the health check to pass with a worker running',
      );
      // Another hub's worker on the same Redis is not this one.
      expect((await healthCheck({ ...env, OMNIHUB_REDIS_PREFIX: `${ctx.redisPrefix}-other` })).code).toBe(1);

      await worker.stop();
      worker = undefined;
      await until(
        async () => (await healthCheck(env)).code === 1,
        15_000,
        'the health check to fail once the worker stopped',
      );
    },
  );

  it('is unhealthy, and says why, when Redis does not answer', async () => {
    const r = await healthCheck({ REDIS_URL: 'redis://127.0.0.1:1', OMNIHUB_REDIS_PREFIX: ctx.redisPrefix });
    expect(r).toEqual({ code: 1, stderr: expect.stringMatching(/^Redis: /) });
  });
});
