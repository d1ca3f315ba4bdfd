import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  DESKTOP,
  seriousAxeViolations,
  signIn,
  startConsoleHub,
  TABLET,
  type ConsoleHub,
} from '../support/console.js';

jest.setTimeout(180_000);

/**
 * The data quality page in Chromium: a seeded bad product (ACTIVE, no price) listed under "Product without
 * price" with a link to the stock page, gone after it gets a price and the page is refreshed; the stale age
 * control; a key without the area sees no such page and is refused by the hub.
 */
describe('console: data quality', () => {
  let hub: ConsoleHub;
  let qualityKey: string;

  beforeAll(async () => {
    hub = await startConsoleHub();
    qualityKey = await hub.consoleKey('quality desk', ['console:quality', 'console:stock']);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('lists a product without a price, and no longer once it has one', async () => {
    const put = await hub.admin('PUT', '/products/NK-TEST-NOPRICE', {
      name: 'Test scarf without a price',
      category: 'accessories',
      vatRate: 21,
      status: 'ACTIVE',
    });
    expect(put.status).toBe(200);

    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, qualityKey, '/console/quality');
    await page.getByRole('heading', { level: 1, name: 'Data quality' }).waitFor();
    const check = page.getByRole('region', { name: 'Product without price', exact: true });
    const link = check.getByRole('link', { name: 'NK-TEST-NOPRICE' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('/console/stock?sku=NK-TEST-NOPRICE');
    expect(await check.innerText()).toMatch(/no price valid now in a EUR price list/);
    expect(await check.innerText()).toMatch(/Score \d+ of 100/);
    expect(await check.innerText()).toMatch(/1 to fix/);
    expect(await seriousAxeViolations(page)).toEqual([]);

    // The fix: a price in the default currency's base list; Refresh computes the report again.
    const priced = await hub.admin('PUT', '/price-lists/base-eur/prices/NK-TEST-NOPRICE', { amount: 1995 });
    expect(priced.status).toBe(200);
    const refreshed = page.waitForResponse((r) => r.url().includes('/admin/v1/data-quality'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    expect((await refreshed).status()).toBe(200);
    await check.getByText('Nothing to fix.').waitFor();
    expect(await check.getByRole('link', { name: 'NK-TEST-NOPRICE' }).count()).toBe(0);
    expect(await check.innerText()).toMatch(/Score 100 of 100/);

    // The stale age is the hub's: every stock row of the demo was counted at seeding, not 0 days ago.
    await page.getByLabel('Stale after (days)').fill('0');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText('A whole number of days from 1 to 3650.').waitFor();
    await page.getByLabel('Stale after (days)').fill('7');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page
      .getByRole('region', { name: 'Stale stock count (not counted in 7 days)', exact: true })
      .waitFor();
    expect(problems).toEqual([]);
  });

  it('passes axe at a tablet’s width', async () => {
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, qualityKey, '/console/quality');
    await page.getByRole('region', { name: 'Product without price', exact: true }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('is not offered to a key without the area, and the hub refuses it', async () => {
    const stockKey = await hub.consoleKey('stock only', ['console:stock']);
    const { page } = await hub.newPage(DESKTOP);
    await signIn(hub, page, stockKey);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.getByRole('link', { name: 'Stock and prices' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Data quality' }).count()).toBe(0);
    const refused = await hub.admin('GET', '/data-quality', undefined, stockKey);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN' });
  });
});
