import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import express from 'express';
import { CONSOLE_CSP, consoleRoutes } from '../../channel-layer/http/console.js';
import {
  DESKTOP,
  seriousAxeViolations,
  signIn,
  startConsoleHub,
  TABLET,
  type ConsoleHub,
} from '../support/console.js';

jest.setTimeout(120_000);

describe('the staff console: served, signed in, offering what the key may do', () => {
  let hub: ConsoleHub;
  beforeAll(async () => {
    hub = await startConsoleHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('is served by a production API node at /console and below it, from this hub only (CSP)', async () => {
    for (const p of ['/console', '/console/', '/console/customers/some-id']) {
      const res = await fetch(hub.url(p));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      const html = await res.text();
      expect(html).toMatch(/<script type="module" crossorigin src="\/console\/assets\/index-[\w-]+\.js">/);
      expect(html).not.toMatch(/https?:\/\//);
    }
    const missing = await fetch(hub.url('/console/assets/no-such-file.js'));
    expect(missing.status).toBe(404);
  });

  it('refuses a wrong key at sign-in and says so; the page has no axe violations', async () => {
    const { page } = await hub.newPage();
    await page.goto(hub.url('/console'));
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Key').fill('not-a-key-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText(/This key was refused/).textContent()).resolves.toMatch(/refused/);
    expect(await page.getByRole('navigation', { name: 'Pages' }).count()).toBe(0);
  });

  it('an admin key opens every page; sign-out forgets the key', async () => {
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey);
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Pages' });
    for (const name of [
      'Dashboard',
      'Channel mirror',
      'Customers',
      'Orders and fulfilment',
      'Stock and prices',
      'Promotions',
      'Data quality',
      'Audit',
    ])
      await expect(nav.getByRole('link', { name }).count()).resolves.toBe(1);
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toContain('console test admin');
    expect(new URL(page.url()).pathname).toBe('/console/dashboard');
    await page.reload();
    await nav.waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Key').waitFor();
    await page.reload();
    await page.getByLabel('Key').waitFor();
    expect(problems).toEqual([]);
  });

  it('a scoped console key sees only its pages; another page by URL says it is not available', async () => {
    const key = await hub.consoleKey('mirror only', ['console:mirror', 'location:ams-01']);
    const { page } = await hub.newPage();
    await signIn(hub, page, key);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await expect(nav.getByRole('link').allTextContents()).resolves.toEqual(['Channel mirror']);
    await expect(page.getByText('Locations: ams-01').count()).resolves.toBe(1);
    expect(new URL(page.url()).pathname).toBe('/console/mirror');
    await page.goto(hub.url('/console/audit'));
    await page.getByRole('heading', { name: 'Not available' }).waitFor();
  });

  it('speaks Dutch when asked, and keeps the choice', async () => {
    const { page } = await hub.newPage();
    await signIn(hub, page, hub.adminKey);
    await page.getByText('Nederlands').first().click();
    const nav = page.getByRole('navigation', { name: "Pagina's" });
    await nav.getByRole('link', { name: 'Kanaalspiegel' }).waitFor();
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('nl');
    await page.reload();
    await nav.getByRole('link', { name: 'Voorraad en prijzen' }).waitFor();
    await page.getByText('English').first().click();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
  });

  it('folds the navigation behind a button on a store tablet (800 px): the page gets its width', async () => {
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, hub.adminKey);
    const toggle = page.getByRole('button', { name: 'Show or hide the pages' });
    await toggle.waitFor();
    const nav = page.getByRole('navigation', { name: 'Pages' });
    // Folded: the page starts at the left edge and spans the tablet's width.
    const heading = page.getByRole('heading', { level: 1 });
    expect((await heading.boundingBox())?.x).toBeLessThan(40);
    expect((await page.locator('main').boundingBox())?.width).toBeGreaterThanOrEqual(TABLET.width - 20);
    const folded = await nav.boundingBox();
    expect((folded?.x ?? 0) + (folded?.width ?? 0)).toBeLessThanOrEqual(0);
    await toggle.focus();
    await page.keyboard.press('Enter');
    await nav.getByRole('link', { name: 'Audit' }).click();
    expect(new URL(page.url()).pathname).toBe('/console/audit');
    expect(await seriousAxeViolations(page)).toEqual([]);
    // A desktop shows the navigation beside the page, without the button.
    await page.setViewportSize(DESKTOP);
    await expect(toggle.isVisible()).resolves.toBe(false);
    await expect(nav.getByRole('link', { name: 'Audit' }).isVisible()).resolves.toBe(true);
    // (once its slide-in has ended)
    for (let i = 0; i < 100 && (await nav.boundingBox())?.x !== 0; i++) await page.waitForTimeout(50);
    const beside = await nav.boundingBox();
    expect(beside?.x).toBe(0);
    expect((await heading.boundingBox())?.x).toBeGreaterThanOrEqual(beside?.width ?? Infinity);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('tells a console key without console scopes what it lacks and what to ask for (en and nl)', async () => {
    const key = await hub.consoleKey('no console scopes', []);
    const { page } = await hub.newPage();
    await signIn(hub, page, key);
    await page.getByRole('heading', { name: 'This key opens no page' }).waitFor();
    const body = (await page.getByRole('status').filter({ hasText: 'console scopes' }).textContent()) ?? '';
    expect(body).toContain('Ask an administrator');
    expect(body).toContain('console:<area>');
    for (const area of [
      'mirror',
      'customers',
      'orders',
      'stock',
      'prices',
      'promotions',
      'dashboard',
      'quality',
      'audit',
    ])
      expect(body).toContain(area);
    await expect(page.getByRole('navigation', { name: 'Pages' }).getByRole('link').count()).resolves.toBe(0);
    await expect(page.getByText('Not available').count()).resolves.toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.goto(hub.url('/console/orders'));
    await page.getByRole('heading', { name: 'This key opens no page' }).waitFor();
    await page.getByText('Nederlands').first().click();
    await page.getByRole('heading', { name: 'Deze sleutel opent geen pagina' }).waitFor();
    await expect(
      page.getByText(/Vraag een beheerder om een consolesleutel met console:<gebied>/).count(),
    ).resolves.toBe(1);
    await page.getByText('English').first().click();
  });
});

describe('the staff console without its build', () => {
  it('answers 503 saying how to build it, and nothing else breaks', async () => {
    const missing = mkdtempSync(path.join(tmpdir(), 'omnihub-console-missing-'));
    const app = express();
    app.use('/console', consoleRoutes(missing).router);
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const port = (server.address() as import('node:net').AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/console/orders`);
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/npm run build/);
    } finally {
      server.close();
      rmSync(missing, { recursive: true, force: true });
    }
  });
});
