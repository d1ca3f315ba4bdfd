import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createChannelClient, type ApiNode } from '../../channel-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { TEST_ENV } from '../support/services.js';
import { rawSocket, startNodeIn, within } from '../support/ws.js';

// Case 10 of the security report: invented keys are cheap. Unknown keys are looked up in PostgreSQL only
// until the caller's address has shown UNKNOWN_KEYS_PER_MINUTE of them; after that the gate answers 429
// RATE_LIMITED (over WebSocket: close code 4029) from Redis alone. This file has its own Redis prefix, so the
// address budgets it spends are its own.
describe('a flood of invented client keys', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let admin: pg.Client;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    // Nothing else (no worker) works on this file's database: what it counts are the gate's look-ups.
    await createChannelClient(ctx.deps.db, { name: 'a real client', channel: 'WEB', scopes: [] }, new Date());
    node = await startNodeIn(ctx.deps, 'production');
    admin = new pg.Client({ connectionString: process.env[TEST_ENV.adminUrl] });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await node?.stop(100);
    await ctx.close();
  });

  /**
   * Transactions this file's database has counted (xact_commit + xact_rollback), every one of them included.
   * PostgreSQL 15 backends report their counts at most once a second, and an idle backend that ran something
   * within that second reports it only 10 s later (PGSTAT_IDLE_INTERVAL); pg_stat_force_next_flush() flushes
   * only the calling backend, and a 600 ms wait shows nothing. A backend that ends reports everything at
   * once: so the database's backends (the node's pool, idle) are ended first. The pool opens new connections
   * when next asked; each costs one transaction, counted too.
   */
  const transactions = async (): Promise<number> => {
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [ctx.databaseName],
    );
    for (let i = 0; i < 500; i++) {
      const left = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
        ctx.databaseName,
      ]);
      if (left.rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await admin.query('SELECT pg_stat_clear_snapshot()');
    const r = await admin.query(
      'SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = $1',
      [ctx.databaseName],
    );
    return Number(r.rows[0].n);
  };

  it(
    '10. 3,000 invented keys over HTTP cost fewer than 100 PostgreSQL transactions; past the ' +
      'first 30 they are 429 RATE_LIMITED, not 401',
    async () => {
      const before = await transactions();
      const ask = async (i: number) => {
        const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer bogus-${i}-xxxxxxxxxxxxxxxx`,
          },
          body: '{"query":"{ revision }"}',
        });
        const body = (await res.json()) as { errors?: Array<{ extensions: { code: string } }> };
        return {
          i,
          status: res.status,
          code: body.errors?.[0]?.extensions.code,
          retryAfter: res.headers.get('retry-after'),
        };
      };
      const t0 = performance.now();
      const answers: Array<Awaited<ReturnType<typeof ask>>> = [];
      // The first 50 one at a time (so the 30th unknown key is counted before the 31st is checked), then 20
      // at a time.
      for (let i = 0; i < 50; i++) answers.push(await ask(i));
      for (let i = 50; i < 3_000; i += 20)
        answers.push(
          ...(await Promise.all(Array.from({ length: Math.min(20, 3_000 - i) }, (_, j) => ask(i + j)))),
        );
      const ms = performance.now() - t0;
      const after = await transactions();
      const unauthenticated = answers.filter((a) => a.status === 401);
      const limited = answers.filter((a) => a.status === 429);
      process.stdout.write(
        `3,000 invented keys over HTTP in ${ms.toFixed(0)} ms: ${unauthenticated.length} × 401, ` +
          `${limited.length} × 429; PostgreSQL transactions: ${after - before}\n`,
      );

      expect(answers.length).toBe(3_000);
      expect(after - before).toBeLessThan(100);
      expect(unauthenticated.length).toBeLessThanOrEqual(30);
      expect(unauthenticated.every((a) => a.code === 'UNAUTHENTICATED')).toBe(true);
      // From the 31st key on, every answer is a refusal that names the rate, not the key.
      const late = answers.slice(30);
      expect(
        late
          .filter((a) => a.status !== 429 || a.code !== 'RATE_LIMITED')
          .map((a) => `${a.i}: ${a.status} ${a.code}`),
      ).toEqual([]);
      expect(late.every((a) => Number(a.retryAfter) >= 1)).toBe(true);
    },
  );

  it(
    '10. over WebSocket an invented key is closed with 4401, and past the address\u2019s budget ' +
      'with 4029, without PostgreSQL',
    async () => {
      // Another source address (127.0.0.2), so its budget is fresh whatever the HTTP case spent.
      const before = await transactions();
      const closes: number[] = [];
      for (let i = 0; i < 40; i++) {
        const s = rawSocket(
          node.port,
          { authorization: `Bearer bogus-ws-${i}-xxxxxxxxxxxxxxxx` },
          { localAddress: '127.0.0.2' },
        );
        const closed = await within(s.closed, 5_000, { code: -1, reason: 'still open after 5 s' });
        if (closed.code === -1) s.socket.terminate();
        closes.push(closed.code);
      }
      const after = await transactions();
      process.stdout.write(
        `40 invented keys over WebSocket: close codes ${JSON.stringify(closes)}; PostgreSQL ` +
          `transactions: ${after - before}\n`,
      );
      expect(closes.slice(0, 30)).toEqual(Array.from({ length: 30 }, () => 4401));
      expect(closes.slice(30)).toEqual(Array.from({ length: 10 }, () => 4029));
      expect(after - before).toBeLessThan(100);
    },
  );
});
