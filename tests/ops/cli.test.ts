import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { upsertProduct } from '../../backoffice-layer/index.js';
import { CHANNEL_KINDS, CONFIG_ENV_VARS } from '../../shared/index.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

/** Runs `omnihub <args>` as a real process against this file's database and Redis prefix. */
function omnihub(
  ctx: TestContext,
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/omnihub.js', ...args], {
    env: {
      ...process.env,
      DATABASE_URL: ctx.databaseUrl,
      REDIS_URL: ctx.redisUrl,
      OMNIHUB_REDIS_PREFIX: ctx.redisPrefix,
      LOG_LEVEL: 'warn',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the omnihub command line', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('prints help', async () => {
    const run = omnihub(ctx, ['help']);
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/Usage: omnihub <command>/);
    expect(run.output()).toMatch(/seed/);
  });

  it('names in its help every variable the hub reads and every channel a client can have', async () => {
    const run = omnihub(ctx, ['help']);
    expect(await run.exited).toBe(0);
    const named = (word: string) => new RegExp(`(^|[^A-Z_])${word}([^A-Z_]|$)`).test(run.output());
    expect(CONFIG_ENV_VARS.filter((v) => !named(v))).toEqual([]);
    expect(CHANNEL_KINDS.filter((c) => !named(c))).toEqual([]);
    expect(CONFIG_ENV_VARS).toContain('OMNIHUB_RETENTION_DAYS');
  });

  it('refuses a stray argument, an unknown option and an option without its value, in words', async () => {
    for (const [args, said] of [
      [
        ['seed', 'extra'],
        'omnihub: omnihub seed takes no arguments; unexpected: "extra" (run "omnihub help")\n',
      ],
      [
        ['import', 'a.csv', 'b.csv'],
        'omnihub: omnihub import takes one FILE; unexpected: "b.csv" (run "omnihub help")\n',
      ],
      [['migrate', '--bogus'], 'omnihub: unknown option --bogus; run "omnihub help" for the options\n'],
      [['import', '--kind'], 'omnihub: option --kind needs a value; run "omnihub help"\n'],
    ] as const) {
      const run = omnihub(ctx, [...args]);
      expect({ code: await run.exited, output: run.output() }).toEqual({ code: 1, output: said });
    }
  });

  it('rejects an unknown command with a clear message and a non-zero exit', async () => {
    const run = omnihub(ctx, ['frobnicate']);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/unknown command "frobnicate"/);
  });

  it('never seeds a configured database on start, and says when its catalogue is empty', async () => {
    // a database of its own: the start prints its admin key, which the next test wants
    const own = await createTestContext();
    try {
      const hub = omnihub(own, ['start']);
      await waitFor(() => /hub \(API \+ worker\) ready/.test(hub.output()), 30_000);
      expect(hub.output()).toMatch(/The catalogue is empty\. `omnihub seed` loads the demo retailer/);
      expect(hub.output()).not.toMatch(/Seeded the demo retailer/);
      expect(await own.deps.db.selectFrom('products').select('sku').execute()).toEqual([]);
      hub.child.kill('SIGTERM');
      expect(await hub.exited).toBe(0);
    } finally {
      await own.close();
    }
  });

  it(
    'seeds, then serves an API node that reports ready, ' + 'prints the admin key, and drains on SIGTERM',
    async () => {
      const seed = omnihub(ctx, ['seed']);
      expect(await seed.exited).toBe(0);
      expect(seed.output()).toMatch(/Seeded the demo retailer: 252 SKUs/);
      expect(seed.output()).toMatch(/Seeded 13 demo orders: deliveries and pickups in every state/);

      const api = omnihub(ctx, ['api']);
      await waitFor(() => /listening:\s+http:\/\/localhost:\d+/.test(api.output()), 30_000);
      const port = Number(/localhost:(\d+)/.exec(api.output())![1]);
      expect(api.output()).toMatch(/Admin API key \(shown once/);
      const key = /Admin API key[^\n]*\n\s+(\S+)/.exec(api.output())![1]!;
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      const audit = await fetch(`http://127.0.0.1:${port}/admin/v1/audit`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(audit.status).toBe(200);
      const client = omnihub(ctx, ['create-client', '--channel', 'STORE', '--location', 'ams-01']);
      expect(await client.exited).toBe(0);
      const clientKey = /key \(shown once\): (\S+)/.exec(client.output())![1]!;
      const gql = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${clientKey}` },
        body: JSON.stringify({ query: '{ locations { id } }' }),
      });
      expect(((await gql.json()) as { data: { locations: unknown[] } }).data.locations).toHaveLength(7);
      // Scopes come with the key: here the back end that signs customers in.
      const signIn = omnihub(ctx, [
        'create-client',
        '--channel',
        'WEB',
        '--name',
        'sign-in',
        '--scopes',
        'customer-tokens,rate:500',
      ]);
      expect(await signIn.exited).toBe(0);
      expect(
        await ctx.deps.db
          .selectFrom('channelClients')
          .select('scopes')
          .where('name', '=', 'sign-in')
          .execute(),
      ).toEqual([{ scopes: ['customer-tokens', 'rate:500'] }]);
      // A product with no price yet (first in SKU order) does not make a consistent hub fail the check.
      await upsertProduct(ctx.deps, 'AAA-NO-PRICE-YET', {
        name: 'Nieuw',
        category: 'coats',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      const check = omnihub(ctx, ['consistency-check', '--url', `http://127.0.0.1:${port}`]);
      expect(await check.exited).toBe(0);
      expect(check.output()).toMatch(/All 5 channels agree: equal revision, equal fingerprint\./);
      expect(check.output()).toMatch(/Read model not built/);
      // A bulk import through the command line: bad rows make the exit code 2, good rows land.
      const { writeFile } = await import('node:fs/promises');
      const feed = `${ctx.databaseName}-stock.csv`;
      await writeFile(`/tmp/${feed}`, 'sku,locationId,onHand\nNK-ACC-MUTS-ORANGE,ams-01,7\nNOPE,ams-01,1\n');
      const imp = omnihub(ctx, ['import', `/tmp/${feed}`]);
      expect(await imp.exited).toBe(2);
      expect(imp.output()).toMatch(/2 rows — 1 changed, 0 unchanged, 1 rejected/);
      expect(imp.output()).toMatch(/line 3: unknown SKU NOPE/);
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
    },
  );

  it('names the setting at fault when the database or Redis URL is wrong or does not answer', async () => {
    for (const [env, said] of [
      [{ DATABASE_URL: 'garbage' }, /DATABASE_URL: DATABASE_URL must be a PostgreSQL URL/],
      [{ REDIS_URL: 'notaurl' }, /REDIS_URL: REDIS_URL must be a Redis URL/],
      [
        { DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/db' },
        new RegExp(
          'PostgreSQL does not answer at DATABASE_URL=postgres:\\/\\/u:\\*\\*\\*@127\\.0\\.0\\.1:1\\/db ' +
            '\\(.*ECONNREFUSED',
        ),
      ],
    ] as const) {
      const run = omnihub(ctx, ['migrate'], env);
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(said);
      expect(run.output()).not.toMatch(/secret|\n\s+at /);
    }
  });

  it(
    'refuses a channel client key as OMNIHUB_ADMIN_KEY ' + 'before serving, and warns of a revoked one',
    async () => {
      const client = omnihub(ctx, ['create-client', '--channel', 'WEB']);
      expect(await client.exited).toBe(0);
      const webKey = /key \(shown once\): (\S+)/.exec(client.output())![1]!;
      const refused = omnihub(ctx, ['api'], { OMNIHUB_ADMIN_KEY: webKey });
      expect(await refused.exited).toBe(1);
      expect(refused.output()).toMatch(/channel client/i);
      expect(refused.output()).not.toMatch(/ready|undefined|\n\s+at /);

      const revokedValue = `ohk_admin_${'r'.repeat(32)}`;
      const first = omnihub(ctx, ['api'], { OMNIHUB_ADMIN_KEY: revokedValue });
      await waitFor(() => /API node ready/.test(first.output()), 30_000);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      await ctx.deps.db
        .updateTable('adminKeys')
        .set({ revokedAt: new Date() })
        .where('name', '=', 'OMNIHUB_ADMIN_KEY')
        .execute();
      const again = omnihub(ctx, ['api'], { OMNIHUB_ADMIN_KEY: revokedValue });
      await waitFor(() => /API node ready/.test(again.output()), 30_000);
      expect(again.output()).toMatch(/Warning: OMNIHUB_ADMIN_KEY is revoked and opens nothing/);
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    },
  );
});
