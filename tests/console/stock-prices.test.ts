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

/** A demo coat: €129.95 in the base list, €89.95 in the winter sale that starts at the next midnight. */
const SKU = 'NK-COAT-POLDER-NAVY-L';

/** A PUT of the admin REST from inside the page, with the page's own key: its HTTP status. */
async function putFromPage(page: Page, path: string, body: unknown): Promise<number> {
  return page.evaluate(
    async ({ path, body }) => {
      const res = await fetch(`/admin/v1${path}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${sessionStorage.getItem('omnihub.console.key') ?? ''}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
      return res.status;
    },
    { path, body },
  );
}

/**
 * Whether a problem the page reported is a refusal the test provoked on purpose: the failed response
 * (`<status> <url>`) or Chromium's console line about it.
 */
function isRefusal(problem: string, status: number, path: string): boolean {
  return (
    (problem.startsWith(`${status} `) && problem.includes(path)) ||
    problem ===
      `Failed to load resource: the server responded with a status of ${status} (${
        status === 403 ? 'Forbidden' : 'Bad Request'
      })`
  );
}

describe('the stock and prices page, in Chromium', () => {
  let hub: ConsoleHub;

  beforeAll(async () => {
    hub = await startConsoleHub();
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('shows stock per location, price lists with the scheduled sale, the history, a preview', async () => {
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey, `/console/stock?sku=${SKU}`);
    await page.getByRole('heading', { level: 1, name: 'Stock and prices' }).waitFor();
    const stock = page.getByRole('table', { name: `Stock of ${SKU} per location` });
    await stock.waitFor();
    // A header row and one row per location (a warehouse and six stores).
    expect(await stock.getByRole('row').count()).toBe(8);
    await stock.getByRole('rowheader', { name: 'Amsterdam Kalverstraat (ams-01)' }).waitFor();
    const prices = page.getByRole('table', { name: `Prices of ${SKU} in every price list` });
    const base = prices.getByRole('row', { name: /Base prices \(EUR\)/ });
    await base.getByText('€129.95').waitFor();
    const sale = prices.getByRole('row', { name: /Winter sale/ });
    await sale.getByText('€89.95').waitFor();
    await sale.getByText('Scheduled').waitFor();
    await page.getByRole('table', { name: `Price changes of ${SKU}, newest first` }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    // The price in three days (inside the sale's window) and now.
    const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
    const local = new Date(inThreeDays.getTime() - inThreeDays.getTimezoneOffset() * 60_000)
      .toISOString()
      .slice(0, 16);
    await page.getByLabel('At', { exact: true }).fill(local);
    await page.getByRole('button', { name: 'Show the price' }).click();
    await page.getByText(/through Webshop: €89\.95\./).waitFor();
    await page.getByLabel('At', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Show the price' }).click();
    await page.getByText(/through Webshop: €129\.95\./).waitFor();
    expect(problems).toEqual([]);
  });

  it('shows field errors next to the fields, then saves a price with a link to the mirror', async () => {
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey, `/console/stock?sku=${SKU}`);
    await page.getByRole('button', { name: 'Change the price in Base prices (EUR) from quantity 1' }).click();
    const amount = page.getByLabel('Price (EUR)');
    await amount.fill('-5');
    await page.getByRole('button', { name: 'Save the price' }).click();
    await page.locator('input[aria-invalid="true"]').first().waitFor();
    expect(await amount.getAttribute('aria-invalid')).toBe('true');
    const described = (await amount.getAttribute('aria-describedby')) ?? '';
    expect(described).not.toBe('');
    // A window that ends before it starts: the error sits at "Valid to".
    await amount.fill('119.95');
    await page.getByLabel('Valid from').fill('2030-01-02T00:00');
    await page.getByLabel('Valid to').fill('2030-01-01T00:00');
    await page.getByRole('button', { name: 'Save the price' }).click();
    await page.getByText('validFrom must be before validTo').waitFor();
    expect(await page.getByLabel('Valid to').getAttribute('aria-invalid')).toBe('true');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Valid from').fill('');
    await page.getByLabel('Valid to').fill('');
    await page.getByRole('button', { name: 'Save the price' }).click();
    await page
      .getByRole('status')
      .getByText(/The price €119\.95 was saved at revision \d+\./)
      .waitFor();
    await page
      .getByRole('table', { name: `Prices of ${SKU} in every price list` })
      .getByRole('row', { name: /Base prices \(EUR\)/ })
      .getByText('€119.95')
      .waitFor();
    await page.getByRole('link', { name: 'Watch it in the channel mirror' }).click();
    await page.waitForURL((u) => u.pathname === '/console/mirror' && u.searchParams.get('sku') === SKU);
    // The two refusals of the form were the hub's answer to bad input, on purpose.
    expect(problems.filter((p) => !isRefusal(p, 400, '/admin/v1/price-lists/'))).toEqual([]);
  });

  it('a read-only key sees no edit controls, and the hub refuses its PUT', async () => {
    const key = await hub.consoleKey('stock reader', ['console:stock', 'console:prices']);
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, key, `/console/stock?sku=${SKU}`);
    await page.getByRole('table', { name: `Stock of ${SKU} per location` }).waitFor();
    await page.getByRole('table', { name: `Prices of ${SKU} in every price list` }).waitFor();
    expect(await page.getByRole('button', { name: /Set count/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Change/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Set a price' }).count()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(await putFromPage(page, `/stock/${SKU}/ams-01`, { onHand: 3 })).toBe(403);
    expect(await putFromPage(page, `/price-lists/base-eur/prices/${SKU}`, { amount: 100 })).toBe(403);
    expect(problems.filter((p) => !isRefusal(p, 403, '/admin/v1/'))).toEqual([]);
    expect(problems.filter((p) => p.startsWith('403 '))).toHaveLength(2);
  });

  it('shows a count set on the page at the top of the movement ledger', async () => {
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, hub.adminKey, `/console/stock?sku=${SKU}`);
    const ledger = page.getByRole('table', { name: `Movements of ${SKU}, newest first` });
    await ledger.waitFor();
    // An admin key sees every location's movements; the filter narrows them to one.
    expect(await page.getByLabel('Movements at').inputValue()).toBe('');
    await page.getByLabel('Movements at').selectOption('rtm-01');
    await ledger.getByRole('rowheader').first().waitFor();
    expect(await ledger.getByRole('cell', { name: 'Amsterdam Kalverstraat', exact: true }).count()).toBe(0);
    const entries = await ledger.getByRole('row').count();
    await page.getByRole('button', { name: 'Set count at Rotterdam Lijnbaan' }).click();
    // Seven more than the books hold: a count that changes the level, so the ledger gains an entry.
    const counted = String(Number(await page.getByLabel('On hand').inputValue()) + 7);
    await page.getByLabel('On hand').fill(counted);
    await page.getByRole('button', { name: 'Save the count' }).click();
    await page
      .getByRole('status')
      .getByText(/The count at Rotterdam Lijnbaan was saved/)
      .waitFor();
    await ledger.getByRole('row').nth(entries).waitFor();
    const top = ledger.getByRole('row').nth(1);
    await top.getByRole('rowheader', { name: 'Count' }).waitFor();
    await top.getByRole('cell', { name: '+7', exact: true }).waitFor();
    await top.getByRole('cell', { name: counted, exact: true }).waitFor();
    await top.getByRole('cell', { name: /^admin:/ }).waitFor();
    await top.getByRole('cell', { name: 'count', exact: true }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('never saves an empty count as 0: the field says what it wants, nothing is sent', async () => {
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey, `/console/stock?sku=${SKU}`);
    const stock = page.getByRole('table', { name: `Stock of ${SKU} per location` });
    await stock.waitFor();
    const before = (await hub.admin('GET', `/stock/${SKU}`)).body;
    const writes: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT') writes.push(r.url());
    });
    await page.getByRole('button', { name: 'Set count at Utrecht Hoog Catharijne' }).click();
    await page.getByLabel('On hand').fill('');
    await page.getByRole('button', { name: 'Save the count' }).click();
    await page.getByText('Enter a whole number (0 or more)').waitFor();
    expect(writes).toEqual([]);
    const after = (await hub.admin('GET', `/stock/${SKU}`)).body;
    expect(after).toEqual(before);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('a store’s key sees and counts only its own store', async () => {
    const key = await hub.consoleKey('ams stock', ['console:stock:write', 'location:ams-01']);
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, key, `/console/stock?sku=${SKU}`);
    const stock = page.getByRole('table', { name: `Stock of ${SKU} per location` });
    await stock.waitFor();
    expect(await stock.getByRole('row').count()).toBe(2);
    // No price section without the prices area.
    expect(await page.getByRole('heading', { level: 2, name: 'Prices' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Set count at Amsterdam Kalverstraat' }).click();
    await page.getByLabel('On hand').fill('17');
    await page.getByRole('button', { name: 'Save the count' }).click();
    await page
      .getByRole('status')
      .getByText(/The count at Amsterdam Kalverstraat was saved at revision \d+\./)
      .waitFor();
    await stock
      .getByRole('row', { name: /ams-01/ })
      .getByRole('cell', { name: '17', exact: true })
      .first()
      .waitFor();
    // Another store is refused by the hub as well.
    expect(await putFromPage(page, `/stock/${SKU}/rtm-01`, { onHand: 3 })).toBe(403);
    expect(problems.filter((p) => !isRefusal(p, 403, '/admin/v1/stock/'))).toEqual([]);
  });
});
