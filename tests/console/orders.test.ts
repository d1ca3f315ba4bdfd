/**
 * The console's orders and fulfilment page in Chromium, on the demo retailer's orders
 * (backoffice-layer/seed/demo-orders.ts): a store's orders, one order's history, a pickup made ready and
 * handed over, a warehouse's picking list, a cancellation behind its confirmation, an illegal move shown in
 * words — and per permission: a store key works at its own store only (the page refuses another's pickups,
 * the hub answers 403), a read-only key is offered no action, a key without the area has no orders page.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { messages } from '../../console/src/pages/orders/messages.js';
import {
  DESKTOP,
  seriousAxeViolations,
  signIn,
  startConsoleHub,
  TABLET,
  type ConsoleHub,
} from '../support/console.js';

jest.setTimeout(180_000);

/** Demo order `n` of demo-orders.ts. */
const demoId = (n: number) => `d3e0a000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** utr-01: a pickup from its own shelf, PENDING. */
const UTR_PICKUP = demoId(7);
/** ams-01: a pickup from its own shelf, PICKING. */
const AMS_PICKUP = demoId(8);
/** dhg-01: a pickup collected (PLACED, PICKING, READY_FOR_PICKUP, COLLECTED). */
const DHG_COLLECTED = demoId(10);
/** rtm-01: a transfer from the warehouse, READY_FOR_PICKUP. */
const RTM_READY = demoId(9);
/** wh-tilburg: a delivery PENDING, and one PICKING. */
const WH_PENDING = demoId(1);
const WH_PICKING = demoId(2);

let hub: ConsoleHub;
beforeAll(async () => {
  hub = await startConsoleHub();
}, 180_000);
afterAll(async () => {
  await hub?.close();
});

/** Calls the admin REST with `key`: status and parsed body. */
async function adminCall(key: string, method: string, path: string, body?: unknown, idempotencyKey?: string) {
  const res = await fetch(hub.url(`/admin/v1${path}`), {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The table whose caption is `caption`. */
const table = (page: Page, caption: string) => page.getByRole('table', { name: caption });

/** The text of every cell of `caption`'s body rows, row by row. */
const cellsOf = async (page: Page, caption: string) => {
  const rows = await table(page, caption).locator('tbody tr').all();
  return Promise.all(rows.map(async (r) => (await r.locator('td').allTextContents()).map((c) => c.trim())));
};

/** What a page reported beyond the refusals a test provoked on purpose (HTTP `status`). */
const unexpected = (problems: string[], status: number) =>
  problems.filter((p) => !p.startsWith(`${status} `) && !p.includes(`status of ${status} `));

/** The row of `table` that holds order `orderId`. */
const rowOf = (page: Page, caption: string | RegExp, orderId: string) =>
  page.getByRole('table', { name: caption }).locator(`tbody tr[data-order="${orderId}"]`);

/**
 * Whether all of `row` is in view at the page's width: its action buttons inside the viewport, its cells'
 * region not scrolled sideways, no status badge cut short (an ellipsis: its text wider than its box).
 */
async function wholeRowInView(page: Page, row: ReturnType<typeof rowOf>, width: number) {
  for (const b of await row.getByRole('button').all()) {
    const box = await b.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(width);
  }
  const region = row.locator('xpath=ancestor::*[@role="region"][1]');
  expect(await region.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  const badges = row.locator('[data-status], [data-status] *');
  for (const b of await badges.all())
    expect(await b.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
}

describe('the orders and fulfilment page', () => {
  it('labels everything in English and Dutch', () => {
    expect(Object.keys(messages.nl).sort()).toEqual(Object.keys(messages.en).sort());
    for (const [k, v] of Object.entries(messages.nl)) expect([k, v.trim().length > 0]).toEqual([k, true]);
  });

  it("lists a store's orders, and opens one with its full history", async () => {
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, hub.adminKey, '/console/orders?location=utr-01');
    await page.getByRole('heading', { level: 1, name: 'Orders and fulfilment' }).waitFor();
    expect(await page.getByLabel('Location').inputValue()).toBe('utr-01');
    const orders = table(page, 'Orders, newest first');
    await orders.getByRole('link', { name: UTR_PICKUP }).waitFor();
    // Only the orders that involve utr-01.
    // The order number, short; the full id names the link.
    expect(await orders.getByRole('link').allTextContents()).toEqual([UTR_PICKUP.slice(0, 8)]);
    expect(await orders.getByRole('link').getAttribute('title')).toBe(`Order ${UTR_PICKUP}`);
    // Channels in words, not their codes.
    const channels = (await cellsOf(page, 'Orders, newest first')).map((r) => r[2]);
    expect(channels.length).toBeGreaterThan(0);
    for (const c of channels)
      expect(['Webshop', 'App', 'Store terminal', 'Call center', 'Console']).toContain(c);
    expect(await seriousAxeViolations(page)).toEqual([]);

    // Another store's order, by status: dhg-01's collected pickup is FULFILLED.
    await page.getByLabel('Location').selectOption('dhg-01');
    await page.getByLabel('Order status').selectOption('FULFILLED');
    await orders.getByRole('link', { name: DHG_COLLECTED }).click();
    await page.getByRole('heading', { level: 1, name: `Order ${DHG_COLLECTED}` }).waitFor();
    const history = table(page, 'Everything that happened to the order, oldest first');
    await history.waitFor();
    const rows = await cellsOf(page, 'Everything that happened to the order, oldest first');
    // PLACED, PICKING, READY_FOR_PICKUP, COLLECTED (the fulfilment's) and FULFILLED (the order's).
    expect(rows.map((r) => r[1])).toEqual([
      'Placed',
      'Picking',
      'Ready for pickup',
      'Collected',
      'Fulfilled',
    ]);
    expect(rows.filter((r) => r[2] === 'channel:STORE').map((r) => r[1])).toContain('Collected');
    await table(page, 'The order’s lines')
      .getByText(/^NK-DRS-BLOEM-/)
      .waitFor();
    await table(page, 'What checkout promised').getByText('Pickup').first().waitFor();
    // Nothing left to act on: no step, no cancellation.
    expect(await page.getByRole('button', { name: 'Cancel order' }).count()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('marks a pickup ready, then collected, at a store tablet', async () => {
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, hub.adminKey, '/console/orders?location=utr-01&view=pickups');
    const toPrepare = 'Pickups to prepare at Utrecht Hoog Catharijne (utr-01)';
    const toHandOver = 'Pickups ready to hand over at Utrecht Hoog Catharijne (utr-01)';
    await rowOf(page, toPrepare, UTR_PICKUP).getByText('Pending').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await wholeRowInView(page, rowOf(page, toPrepare, UTR_PICKUP), TABLET.width);

    await page.getByRole('button', { name: `Mark ready: order ${UTR_PICKUP}` }).click();
    await page.getByRole('status').getByText(`Order ${UTR_PICKUP}: ready for pickup.`).waitFor();
    await rowOf(page, toHandOver, UTR_PICKUP).getByText('Ready for pickup').waitFor();
    expect(await rowOf(page, toPrepare, UTR_PICKUP).count()).toBe(0);
    await wholeRowInView(page, rowOf(page, toHandOver, UTR_PICKUP), TABLET.width);

    await page.getByRole('button', { name: `Collected: order ${UTR_PICKUP}` }).click();
    await page.getByRole('status').getByText(`Order ${UTR_PICKUP}: collected.`).waitFor();
    await page.getByText('Nothing here.').nth(1).waitFor();
    expect(await rowOf(page, toHandOver, UTR_PICKUP).count()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    // Another store: the notice of utr-01's pickup does not stay.
    await page.getByLabel('Location').selectOption('ams-01');
    await rowOf(page, /^Pickups to prepare at .*\(ams-01\)$/, AMS_PICKUP).waitFor();
    expect(await page.getByText(`Order ${UTR_PICKUP}: collected.`).count()).toBe(0);

    await page.goto(hub.url(`/console/orders/${UTR_PICKUP}`));
    await page.getByRole('heading', { level: 1, name: `Order ${UTR_PICKUP}` }).waitFor();
    expect((await cellsOf(page, 'How the order reaches the customer')).map((r) => r[4])).toEqual([
      'Collected',
    ]);
    const history = await cellsOf(page, 'Everything that happened to the order, oldest first');
    expect(history.filter((r) => r[2] === 'admin:console test admin').map((r) => r[1])).toEqual([
      'Ready for pickup',
      'Collected',
      'Fulfilled',
    ]);
    expect(problems).toEqual([]);
  });

  it("shows a warehouse's picking list with the units per SKU", async () => {
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, hub.adminKey, '/console/orders?location=wh-tilburg&view=picking');
    const list = 'Fulfilments to pick at Webshop warehouse Tilburg (wh-tilburg), oldest first';
    await rowOf(page, list, WH_PENDING).getByText('Pending').waitFor();
    await rowOf(page, list, WH_PICKING).getByText('Picking').waitFor();
    const totals = await cellsOf(page, 'Units to pick per SKU at Webshop warehouse Tilburg (wh-tilburg)');
    expect(totals.map((r) => r.slice(1))).toEqual([
      ['1', '1'],
      ['1', '1'],
    ]);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: `Start picking: order ${WH_PENDING}` }).click();
    await page.getByRole('status').getByText(`Order ${WH_PENDING}: picking started.`).waitFor();
    await rowOf(page, list, WH_PENDING).getByText('Picking').waitFor();
    expect(problems).toEqual([]);
  });

  it('shows a move the order has outgrown as an error in words (409), and refreshes', async () => {
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, hub.adminKey, `/console/orders/${WH_PENDING}`);
    await page.getByRole('button', { name: `Mark packed: order ${WH_PENDING}` }).waitFor();
    // Meanwhile the warehouse system ships it.
    const order = (await adminCall(hub.adminKey, 'GET', `/orders/${WH_PENDING}`)).body.order as {
      fulfilments: Array<{ id: string }>;
    };
    const shipped = await adminCall(
      hub.adminKey,
      'POST',
      `/fulfilments/${order.fulfilments[0]!.id}/events`,
      { status: 'SHIPPED', trackingCode: 'TRACK-1' },
      'ship-wh-pending',
    );
    expect(shipped.status).toBe(200);
    await page.getByRole('button', { name: `Mark packed: order ${WH_PENDING}` }).click();
    await page.getByText('This step is not possible: the order has moved on').waitFor();
    await page.getByRole('alert').getByText('cannot go from SHIPPED to PACKED').waitFor();
    await table(page, 'How the order reaches the customer').getByText('Shipped').waitFor();
    expect(await page.getByRole('button', { name: `Mark packed: order ${WH_PENDING}` }).count()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(unexpected(problems, 409)).toEqual([]);
  });

  it('cancels an order only after a confirmation with a reason', async () => {
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, hub.adminKey, `/console/orders/${WH_PICKING}`);
    await page.getByRole('button', { name: 'Cancel order' }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel order ${WH_PICKING}?` });
    await dialog.waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel the order' }).click();
    await dialog.getByText('Give a reason.').waitFor();
    await dialog.getByRole('button', { name: 'Keep the order' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await adminCall(hub.adminKey, 'GET', `/orders/${WH_PICKING}`)).body.order).toMatchObject({
      status: 'OPEN',
    });

    await page.getByRole('button', { name: 'Cancel order' }).click();
    await dialog.getByLabel('Reason').fill('Customer called: ordered twice');
    await dialog.getByRole('button', { name: 'Cancel the order' }).click();
    await page.getByRole('status').getByText(`Order ${WH_PICKING} cancelled.`).waitFor();
    const history = table(page, 'Everything that happened to the order, oldest first');
    await history.getByText('Customer called: ordered twice').first().waitFor();
    expect(await page.getByRole('button', { name: 'Cancel order' }).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});

describe('per permission', () => {
  it("a store key cannot open another store's pickups", async () => {
    const key = await hub.consoleKey('Amsterdam counter', ['console:orders:write', 'location:ams-01']);
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, key, '/console/orders?view=pickups');
    const picker = page.getByLabel('Location');
    expect(await picker.locator('option').allTextContents()).toEqual(['Amsterdam Kalverstraat (ams-01)']);
    expect(await picker.inputValue()).toBe('ams-01');
    await rowOf(page, 'Pickups to prepare at Amsterdam Kalverstraat (ams-01)', AMS_PICKUP)
      .getByRole('button', { name: `Mark ready: order ${AMS_PICKUP}` })
      .waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.goto(hub.url('/console/orders?location=utr-01&view=pickups'));
    const refusal = page.getByRole('alert').filter({ hasText: 'Not your location' });
    await refusal.getByText('This key does not reach location utr-01').waitFor();
    expect(await page.getByRole('table').count()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    // Another store's order, opened by its address: the hub refuses it, the page says so.
    await page.goto(hub.url(`/console/orders/${RTM_READY}`));
    await page.getByRole('alert').getByText('This key may not do this.').waitFor();
    expect(unexpected(problems, 403)).toEqual([]);
    expect(problems.filter((p) => p.startsWith('403 '))).toEqual([
      `403 ${hub.url(`/admin/v1/orders/${RTM_READY}`)}`,
    ]);

    // The hub refuses the key anything of utr-01, and a list of every location.
    for (const path of [
      '/fulfilments?locationId=utr-01&method=PICKUP&status=PENDING,PICKING',
      '/fulfilments?method=PICKUP',
      '/orders?locationId=utr-01',
      `/orders/${UTR_PICKUP}`,
    ])
      expect([path, (await adminCall(key, 'GET', path)).status]).toEqual([path, 403]);
    expect((await adminCall(key, 'GET', '/fulfilments?locationId=ams-01')).status).toBe(200);
  });

  it('a read-only orders key sees the pickups but is offered no step, in Dutch too', async () => {
    const key = await hub.consoleKey('Orders reader', ['console:orders']);
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, key, '/console/orders?location=rtm-01&view=pickups');
    const toHandOver = 'Pickups ready to hand over at Rotterdam Lijnbaan (rtm-01)';
    await rowOf(page, toHandOver, RTM_READY).getByText('Ready for pickup').waitFor();
    expect(await page.getByRole('button', { name: /: order / }).count()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByText('Nederlands').click();
    await page.getByRole('heading', { level: 1, name: 'Orders en fulfilment' }).waitFor();
    await page.getByRole('tab', { name: 'Afhalen' }).waitFor();
    await rowOf(page, 'Afhaalorders klaar om mee te geven in Rotterdam Lijnbaan (rtm-01)', RTM_READY)
      .getByText('Klaar om af te halen')
      .waitFor();
    expect(
      (await adminCall(key, 'POST', `/orders/${RTM_READY}/cancel`, { reason: 'x' }, 'ro-1')).status,
    ).toBe(403);
    expect(problems).toEqual([]);
  });

  it('a key without the orders area has no orders page, and the hub refuses it', async () => {
    const key = await hub.consoleKey('Stock clerk', ['console:stock']);
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, key, '/console/orders');
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.getByRole('link').first().waitFor();
    expect(await nav.getByRole('link', { name: 'Orders and fulfilment' }).count()).toBe(0);
    await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
    expect((await adminCall(key, 'GET', '/orders')).status).toBe(403);
    expect((await adminCall(key, 'GET', '/fulfilments?locationId=ams-01')).status).toBe(403);
    expect(problems).toEqual([]);
  });
});
