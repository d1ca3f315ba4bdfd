import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { snapshotFromDatabase } from '../../backoffice-layer/index.js';
import { bootstrapRuntime } from '../../channel-layer/index.js';
import { createLogger, loadConfig } from '../../shared/index.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

const NOWHERE = 'postgres://u:secret@127.0.0.1:1/db';

describe('DATABASE_DIRECT_URL and DATABASE_REPLICA_URL', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });
  const env = (more: Record<string, string>) => ({
    NODE_ENV: 'test',
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.redisUrl,
    OMNIHUB_REDIS_PREFIX: ctx.redisPrefix,
    ...more,
  });

  it('reads both as PostgreSQL URLs, absent when empty, and refuses them without DATABASE_URL', () => {
    expect(loadConfig(env({}))).toMatchObject({
      databaseDirectUrl: undefined,
      databaseReplicaUrl: undefined,
    });
    expect(loadConfig(env({ DATABASE_DIRECT_URL: '', DATABASE_REPLICA_URL: '' }))).toMatchObject({
      databaseDirectUrl: undefined,
      databaseReplicaUrl: undefined,
    });
    expect(
      loadConfig(
        env({ DATABASE_DIRECT_URL: 'postgres://a@db:5432/h', DATABASE_REPLICA_URL: 'postgresql://r/h' }),
      ),
    ).toMatchObject({ databaseDirectUrl: 'postgres://a@db:5432/h', databaseReplicaUrl: 'postgresql://r/h' });
    expect(() =>
      loadConfig(env({ DATABASE_DIRECT_URL: 'db:6432', DATABASE_REPLICA_URL: 'redis://r' })),
    ).toThrow(
      new RegExp(
        'DATABASE_DIRECT_URL: DATABASE_DIRECT_URL must be a PostgreSQL URL[^]*' +
          'DATABASE_REPLICA_URL: DATABASE_REPLICA_URL must be a PostgreSQL URL',
      ),
    );
    for (const name of ['DATABASE_DIRECT_URL', 'DATABASE_REPLICA_URL'])
      expect(() => loadConfig({ [name]: 'postgres://db/h' })).toThrow(`${name}: needs DATABASE_URL`);
  });

  it('without them, uses DATABASE_URL for everything and reads no replica', async () => {
    const rt = await bootstrapRuntime(loadConfig(env({})), { logger: createLogger('silent') });
    try {
      expect(rt.deps.directPool).toBeUndefined();
      expect(rt.deps.replica).toBeUndefined();
    } finally {
      await rt.close();
    }
  });

  it('names DATABASE_DIRECT_URL, without its password, when it does not answer', async () => {
    const failed = await bootstrapRuntime(loadConfig(env({ DATABASE_DIRECT_URL: NOWHERE })), {
      logger: createLogger('silent'),
    }).then(
      () => 'started',
      (e: unknown) => (e as Error).message,
    );
    expect(failed).toMatch(
      new RegExp(
        '^PostgreSQL does not answer at ' +
          'DATABASE_DIRECT_URL=postgres://u:\\*\\*\\*@127\\.0\\.0\\.1:1/db \\(.*ECONNREFUSED',
      ),
    );
    expect(failed).not.toMatch(/secret/);
  });

  it('starts with a replica that does not answer, and reads the primary', async () => {
    const rt = await bootstrapRuntime(loadConfig(env({ DATABASE_REPLICA_URL: NOWHERE })), {
      logger: createLogger('silent'),
    });
    try {
      const read = await snapshotFromDatabase(rt.deps.db, ['COAT-M'], {
        minRevision: 0,
        sections: [],
        replica: rt.deps.replica,
      });
      expect(read.source).toBe('database');
      expect(rt.deps.replica?.counts).toEqual({ served: 0, behind: 0, unavailable: 1 });
    } finally {
      await rt.close();
    }
  });
});
