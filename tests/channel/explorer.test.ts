import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createChannelClient, type ApiNode } from '../../channel-layer/index.js';
import { EXPLORER_CSP, explorerBuilt } from '../../channel-layer/http/explorer.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { seedCoat } from '../support/channel.js';
import { startNodeIn } from '../support/ws.js';

/** Debian's Chromium (.ci/run installs it when missing), headless, with nothing of its own running in the background. */
const CHROMIUM = { executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] };
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
    // `npm install` builds the explorer (prepare → build); a checkout installed without scripts builds it here.
    if (!explorerBuilt()) {
      const built = spawnSync('npm', ['run', 'build:explorer'], { encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`npm run build:explorer failed:\n${built.stdout}${built.stderr}`);
    }
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps, { amount: 12995, onHand: 5 });
    key = (await createChannelClient(ctx.deps.db, { name: 'explorer', channel: 'CONSOLE', scopes: [] }, new Date())).key;
    node = await startNodeIn(ctx.deps, 'development');
    userDataDir = mkdtempSync(path.join(tmpdir(), 'omnihub-explorer-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, { ...CHROMIUM, viewport: { width: 1280, height: 720 } });
    page = browser.pages()[0] ?? await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  });
  afterAll(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await node?.stop(100);
    await ctx?.close();
  });

  it('serves the page with a self-only CSP at /explorer and at GET /graphql for a browser; GraphQL requests still get GraphQL', async () => {
    for (const p of ['/explorer', '/graphql']) {
      const res = await fetch(url(p), { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toBe(EXPLORER_CSP);
      expect(await res.text()).toContain('/explorer/assets/main.js');
    }
    const script = await fetch(url('/explorer/assets/main.js'));
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);

    // JSON wanted, or no preference (fetch's */*), or a GraphQL GET with its query: GraphQL answers, as without the explorer.
    for (const [p, accept] of [['/graphql', 'application/json'], ['/graphql', '*/*'], ['/graphql?query=%7Brevision%7D', 'text/html']] as const) {
      const res = await fetch(url(p), { headers: { accept } });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/json/);
      expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    }
    const withKey = await fetch(url('/graphql?query=%7Brevision%7D'), { headers: { accept: 'application/json', authorization: `Bearer ${key}`, 'apollo-require-preflight': 'true' } });
    expect(withKey.status).toBe(200);
    expect(((await withKey.json()) as { data: { revision: string } }).data.revision).toMatch(/^\d+$/);
  });

  it('loads the schema by introspection with the pasted key, shows it in the docs, and runs an offer query', async () => {
    await page.goto(url('/graphql'));
    await page.getByLabel('Channel client key').fill(key);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByText(/Connected: schema loaded \(\d+ types\)/).waitFor({ timeout: 20_000 });

    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().click();
    await expect(page.locator('.graphiql-doc-explorer').getByText('offer', { exact: true }).first().isVisible()).resolves.toBe(true);

    await typeQuery(page, '{ offer(sku: "COAT-M") { sku price { final { amount formatted } } availability { online { available } } } }');
    await page.locator('.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response');
    await response.getByText('"amount": 12995').waitFor({ timeout: 20_000 });
    expect(await response.innerText()).toMatch(/"available": 5/);
    if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT });
  });

  it('runs a subscription over graphql-ws with the key in the connection params', async () => {
    await typeQuery(page, 'subscription { offerChanged(sku: "COAT-M") { sku price { final { amount } } } }');
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
    await page.getByText('The hub refused this key (401)').waitFor({ timeout: 20_000 });
  });

  it('is not served in production: /explorer is a 404, and a browser\u2019s GET /graphql gets the JSON 401 as any caller', async () => {
    const prod = await startNodeIn(ctx.deps, 'production');
    try {
      const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
      const explorer = await fetch(`http://127.0.0.1:${prod.port}/explorer`, { headers: html });
      expect(explorer.status).toBe(404);
      expect(await fetch(`http://127.0.0.1:${prod.port}/explorer/assets/main.js`).then((r) => r.status)).toBe(404);
      const graphql = await fetch(`http://127.0.0.1:${prod.port}/graphql`, { headers: html });
      expect(graphql.status).toBe(401);
      expect(graphql.headers.get('content-type')).toMatch(/json/);
    } finally {
      await prod.stop(100);
    }
  });
});

/** Replaces the query editor's text with `query`, as pasted (no bracket auto-closing), keeping the UI's own editor. */
async function typeQuery(page: Page, query: string): Promise<void> {
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(query);
}
