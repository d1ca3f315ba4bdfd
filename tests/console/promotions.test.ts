import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
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
 * The promotions page in Chromium: field errors next to their fields (the form's own and the hub's), a good
 * promotion saved and listed, the cart preview with the unsaved draft changing nothing, coupon batches, and
 * a read-only key offered nothing to change (and refused by the hub).
 */
describe('console: promotions', () => {
  let hub: ConsoleHub;
  let writerKey: string;
  let readerKey: string;

  /** Calls the admin REST with `key` (the admin key by default) → status and parsed body. */
  async function call(
    method: string,
    path: string,
    body?: unknown,
    key = hub.adminKey,
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(hub.url(`/admin/v1${path}`), {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /** The texts of the description and error elements the input labelled `label` is described by. */
  async function describedText(page: Page, label: string): Promise<string> {
    const input = page.getByLabel(label, { exact: true });
    const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
    const texts: string[] = [];
    for (const id of ids) texts.push(await page.locator(`[id="${id}"]`).innerText());
    return texts.join(' | ');
  }

  /** Problems other than the refusals a test provoked on purpose (`expected` fragments of the URL/text). */
  const unexpected = (problems: string[], expected: RegExp[]) =>
    problems.filter((p) => !expected.some((e) => e.test(p)));

  beforeAll(async () => {
    hub = await startConsoleHub();
    writerKey = await hub.consoleKey('promotions desk', ['console:promotions', 'console:promotions:write']);
    readerKey = await hub.consoleKey('promotions reader', ['console:promotions']);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('shows a bad form’s errors next to their fields, then saves a good one and lists it', async () => {
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, writerKey, '/console/promotions');
    await page.getByRole('heading', { level: 1, name: 'Promotions' }).waitFor();
    await page.getByRole('table', { name: 'Promotions in id order' }).getByText('Welcome code').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByRole('link', { name: 'New promotion' }).click();
    await page.getByLabel(/^Id\s*\*?$/).fill('coat-week');
    await page.getByLabel(/^Name\s*\*?$/).fill('Coat week');

    // The form's own check: a percentage above 100 never reaches the hub.
    await page.getByLabel('Percentage off', { exact: true }).fill('150');
    await page.getByRole('button', { name: 'Create promotion' }).click();
    await page.getByText('The form has 1 problem').waitFor();
    expect(await describedText(page, 'Percentage off')).toContain('A percentage from 0.01 to 100.');
    expect(await page.getByLabel('Percentage off', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );

    // The hub's judgement: an end before its start, at body.rule.validTo.
    await page.getByLabel('Percentage off', { exact: true }).fill('20');
    await page.getByLabel('Starts', { exact: true }).fill('2031-03-10T10:00');
    await page.getByLabel('Ends', { exact: true }).fill('2031-03-01T10:00');
    const refused = page.waitForResponse((r) => r.url().endsWith('/admin/v1/promotions/coat-week'));
    await page.getByRole('button', { name: 'Create promotion' }).click();
    expect((await refused).status()).toBe(400);
    await page.getByText('validFrom must be before validTo').waitFor();
    expect(await describedText(page, 'Ends')).toContain('validFrom must be before validTo');
    expect(await describedText(page, 'Percentage off')).not.toContain('from 0.01 to 100');
    expect(await seriousAxeViolations(page)).toEqual([]);

    // A nested path: the first condition's time zone (body.rule.conditions.0.timeZone).
    await page.getByLabel('Starts', { exact: true }).fill('');
    await page.getByLabel('Ends', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Add a condition' }).click();
    await page.getByRole('combobox', { name: 'Kind of condition' }).click();
    await page.getByRole('option', { name: 'Recurring days and hours' }).click();
    await page.getByLabel('Time zone', { exact: true }).fill('Mars/Olympus_Mons');
    const refusedAgain = page.waitForResponse((r) => r.url().endsWith('/admin/v1/promotions/coat-week'));
    await page.getByRole('button', { name: 'Create promotion' }).click();
    expect((await refusedAgain).status()).toBe(400);
    await page.getByText('an IANA time zone such as Europe/Amsterdam', { exact: true }).waitFor();
    expect(await describedText(page, 'Time zone')).toContain('an IANA time zone such as Europe/Amsterdam');
    expect(await describedText(page, 'Ends')).not.toContain('validFrom');

    // Fixed: it saves, and the list shows it.
    await page.getByLabel('Time zone', { exact: true }).fill('Europe/Amsterdam');
    await page.getByRole('button', { name: 'Create promotion' }).click();
    await page.getByText(/Saved \(revision \d+\)\./).waitFor();
    await page.waitForURL(/\/console\/promotions\/coat-week$/);
    const saved = await call('GET', '/promotions/coat-week');
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      promotion: {
        status: 'ACTIVE',
        rule: {
          label: 'Coat week',
          action: { kind: 'percentOff', percentBp: 2000 },
          conditions: [{ kind: 'schedule', timeZone: 'Europe/Amsterdam' }],
        },
      },
    });
    await page.getByRole('link', { name: 'All promotions' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Coat week' });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/Active/);
    expect(await row.innerText()).toMatch(/Percentage off/);
    expect(unexpected(problems, [/400 .*\/admin\/v1\/promotions\/coat-week/, /status of 400/])).toEqual([]);
  });

  it('previews a cart with the unsaved draft’s discount and changes nothing', async () => {
    await call('PUT', '/promotions/shoe-days', {
      status: 'ACTIVE',
      budgetAmount: 100_000,
      rule: { label: 'Shoe days', action: { kind: 'percentOff', percentBp: 1000 } },
    });
    const before = await call('GET', '/promotions/shoe-days');
    const listBefore = await call('GET', '/promotions?limit=500');
    const anne = await hub.ctx.deps.db
      .selectFrom('customers')
      .select('id')
      .where('displayName', '=', 'Anne de Vries')
      .executeTakeFirstOrThrow();
    const product = (await call('GET', '/products?limit=1&category=coats')).body as {
      products: Array<{ sku: string }>;
    };
    const sku = product.products[0]!.sku;

    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, hub.adminKey, '/console/promotions/shoe-days');
    await page.getByRole('heading', { name: 'Shoe days' }).waitFor();
    // The draft: 30 % instead of the saved 10 %, not saved.
    await page.getByLabel('Percentage off', { exact: true }).fill('30');
    await page.getByRole('combobox', { name: 'Channel' }).click();
    await page.getByRole('option', { name: 'Store terminal' }).click();
    await page.getByLabel('Customer', { exact: true }).fill(anne.id);
    await page.getByLabel('Store', { exact: true }).fill('ams-01');
    await page.getByLabel('At', { exact: true }).fill('2031-01-15T12:00');
    await page.getByLabel('SKU of line 1').fill(sku);
    await page.getByLabel('Quantity of line 1').fill('2');
    const priced = page.waitForResponse((r) => r.url().endsWith('/admin/v1/promotions/preview'));
    await page.getByRole('button', { name: 'Price this cart' }).click();
    const response = await priced;
    expect(response.status()).toBe(200);
    const preview = (await response.json()) as {
      channel: string;
      at: string;
      lines: Array<{
        base: { amount: number };
        adjustments: Array<{ id: string; amount: { amount: number } }>;
      }>;
    };
    expect(preview.channel).toBe('STORE');
    expect(preview.at).toBe(new Date('2031-01-15T12:00').toISOString());
    // The draft's 30 % (not the saved 10 %) of what the line costs after the promotions before it.
    const line = preview.lines[0]!;
    const at = line.adjustments.findIndex((a) => a.id === 'shoe-days');
    expect(at).toBeGreaterThanOrEqual(0);
    const earlier = line.adjustments.slice(0, at).reduce((sum, a) => sum + a.amount.amount, 0);
    expect(line.adjustments[at]!.amount.amount).toBe(Math.round((line.base.amount - earlier) * 0.3));

    const table = page.getByRole('table', { name: 'The previewed cart' });
    await table.waitFor();
    await table.getByText('Shoe days').waitFor();
    expect(await table.innerText()).toContain('30% off');
    await page.getByText('A preview: nothing was saved, no coupon counted and no budget spent.').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    // Nothing changed: the promotion, its budget and the list are as they were.
    expect(await call('GET', '/promotions/shoe-days')).toEqual(before);
    expect(await call('GET', '/promotions?limit=500')).toEqual(listBefore);
    expect(problems).toEqual([]);
  });

  it('adds a coupon batch, shows a refused code next to its field, and archives', async () => {
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, writerKey, '/console/promotions/coat-week');
    await page.getByRole('heading', { name: 'Coat week' }).waitFor();
    // Codes are for a promotion that needs one: made so first.
    await page.getByText('Coupon codes are for a promotion that applies only with a code').waitFor();
    await page.getByLabel('Only with a coupon code').check();
    await page.getByRole('button', { name: 'Save promotion' }).click();
    await page.getByText(/Saved \(revision \d+\)\./).waitFor();
    await page.getByLabel('Number of codes').fill('3');
    await page.getByLabel('Prefix').fill('COATS');
    await page.getByLabel('Usage limit').fill('1');
    await page.getByRole('button', { name: 'Add coupon codes' }).click();
    await page.getByText('3 codes added:').waitFor();
    expect(
      await page
        .getByRole('listitem')
        .filter({ hasText: /^COATS/ })
        .count(),
    ).toBe(3);

    await page.getByText('Give codes').click();
    await page.getByLabel('Codes', { exact: true }).fill('ok-code-1\nx!');
    const refused = page.waitForResponse((r) => r.url().endsWith('/coupons'));
    await page.getByRole('button', { name: 'Add coupon codes' }).click();
    expect((await refused).status()).toBe(400);
    await page.getByText(/coupon codes: 3–40 letters/).waitFor();
    expect(await describedText(page, 'Codes')).toMatch(/coupon codes: 3–40 letters/);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await page.getByRole('dialog', { name: 'Archive this promotion?' }).waitFor();
    await page.getByRole('button', { name: 'Archive promotion' }).click();
    await page.getByText('Archived.', { exact: true }).waitFor();
    expect(
      ((await call('GET', '/promotions/coat-week')).body as { promotion: { status: string } }).promotion
        .status,
    ).toBe('ARCHIVED');
    await page.getByRole('link', { name: 'All promotions' }).click();
    await page.getByRole('combobox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'Archived' }).click();
    // The archived ones only: the active demo promotions leave the list, the archived one stays.
    await page.getByRole('row').filter({ hasText: 'Welcome code' }).waitFor({ state: 'detached' });
    expect(await page.getByRole('row').filter({ hasText: 'Coat week' }).count()).toBe(1);
    expect(unexpected(problems, [/400 .*\/coupons/, /status of 400/])).toEqual([]);
  });

  it('offers a read-only key nothing to change, and the hub refuses its PUT', async () => {
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, readerKey, '/console/promotions');
    await page.getByRole('table', { name: 'Promotions in id order' }).getByText('Welcome code').waitFor();
    expect(await page.getByRole('link', { name: 'New promotion' }).count()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByRole('link', { name: 'Welcome code' }).click();
    await page.getByRole('heading', { name: 'Welcome code' }).waitFor();
    await page.getByText('Your key may read promotions but not change them.').waitFor();
    for (const name of ['Save promotion', 'Archive', 'Add coupon codes', 'Add a condition'])
      expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
    expect(await page.getByLabel(/^Name\s*\*?$/).isDisabled()).toBe(true);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);

    const put = await call(
      'PUT',
      '/promotions/welkom',
      { status: 'PAUSED', rule: { label: 'Welcome code', action: { kind: 'percentOff', percentBp: 500 } } },
      readerKey,
    );
    expect(put.status).toBe(403);
    expect(put.body).toMatchObject({ code: 'FORBIDDEN' });
    const after = (await call('GET', '/promotions/welkom')).body as { promotion: { status: string } };
    expect(after.promotion.status).toBe('ACTIVE');
  });
});
