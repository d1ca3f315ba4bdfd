import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createChannelClient, type ApiNode } from '../../channel-layer/index.js';
import express from 'express';
import {
  EXPLORER_CSP,
  EXPLORER_DIR,
  explorerBuilt,
  explorerRoutes,
} from '../../channel-layer/http/explorer.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { seedCoat } from '../support/channel.js';
import { startNodeIn } from '../support/ws.js';
import { CHROMIUM } from '../../scripts/chromium.js';

/** Set to a path (docs/explorer.png) to keep a screenshot of the explorer with an answer, for the README. */
const SCREENSHOT = process.env.OMNIHUB_EXPLORER_SCREENSHOT;

describe('the GraphQL explorer (development), in Chromium', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let key: string;
  let userDataDir: string;
  let browser: BrowserContext;
  let page: Page;
  /** Every console error and every CSP violation the page reported. */
  const problems: string[] = [];
  const url = (p: string) => `http://127.0.0.1:${node.port}${p}`;

  beforeAll(async () => {
    // `npm install` builds the explorer (prepare → build); a checkout installed without scripts, or whose
    // explorer/ changed since, builds it here.
    if (!explorerBuilt() || buildIsStale()) {
      const built = spawnSync('npm', ['run', 'build:explorer'], { encoding: 'utf8' });
      if (built.status !== 0)
        throw new Error(`npm run build:explorer failed:\n${built.stdout}${built.stderr}`);
    }
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps, { amount: 12995, onHand: 5 });
    key = (
      await createChannelClient(ctx.deps.db, { name: 'explorer', channel: 'CONSOLE', scopes: [] }, new Date())
    ).key;
    node = await startNodeIn(ctx.deps, 'development');
    userDataDir = mkdtempSync(path.join(tmpdir(), 'omnihub-explorer-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      ...CHROMIUM,
      viewport: { width: 1280, height: 720 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await node?.stop(100);
    await ctx?.close();
  });

  it(
    'serves the page with a self-only CSP at /explorer and at GET /graphql for a browser; ' +
      'GraphQL requests still get GraphQL',
    async () => {
      for (const p of ['/explorer', '/graphql']) {
        const res = await fetch(url(p), {
          headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(res.headers.get('content-security-policy')).toBe(EXPLORER_CSP);
        expect(await res.text()).toContain('/explorer/assets/main.js');
      }
      const script = await fetch(url('/explorer/assets/main.js'));
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toMatch(/javascript/);

      // JSON wanted, or no preference (fetch's */*), or a GraphQL GET with its query: GraphQL answers, as
      // without the explorer.
      for (const [p, accept] of [
        ['/graphql', 'application/json'],
        ['/graphql', '*/*'],
        ['/graphql?query=%7Brevision%7D', 'text/html'],
      ] as const) {
        const res = await fetch(url(p), { headers: { accept } });
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/json/);
        expect(
          ((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions
            .code,
        ).toBe('UNAUTHENTICATED');
      }
      const withKey = await fetch(url('/graphql?query=%7Brevision%7D'), {
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${key}`,
          'apollo-require-preflight': 'true',
        },
      });
      expect(withKey.status).toBe(200);
      expect(((await withKey.json()) as { data: { revision: string } }).data.revision).toMatch(/^\d+$/);
    },
  );

  it(
    'loads the schema by introspection with the pasted key, shows it in the docs, and runs an ' +
      'offer query',
    async () => {
      await page.goto(url('/graphql'));
      await page.getByLabel('Channel client key').fill(key);
      await page.getByRole('button', { name: 'Connect' }).click();
      await page.getByText(/Connected: schema loaded \(\d+ types\)/).waitFor({ timeout: 20_000 });

      // The toolbar's icons are titled by their names, not by minified identifiers ("d9 icon").
      const titles = await page.locator('.graphiql-container svg title').allTextContents();
      expect(titles.length).toBeGreaterThan(0);
      for (const title of titles) expect(title).toMatch(/^[A-Za-z]{3,}(?: [A-Za-z]+)* icon$/);
      await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
      await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().click();
      await expect(
        page.locator('.graphiql-doc-explorer').getByText('offer', { exact: true }).first().isVisible(),
      ).resolves.toBe(true);

      await typeQuery(
        page,
        'Offer',
        [
          'query Offer {',
          '  offer(sku: "COAT-M") {',
          '    sku',
          '    price {',
          '      final {',
          '        amount',
          '        formatted',
          '      }',
          '    }',
          '    availability {',
          '      online { available }',
          '    }',
          '    revision',
          '  }',
          '}',
        ].join('\n'),
      );
      await page.locator('.graphiql-execute-button').click();
      const response = page.locator('.graphiql-response');
      await response.getByText('"amount": 12995').waitFor({ timeout: 20_000 });
      expect(await response.innerText()).toMatch(/"available": 5/);
      if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT });
    },
  );

  it('runs a subscription over graphql-ws with the key in the connection params', async () => {
    await typeQuery(
      page,
      'CoatPrice',
      'subscription CoatPrice { offerChanged(sku: "COAT-M") { sku price { final { amount } } } }',
    );
    await page.locator('.graphiql-execute-button').click();
    // offerChanged sends the current offer at once.
    await page.locator('.graphiql-response').getByText('"offerChanged"').waitFor({ timeout: 20_000 });
    expect(await page.locator('.graphiql-response').innerText()).toMatch(/"amount": 12995/);
    await page.locator('.graphiql-execute-button').click(); // stops the subscription
  });

  it('reported no console error and no CSP violation', () => {
    expect(problems).toEqual([]);
  });

  it('tells a refused key apart on the page', async () => {
    await page.getByLabel('Channel client key').fill('ohk_console_not-a-key');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByText('The hub refused this key or customer token (401)').waitFor({ timeout: 20_000 });
  });

  it(
    'sends a pasted customer token as X-Customer-Token over HTTP and as customerToken in the ' +
      'graphql-ws connection params',
    async () => {
      const token = 'a-customer-token-as-pasted';
      await page.getByLabel('Channel client key').fill(key);
      await page.getByLabel('Customer token (optional)').fill(token);
      const introspection = page.waitForRequest((r) => r.url().endsWith('/graphql') && r.method() === 'POST');
      await page.getByRole('button', { name: 'Connect' }).click();
      const headers = (await introspection).headers();
      expect(headers.authorization).toBe(`Bearer ${key}`);
      expect(headers['x-customer-token']).toBe(token);

      const sent: string[] = [];
      page.once('websocket', (ws) =>
        ws.on('framesent', (f) => {
          sent.push(String(f.payload));
        }),
      );
      await typeQuery(page, 'WithToken', 'subscription WithToken { offerChanged(sku: "COAT-M") { sku } }');
      await page.locator('.graphiql-execute-button').click();
      // The hub refuses a token it did not issue (it closes the socket): what matters here is what the page
      // sent.
      await page
        .locator('.graphiql-response')
        .getByText(/4401|UNAUTHENTICATED/)
        .first()
        .waitFor({ timeout: 20_000 });
      const init = sent
        .map((f) => JSON.parse(f) as { type: string; payload?: unknown })
        .find((m) => m.type === 'connection_init');
      expect(init?.payload).toEqual({ authorization: `Bearer ${key}`, customerToken: token });
    },
  );

  it(
    'is not served in production: /explorer is a 404, and a browser\u2019s GET /graphql gets the ' +
      'JSON 401 as any caller',
    async () => {
      const prod = await startNodeIn(ctx.deps, 'production');
      try {
        const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
        const explorer = await fetch(`http://127.0.0.1:${prod.port}/explorer`, { headers: html });
        expect(explorer.status).toBe(404);
        expect(
          await fetch(`http://127.0.0.1:${prod.port}/explorer/assets/main.js`).then((r) => r.status),
        ).toBe(404);
        const graphql = await fetch(`http://127.0.0.1:${prod.port}/graphql`, { headers: html });
        expect(graphql.status).toBe(401);
        expect(graphql.headers.get('content-type')).toMatch(/json/);
      } finally {
        await prod.stop(100);
      }
    },
  );
});

/** Whether a file of explorer/ changed after dist/explorer/ was built. */
function buildIsStale(): boolean {
  const built = statSync(path.join(EXPLORER_DIR, 'index.html')).mtimeMs;
  const sources = path.resolve(EXPLORER_DIR, '../../explorer');
  return readdirSync(sources).some((f) => statSync(path.join(sources, f)).mtimeMs > built);
}

/**
 * Replaces the query editor's text with `query`, as pasted (no bracket auto-closing), and waits until
 * GraphiQL has taken it in: its tab is then named after the operation, `name`.
 */
async function typeQuery(page: Page, name: string, query: string): Promise<void> {
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(query);
  await page.locator('.graphiql-tab').getByText(name, { exact: true }).waitFor({ timeout: 10_000 });
}

describe('the GraphQL explorer without its build', () => {
  it(
    'answers 503 telling the developer to run npm run build, at /explorer and for a browser at ' +
      '/graphql; GraphQL requests pass on',
    async () => {
      const missing = mkdtempSync(path.join(tmpdir(), 'omnihub-explorer-missing-'));
      const explorer = explorerRoutes(missing);
      const app = express();
      app.use('/explorer', explorer.router);
      app.use('/graphql', explorer.forBrowsers, (_req, res) => {
        res.status(401).json({ errors: [{ message: 'as today' }] });
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      try {
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        expect(explorerBuilt(missing)).toBe(false);
        for (const p of ['/explorer', '/graphql']) {
          const res = await fetch(`${base}${p}`, { headers: { accept: 'text/html' } });
          expect(res.status).toBe(503);
          expect(await res.text()).toMatch(/not built yet: run `npm run build`/);
        }
        expect((await fetch(`${base}/graphql`, { headers: { accept: 'application/json' } })).status).toBe(
          401,
        );
      } finally {
        server.close();
        rmSync(missing, { recursive: true, force: true });
      }
    },
  );
});
