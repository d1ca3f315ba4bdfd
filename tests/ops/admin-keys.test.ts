/**
 * The admin API checks its keys as the channel API does (one KeyGuard): invented keys cost a few PostgreSQL
 * reads per address, then RATE_LIMITED; a known key is remembered; a key that cannot be checked is
 * UNAVAILABLE.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import { registerAdminKey } from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { UNKNOWN_KEYS_PER_MINUTE } from '../../shared/index.js';
import type { HubTables } from '../../channel-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

describe('admin keys', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let queries = 0;
  const ADMIN_KEY = 'admin-keys-test-key-0123456789';

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await registerAdminKey(ctx.deps.db, ADMIN_KEY, 'ops', new Date());
    const countingDb = new Kysely<HubTables>({
      dialect: new PostgresDialect({ pool: ctx.deps.pool }),
      plugins: [new CamelCasePlugin()],
      log: () => {
        queries++;
      },
    });
    // Behind a trusted proxy, so each test names its own caller address.
    node = await startApiNode(
      { ...ctx.deps, db: countingDb, config: { ...ctx.deps.config, trustProxy: ['loopback'] } },
      0,
      '127.0.0.1',
    );
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  const get = async (key: string, from: string) => {
    const res = await fetch(`http://127.0.0.1:${node.port}/admin/v1/products`, {
      headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': from },
    });
    return { status: res.status, code: ((await res.json()) as { code?: string }).code };
  };

  it(
    'answers invented keys from one address with RATE_LIMITED once it has shown 30, without ' +
      'reading PostgreSQL for each',
    async () => {
      queries = 0;
      const answers: string[] = [];
      for (let i = 0; i < 200; i++)
        answers.push(`${(await get(`invented-admin-key-${i}-xxxxxxxxxxxx`, '203.0.113.7')).status}`);
      expect(answers.slice(0, UNKNOWN_KEYS_PER_MINUTE)).toEqual(Array(UNKNOWN_KEYS_PER_MINUTE).fill('403'));
      expect(new Set(answers.slice(UNKNOWN_KEYS_PER_MINUTE))).toEqual(new Set(['429']));
      expect(queries).toBeLessThanOrEqual(UNKNOWN_KEYS_PER_MINUTE + 2);
      // Another address is not held back; a known key is read once, then remembered.
      queries = 0;
      expect(await get(ADMIN_KEY, '198.51.100.20')).toEqual({ status: 200, code: undefined });
      const afterFirst = queries;
      for (let i = 0; i < 20; i++) expect((await get(ADMIN_KEY, '198.51.100.20')).status).toBe(200);
      // each request's own query, no key look-up again
      expect(queries - afterFirst).toBe(20 * (afterFirst - 1));
      expect(await get('invented-admin-key-x-xxxxxxxxxxxx', '198.51.100.21')).toEqual({
        status: 403,
        code: 'FORBIDDEN',
      });
    },
  );

  it(
    'lets 100 requests that arrive together with a key the ' + 'node does not know yet share one look-up',
    async () => {
      const { key } = await createChannelClient(
        ctx.deps.db,
        { name: 'busy backend', channel: 'CALL_CENTER', scopes: ['rate:1000'] },
        new Date(),
      );
      queries = 0;
      const statuses = await Promise.all(
        Array.from(
          { length: 100 },
          async () =>
            (
              await fetch(`http://127.0.0.1:${node.port}/graphql`, {
                method: 'POST',
                headers: {
                  'content-type': 'application/json',
                  authorization: `Bearer ${key}`,
                  'x-forwarded-for': '198.51.100.30',
                },
                body: JSON.stringify({ query: '{ locations { id } }' }),
              })
            ).status,
        ),
      );
      expect(new Set(statuses)).toEqual(new Set([200]));
      // One read of the key, then one query per request for its answer.
      expect(queries).toBe(1 + 100);
    },
  );
});
