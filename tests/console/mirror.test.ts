import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import {
  seriousAxeViolations,
  signIn,
  startConsoleHub,
  TABLET,
  type ConsoleHub,
} from '../support/console.js';

jest.setTimeout(120_000);

/** A demo coat: priced in the base list, stocked everywhere. */
const SKU = 'NK-COAT-POLDER-YELLOW-M';
const CHANNELS = ['WEB', 'APP', 'STORE', 'CALL_CENTER'];

/** Each pane's full fingerprint, in channel order. */
async function fingerprints(page: Page): Promise<string[]> {
  return Promise.all(
    CHANNELS.map(
      async (c) =>
        (await page
          .getByTestId(`pane-${c}`)
          .getByTestId('pane-fingerprint')
          .getAttribute('data-fingerprint')) ?? '',
    ),
  );
}

/** Polls `read` until `ok` holds (or fails after `ms` with the last value). */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`Still not there after ${ms} ms: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}

describe('the channel mirror, in Chromium', () => {
  let hub: ConsoleHub;

  beforeAll(async () => {
    hub = await startConsoleHub();
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('shows four identical panes, then one new fingerprint everywhere after a price change', async () => {
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey, `/console/mirror?sku=${SKU}`);
    await page.getByRole('heading', { level: 1, name: 'Channel mirror' }).waitFor();
    const verdict = page.getByTestId('mirror-verdict');
    await verdict.getByText('Identical: every channel answers the same').waitFor();
    for (const c of ['Webshop', 'App', 'Store terminal', 'Call center'])
      await page.getByRole('heading', { level: 2, name: c }).waitFor();
    const before = await fingerprints(page);
    expect(new Set(before).size).toBe(1);
    expect(before[0]).not.toBe('');
    // The short form shows; the full one is the title.
    const shown = page.getByTestId('pane-WEB').getByTestId('pane-fingerprint');
    expect(await shown.getAttribute('title')).toBe(before[0]);
    expect(await page.getByTestId('pane-WEB').getByTestId('pane-price').textContent()).toBe('€129.95');
    expect(await seriousAxeViolations(page)).toEqual([]);

    // Change the price on the stock and prices page, in the same tab.
    await page.getByRole('link', { name: 'Stock and prices' }).click();
    await page.getByRole('heading', { level: 1, name: 'Stock and prices' }).waitFor();
    await page.getByLabel('Search products').fill('POLDER-YELLOW-M');
    await page
      .getByRole('option', { name: `${SKU} — Polder rain jacket, yellow, M` })
      .waitFor({ state: 'attached' });
    await page.getByLabel('Product (SKU)').selectOption(SKU);
    await page.getByRole('button', { name: 'Change the price in Base prices (EUR) from quantity 1' }).click();
    await page.getByLabel('Price (EUR)').fill('111.11');
    await page.getByRole('button', { name: 'Save the price' }).click();
    await page.getByText('Price saved').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Watch it in the channel mirror' }).click();

    // Every pane turns to one new fingerprint with the new price; the verdict stays "identical".
    await page.getByRole('heading', { level: 1, name: 'Channel mirror' }).waitFor();
    const after = await until(
      () => fingerprints(page),
      (fps) => new Set(fps).size === 1 && fps[0] !== before[0] && fps[0] !== '',
    );
    expect(after[0]).not.toBe(before[0]);
    for (const c of CHANNELS)
      expect(await page.getByTestId(`pane-${c}`).getByTestId('pane-price').textContent()).toBe('€111.11');
    await verdict.getByText('Identical: every channel answers the same').waitFor();
    await page
      .getByTestId('mirror-propagation')
      .getByText(/Your price change \(revision \d+\) arrived in every channel in [\d,]+ ms\./)
      .waitFor();
    expect(new URL(page.url()).searchParams.get('sku')).toBe(SKU);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('measures a price change made in another tab: the mirror beside the prices page', async () => {
    const { page: mirror, problems } = await hub.newPage();
    await signIn(hub, mirror, hub.adminKey, `/console/mirror?sku=${SKU}`);
    const verdict = mirror.getByTestId('mirror-verdict');
    await verdict.getByText('Identical: every channel answers the same').waitFor();
    // A second tab of the same browser (the key is kept per tab: signed in there too), the prices page.
    const prices = await mirror.context().newPage();
    await signIn(hub, prices, hub.adminKey, `/console/stock?sku=${SKU}`);
    await prices
      .getByRole('button', { name: 'Change the price in Base prices (EUR) from quantity 1' })
      .click();
    await prices.getByLabel('Price (EUR)').fill('104.44');
    await prices.getByRole('button', { name: 'Save the price' }).click();
    await prices.getByText('Price saved').waitFor();
    await mirror
      .getByTestId('mirror-propagation')
      .getByText(/Your price change \(revision \d+\) arrived in every channel in [\d,]+ ms\./)
      .waitFor();
    for (const c of CHANNELS)
      expect(await mirror.getByTestId(`pane-${c}`).getByTestId('pane-price').textContent()).toBe('€104.44');
    await prices.close();
    expect(problems).toEqual([]);
  });

  it('turns live when a change arrives from elsewhere, without a reload', async () => {
    const sku = 'NK-COAT-POLDER-RED-S';
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey, `/console/mirror?sku=${sku}`);
    await page.getByTestId('mirror-live').getByText('Live: updates arrive as the channels change.').waitFor();
    const before = await fingerprints(page);
    // Another tool changes the price through the admin REST.
    const res = await page.request.put(hub.url(`/admin/v1/price-lists/base-eur/prices/${sku}`), {
      headers: { authorization: `Bearer ${hub.adminKey}` },
      data: { amount: 9995 },
    });
    expect(res.status()).toBe(200);
    await until(
      () => fingerprints(page),
      (fps) => new Set(fps).size === 1 && fps[0] !== before[0],
    );
    for (const c of CHANNELS)
      expect(await page.getByTestId(`pane-${c}`).getByTestId('pane-price').textContent()).toBe('€99.95');
    expect(problems).toEqual([]);
  });

  it('keeps the selection in the URL: a customer, a store and a postcode', async () => {
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey, `/console/mirror?sku=${SKU}`);
    await page.getByTestId('mirror-verdict').waitFor();
    await page.getByLabel('Store', { exact: true }).selectOption('ams-01');
    await page.getByLabel('Postcode').fill('1012 AB');
    await page.getByRole('button', { name: 'Show the channels' }).click();
    await page.waitForURL(/store=ams-01/);
    const url = new URL(page.url());
    expect(url.searchParams.get('postcode')).toBe('1012 AB');
    await page
      .getByTestId('pane-STORE')
      .getByText(/^Amsterdam Kalverstraat: \d+ available/)
      .waitFor();
    // The link opens the same view in a fresh tab.
    const other = await hub.newPage();
    await signIn(hub, other.page, hub.adminKey, url.pathname + url.search);
    await other.page
      .getByTestId('pane-STORE')
      .getByText(/^Amsterdam Kalverstraat: \d+ available/)
      .waitFor();
    expect(await other.page.getByLabel('Postcode').inputValue()).toBe('1012 AB');
    expect(problems).toEqual([]);
    expect(other.problems).toEqual([]);
  });

  it('names her loyalty tier as the programme does, in every pane', async () => {
    const anne = await hub.ctx.deps.db
      .selectFrom('customers')
      .select('id')
      .where('displayName', '=', 'Anne de Vries')
      .executeTakeFirstOrThrow();
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey, `/console/mirror?sku=${SKU}&customer=${anne.id}`);
    await page.getByTestId('mirror-verdict').waitFor();
    for (const c of CHANNELS)
      await page
        .getByTestId(`pane-${c}`)
        .getByTestId('pane-tier')
        .getByText(/^Gold, [\d,.]+ points$/)
        .waitFor();
    expect(problems).toEqual([]);
  });

  it('shows all four panes at a store tablet’s width, two by two', async () => {
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, hub.adminKey, `/console/mirror?sku=${SKU}`);
    await page.getByTestId('mirror-verdict').waitFor();
    const boxes = await Promise.all(CHANNELS.map((c) => page.getByTestId(`pane-${c}`).boundingBox()));
    for (const b of boxes) {
      expect(b).not.toBeNull();
      expect(b!.x).toBeGreaterThanOrEqual(0);
      expect(b!.x + b!.width).toBeLessThanOrEqual(TABLET.width);
    }
    // WEB and APP side by side, STORE and CALL_CENTER below them.
    expect(Math.abs(boxes[0]!.y - boxes[1]!.y)).toBeLessThan(2);
    expect(boxes[2]!.y).toBeGreaterThan(boxes[0]!.y);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('a key with only console:mirror sees the mirror but not the stock and prices page', async () => {
    const key = await hub.consoleKey('mirror only', ['console:mirror']);
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, key, `/console/mirror?sku=${SKU}`);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.getByRole('link', { name: 'Channel mirror' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Stock and prices' }).count()).toBe(0);
    await page.getByTestId('mirror-verdict').getByText('Identical: every channel answers the same').waitFor();
    // No customer search without the customers area.
    expect(await page.getByLabel('Find a customer (e-mail, phone, card or name)').count()).toBe(0);
    await page.goto(hub.url('/console/stock'));
    await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
    expect(problems).toEqual([]);
  });
});
