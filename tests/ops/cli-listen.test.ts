import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { upsertLocation, upsertProduct } from '../../backoffice-layer/index.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { freePort, runCli, runCliToEnd, waitForOutput } from './cli-process.js';

describe('omnihub: where it listens, the import progress line, the compiled command line', () => {
  let ctx: TestContext;
  let dir: string;
  const env = (extra: Record<string, string | undefined> = {}) => ({
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.redisUrl,
    OMNIHUB_REDIS_PREFIX: ctx.redisPrefix,
    OMNIHUB_HOST: undefined,
    ...extra,
  });

  beforeAll(async () => {
    ctx = await createTestContext();
    dir = await mkdtemp(path.join(tmpdir(), 'omnihub-listen-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await ctx.close();
  });

  /** Starts `omnihub api`, reads its banner, runs `check`, and stops it. */
  async function withApi(
    extra: Record<string, string | undefined>,
    check: (banner: string, port: number) => Promise<void>,
  ): Promise<void> {
    const port = await freePort();
    const api = runCli(['api'], env({ PORT: String(port), ...extra }));
    try {
      await waitForOutput(api, /listening: .*\n/, 60_000);
      await check(api.output(), port);
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  }

  it('an API node listens on every interface by default, and says so with a URL that answers', async () => {
    await withApi({}, async (banner, port) => {
      expect(banner).toMatch(
        new RegExp(
          `listening: {2}http://localhost:${port}/ {2}\\(every IPv4 interface, 0\\.0\\.0\\.0:${port}[;)]`,
        ),
      );
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      // The URL it prints answers what the node serves, the banner names the staff console and, in
      // development, the explorer.
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).json()).toEqual({
        service: 'omnihub',
        serves: expect.arrayContaining(['/graphql', '/admin/v1', '/console', '/healthz']),
      });
      expect(banner).toMatch(new RegExp(`console: {4}http://localhost:${port}/console`));
      expect(banner).toMatch(new RegExp(`explorer: {3}http://localhost:${port}/explorer`));
    });
  }, 90_000);

  it('OMNIHUB_HOST binds that address only, and the banner names it', async () => {
    // All of 127.0.0.0/8 is this machine: 127.0.0.2 answers, 127.0.0.1 (another address) does not.
    await withApi({ OMNIHUB_HOST: '127.0.0.2' }, async (banner, port) => {
      expect(banner).toContain(
        `listening:  http://127.0.0.2:${port}/  (this machine only: set OMNIHUB_HOST=0.0.0.0 ` +
          `to serve other machines too)`,
      );
      expect((await fetch(`http://127.0.0.2:${port}/healthz`)).status).toBe(200);
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    });
  }, 90_000);

  it('an OMNIHUB_HOST that is no address is refused before anything starts', async () => {
    const run = await runCliToEnd(['api'], env({ OMNIHUB_HOST: 'not an address' }));
    expect(run).toEqual({
      code: 1,
      output:
        'omnihub: Invalid configuration:\n  OMNIHUB_HOST: OMNIHUB_HOST must be an IPv4 or IPv6 ' +
        'address (0.0.0.0, 127.0.0.1, ::) or a host name\n',
    });
  });

  it('on a terminal the import progress bar is redrawn in place: one line, cut to the terminal', async () => {
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertProduct(ctx.deps, 'NK-ACC-MUTS-NAVY', {
      name: 'Muts',
      category: 'accessories',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    const file = path.join(dir, 'stock.csv');
    const rows = Array.from({ length: 30 }, (_, i) => `NK-ACC-MUTS-NAVY,ams-01,${i}`).join('\n');
    await writeFile(file, `sku,locationId,onHand\n${rows}\n`);
    // `script` runs the command on a pseudo-terminal, as a person at a terminal would.
    const run = await runCliToEnd(['import', file], env(), {
      wrap: (argv) => ['script', '-qec', argv.join(' '), '/dev/null'],
    });
    const shown = run.output.split('\n').map(
      (line) =>
        line
          .split('\r')
          .filter((frame) => frame.trim())
          .pop() ?? '',
    );
    const bars = shown.filter((line) => line.includes('%'));
    expect(bars).toEqual([expect.stringMatching(/^\x1b\[2K█+ 100% {2}30 rows {2}[\d,]+ rows\/s$/)]);
    expect(bars[0]!.length).toBeLessThan(80);
    expect(run.output).toMatch(/30 rows — 1 changed, 0 unchanged, 29 superseded by a later row, 0 rejected/);
    expect(run.code).toBe(0);
  }, 60_000);

  // `npm install` builds dist/ (npm's `prepare`), as CI's does; without a build, bin/omnihub.js runs the
  // sources.
  it(
    existsSync('dist/bin/omnihub.js')
      ? 'the compiled command line runs: help, and migrate finding migrations/ from dist/'
      : 'without dist/, bin/omnihub.js runs the sources through tsx',
    async () => {
      const compiled = existsSync('dist/bin/omnihub.js');
      const script = compiled ? 'dist/bin/omnihub.js' : 'bin/omnihub.js';
      const help = await runCliToEnd(['--help'], env(), { script });
      expect(help.code).toBe(0);
      expect(help.output).toMatch(
        new RegExp(
          '^omnihub — omnichannel price, promotion and inventory consistency hub\\n\\n' +
            'Usage: omnihub <command> \\[options\\]',
        ),
      );
      expect(await runCliToEnd(['migrate'], env(), { script })).toEqual({
        code: 0,
        output: 'Migrations are current.\n',
      });
      if (!compiled) return;
      // The compiled hub finds what the build wrote beside it: the explorer (development) answers its page.
      const port = await freePort();
      const api = runCli(['api'], env({ PORT: String(port), NODE_ENV: 'development' }), { script });
      try {
        await waitForOutput(api, /listening: .*\n/, 60_000);
        const page = await fetch(`http://127.0.0.1:${port}/explorer`, { headers: { accept: 'text/html' } });
        expect(page.status).toBe(200);
        expect(await page.text()).toMatch(/<script[^>]+src=/);
      } finally {
        api.child.kill('SIGTERM');
        await api.exited;
      }
    },
    90_000,
  );
});
