import AxeBuilder from '@axe-core/playwright';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM } from '../../scripts/chromium.js';
import {
  registerAdminKey,
  seedDemoOrders,
  seedDemoRetailer,
  startBackofficeWorker,
  type BackofficeWorker,
} from '../../backoffice-layer/index.js';
import { createChannelClient, type ApiNode } from '../../channel-layer/index.js';
import { journeyWorkerOptions, seedDemoJourney } from '../../journey-layer/index.js';
import { ensureConsoleBuilt } from './console-build.js';
import { createBackofficeTestContext, type BackofficeTestContext } from './backoffice.js';
import { startNodeIn } from './ws.js';

export { CHROMIUM };

/** A desktop's viewport and a store tablet's (portrait). */
export const DESKTOP = { width: 1366, height: 900 };
export const TABLET = { width: 800, height: 1200 };

/**
 * A hub for the console's browser tests: its own database and Redis prefix with the demo retailer (catalogue,
 * stores, members, orders), an API node serving /console, a worker (so changes reach every channel), an admin
 * key, and Chromium.
 */
export interface ConsoleHub {
  ctx: BackofficeTestContext;
  node: ApiNode;
  worker: BackofficeWorker;
  adminKey: string;
  /** `http://127.0.0.1:<port><p>`. */
  url(p: string): string;
  /**
   * Calls the admin REST with `key` (default: the admin key): its status and parsed JSON body (undefined
   * when empty).
   */
  admin(
    method: string,
    path: string,
    body?: unknown,
    key?: string,
  ): Promise<{ status: number; body: unknown }>;
  /** A CONSOLE client key with `scopes` (`console:<area>[:write]`, `location:<id>`). */
  consoleKey(name: string, scopes: string[]): Promise<string>;
  /**
   * A new page (its own browser context: its own sessionStorage) at `viewport`; every console error, failed
   * request (4xx/5xx) and uncaught exception is collected in `problems`.
   */
  newPage(viewport?: { width: number; height: number }): Promise<ConsolePage>;
  close(): Promise<void>;
}

/** A page and what went wrong on it. */
export interface ConsolePage {
  page: Page;
  problems: string[];
}

/** Starts a ConsoleHub (see there). `nodeEnv` production shows the console is served there too. */
export async function startConsoleHub(
  opts: { nodeEnv?: 'production' | 'development' } = {},
): Promise<ConsoleHub> {
  ensureConsoleBuilt();
  const ctx = await createBackofficeTestContext();
  await seedDemoRetailer(ctx.deps);
  await seedDemoJourney(ctx.deps);
  await seedDemoOrders(ctx.deps);
  const adminKey = 'console-test-admin-key-0123456789abcdef';
  await registerAdminKey(ctx.deps.db, adminKey, 'console test admin', new Date());
  const worker = await startBackofficeWorker(ctx.deps, {
    ...journeyWorkerOptions(ctx.deps),
    relayPollMs: 50,
  });
  const node = await startNodeIn(ctx.deps, opts.nodeEnv ?? 'production');
  const browser = await chromium.launch({ ...CHROMIUM });
  const contexts: BrowserContext[] = [];
  return {
    ctx,
    node,
    worker,
    adminKey,
    url: (p) => `http://127.0.0.1:${node.port}${p}`,
    admin: async (method, path, body, key = adminKey) => {
      const res = await fetch(`http://127.0.0.1:${node.port}/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
    consoleKey: async (name, scopes) =>
      (await createChannelClient(ctx.deps.db, { name, channel: 'CONSOLE', scopes }, new Date())).key,
    newPage: async (viewport = DESKTOP) => {
      const context = await browser.newContext({ viewport, locale: 'en-GB' });
      contexts.push(context);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
      return { page, problems };
    },
    close: async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await node.stop(100);
      await worker.stop();
      await ctx.close();
    },
  };
}

/** Opens the console and signs in with `key`; waits for the signed-in shell and the page it opened. */
export async function signIn(hub: ConsoleHub, page: Page, key: string, at = '/console'): Promise<void> {
  await page.goto(hub.url(at));
  await page.getByLabel('Key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  // Pages load on first use: signed in means the page (every page starts with its h1) is there.
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

/**
 * The axe-core violations of serious or critical impact on the page as it is now (WCAG 2.1 A and AA rules),
 * as `<rule>: <target>` lines; a test expects none.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${v.help})`));
}
