import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startWorkerNode } from '../../channel-layer/index.js';
import {
  DESKTOP,
  seriousAxeViolations,
  signIn,
  startConsoleHub,
  TABLET,
  type ConsoleHub,
} from '../support/console.js';

jest.setTimeout(180_000);

interface Figures {
  currency: string;
  revenue: { amount: number; currency: string };
  orders: number;
  averageBasket: { amount: number; currency: string } | null;
  clickAndCollectShare: number | null;
}
interface Kpis {
  from: string;
  to: string;
  sales: { byChannel: Array<Figures & { channel: string }>; total: Figures[] };
  loyaltyMembersServed: { total: number };
}

/** Money as the console shows it in English (en-GB): minor units → `€1,234.50`. */
const euro = (minor: number) =>
  new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(minor / 100);

describe('the dashboard: the day’s figures by channel and the hub’s health', () => {
  let hub: ConsoleHub;
  /** The UTC day the demo orders were placed on, and the hub's figures for it. */
  let day: string;
  let expected: Kpis;

  async function admin(
    method: string,
    path: string,
    body?: unknown,
    key = hub.adminKey,
    headers: Record<string, string> = {},
  ) {
    const res = await fetch(hub.url(`/admin/v1${path}`), {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  beforeAll(async () => {
    hub = await startConsoleHub();
    const placed = await hub.ctx.deps.db
      .selectFrom('orders')
      .select((eb) => eb.fn.min('createdAt').as('first'))
      .executeTakeFirstOrThrow();
    day = new Date(placed.first as unknown as string).toISOString().slice(0, 10);
    const from = `${day}T00:00:00.000Z`;
    const to = new Date(Date.parse(from) + 86_400_000).toISOString();
    const res = await admin('GET', `/kpis?${new URLSearchParams({ from, to }).toString()}`);
    expect(res.status).toBe(200);
    expected = res.body as Kpis;
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('shows the demo orders’ day: stat cards and the per-channel table as the hub counts them', async () => {
    expect(expected.sales.total).toHaveLength(1);
    const web = expected.sales.byChannel.find((r) => r.channel === 'WEB')!;
    expect(web.orders).toBeGreaterThan(0);
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey);
    expect(new URL(page.url()).pathname).toBe('/console/dashboard');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    // The day before the demo orders has none; then the demo orders' day, picked in the day field.
    await page.getByRole('button', { name: 'Previous day' }).click();
    await page.getByText('No orders or returns in this window.').waitFor();
    await page.getByLabel('Day (UTC)').fill(day);
    await page.waitForURL((u) => u.searchParams.get('day') === day);
    await expect(page.getByTestId('kpi-window').textContent()).resolves.toMatch(
      /^Orders placed and returns recorded from .* \(UTC; the end is not included\)/,
    );
    const total = expected.sales.total[0]!;
    const card = (name: string) => page.getByRole('group', { name, exact: true });
    await card('Revenue').getByText(euro(total.revenue.amount)).waitFor();
    await expect(card('Orders').textContent()).resolves.toContain(String(total.orders));
    await expect(card('Average basket').textContent()).resolves.toContain(euro(total.averageBasket!.amount));
    await expect(card('Loyalty members served').textContent()).resolves.toContain(
      String(expected.loyaltyMembersServed.total),
    );
    const table = page.getByRole('table', { name: 'By channel (EUR)' });
    const webRow = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Webshop' }) });
    const cells = await webRow.getByRole('cell').allTextContents();
    expect(cells[0]).toBe(euro(web.revenue.amount));
    expect(cells[1]).toBe(String(web.orders));
    if (web.clickAndCollectShare !== null)
      expect(cells[3]).toBe(
        new Intl.NumberFormat('en-GB', { style: 'percent', maximumFractionDigits: 1 }).format(
          web.clickAndCollectShare / 10_000,
        ),
      );
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.setViewportSize(TABLET);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Today' }).click();
    await page.waitForURL((u) => !u.searchParams.has('day'));
    expect(problems).toEqual([]);
  });

  it('follows a change: a demo web order cancelled leaves the web figures on the next refresh', async () => {
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey, `/console/dashboard?day=${day}`);
    const webCells = page
      .getByRole('table', { name: 'By channel (EUR)' })
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'Webshop' }) })
      .getByRole('cell');
    const web = expected.sales.byChannel.find((r) => r.channel === 'WEB')!;
    await webCells
      .nth(1)
      .filter({ hasText: new RegExp(`^${web.orders}$`) })
      .waitFor();
    // Demo order 7: a web click & collect order nobody has started picking.
    const cancelled = await admin(
      'POST',
      '/orders/d3e0a000-0000-4000-8000-000000000007/cancel',
      { reason: 'dashboard test' },
      hub.adminKey,
      { 'idempotency-key': 'dashboard-test-cancel-7' },
    );
    expect(cancelled.status).toBe(200);
    const window = new URLSearchParams({ from: expected.from, to: expected.to });
    const now = (await admin('GET', `/kpis?${window.toString()}`)).body as Kpis;
    const webNow = now.sales.byChannel.find((r) => r.channel === 'WEB')!;
    expect(webNow.orders).toBe(web.orders - 1);
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await webCells
      .nth(1)
      .filter({ hasText: new RegExp(`^${webNow.orders}$`) })
      .waitFor();
    await expect(webCells.nth(0).textContent()).resolves.toBe(euro(webNow.revenue.amount));
    await page
      .getByRole('group', { name: 'Revenue', exact: true })
      .getByText(euro(now.sales.total[0]!.revenue.amount))
      .waitFor();
    expect(problems).toEqual([]);
  });

  it('charts the commit → visible times once a change has propagated, p50/p99 in words', async () => {
    // A worker node measures commit → visible (startWorkerNode, as `omnihub worker` runs): price changes
    // until it has measured some.
    const measuring = await startWorkerNode(hub.ctx.deps);
    try {
      const deadline = Date.now() + 30_000;
      let amount = 4500;
      for (;;) {
        const changed = await admin('PUT', '/price-lists/base-eur/prices/NK-SHT-VAART-WHITE-M', {
          amount: (amount -= 10),
        });
        expect(changed.status).toBe(200);
        await new Promise((r) => setTimeout(r, 300));
        const health = (await admin('GET', '/kpis')).body as {
          health: { propagation: { samples: unknown[] } };
        };
        if (health.health.propagation.samples.length > 0) break;
        if (Date.now() > deadline) throw new Error('no commit → visible sample measured in 30 s');
      }
      const { page, problems } = await hub.newPage();
      await signIn(hub, page, hub.adminKey);
      const chart = page.getByRole('img', { name: /Commit → visible time of the last \d+ changes/ });
      await chart.waitFor({ timeout: 30_000 });
      await expect(page.getByTestId('propagation-summary').textContent()).resolves.toMatch(
        /^Median \(p50\) [\d,]+ ms, 99th percentile \(p99\) [\d,]+ ms, over the last \d+ changes\.$/,
      );
      await chart.locator('svg .recharts-line-curve').waitFor();
      expect(await chart.locator('svg .recharts-line-dots circle').count()).toBeGreaterThan(0);
      expect(await chart.locator('svg .recharts-line-curve').getAttribute('d')).toMatch(/^M[\d.,-]+/);
      await expect(page.getByRole('table', { name: /The newest \d+ measurements/ }).count()).resolves.toBe(1);
      expect(await seriousAxeViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await measuring.stop();
    }
  });

  it('speaks Dutch when asked: the stat titles and the window in Dutch', async () => {
    const { page } = await hub.newPage(DESKTOP);
    await signIn(hub, page, hub.adminKey, `/console/dashboard?day=${day}`);
    await page.getByRole('group', { name: 'Revenue', exact: true }).waitFor();
    await page.getByText('Nederlands').first().click();
    await page.getByRole('group', { name: 'Omzet', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Gezondheid van de hub' }).waitFor();
    await page.getByLabel('Dag (UTC)').waitFor();
    await expect(page.getByTestId('kpi-window').textContent()).resolves.toMatch(/^Orders geplaatst/);
    await expect(page.getByRole('table', { name: 'Per kanaal (EUR)' }).count()).resolves.toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByText('English').first().click();
  });

  it('a key without the dashboard area is not offered the page; the hub refuses the figures', async () => {
    const key = await hub.consoleKey('audit only', ['console:audit']);
    const { page } = await hub.newPage();
    await signIn(hub, page, key);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await expect(nav.getByRole('link').allTextContents()).resolves.toEqual(['Audit']);
    expect(new URL(page.url()).pathname).toBe('/console/audit');
    expect((await admin('GET', '/kpis', undefined, key)).status).toBe(403);
    await page.goto(hub.url('/console/dashboard'));
    await page.getByRole('heading', { name: 'Not available' }).waitFor();
  });
});
