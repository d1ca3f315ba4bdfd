import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { recordAudit, registerAdminKey } from '../../backoffice-layer/index.js';
import {
  DESKTOP,
  seriousAxeViolations,
  signIn,
  startConsoleHub,
  TABLET,
  type ConsoleHub,
} from '../support/console.js';

jest.setTimeout(180_000);

const ADMIN_ACTOR = 'admin:console test admin';
const SECOND_KEY = 'console-test-second-admin-0123456789abcdef';
const SECOND_ACTOR = 'admin:second admin';

describe('the audit page: who changed what and who read which profile', () => {
  let hub: ConsoleHub;

  beforeAll(async () => {
    hub = await startConsoleHub();
    await registerAdminKey(hub.ctx.deps.db, SECOND_KEY, 'second admin', new Date());
    // A price change by the test's admin key, a customer search by the second one: both on record.
    const changed = await hub.admin('PUT', '/price-lists/base-eur/prices/NK-SHT-VAART-WHITE-M', {
      amount: 4595,
    });
    expect(changed.status).toBe(200);
    const searched = await hub.admin('GET', '/customers?query=Jansen', undefined, SECOND_KEY);
    expect(searched.status).toBe(200);
  });
  afterAll(async () => {
    await hub?.close();
  });

  const rows = (page: import('playwright-core').Page) => page.getByTestId('audit-row');

  it('lists the entries the test caused, and filtering by actor narrows them', async () => {
    const { page, problems } = await hub.newPage();
    await signIn(hub, page, hub.adminKey, '/console/audit');
    await page.getByRole('heading', { name: 'Audit', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'Audit entries' });
    await table.waitFor();
    const price = rows(page).filter({ hasText: 'PUT /price-lists/:id/prices/:sku' });
    await expect(price.count()).resolves.toBe(1);
    await expect(price.getByRole('cell').nth(1).textContent()).resolves.toBe(ADMIN_ACTOR);
    await expect(price.getByRole('cell').nth(3).textContent()).resolves.toBe(
      '/price-lists/base-eur/prices/NK-SHT-VAART-WHITE-M',
    );
    const search = rows(page).filter({ has: page.getByText('customer.search', { exact: true }) });
    await expect(search.count()).resolves.toBe(1);
    await expect(search.getByRole('cell').nth(1).textContent()).resolves.toBe(SECOND_ACTOR);
    // The details: a summary, the JSON behind it.
    await search.getByText(/by: "?query"?/).click();
    await search.getByText(/"results":/).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByLabel('Actor').fill(ADMIN_ACTOR);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((u) => u.searchParams.get('actor') === ADMIN_ACTOR);
    await rows(page).first().waitFor();
    const actors = await rows(page).locator('td:nth-child(2)').allTextContents();
    expect(actors.length).toBeGreaterThan(0);
    expect(new Set(actors)).toEqual(new Set([ADMIN_ACTOR]));
    await expect(rows(page).filter({ hasText: 'customer.search' }).count()).resolves.toBe(0);
    await expect(rows(page).filter({ hasText: 'PUT /price-lists' }).count()).resolves.toBe(1);

    // The kind of action: customer searches only (another actor's), then none of this actor's.
    await page.getByLabel('Actor').fill('');
    await page.getByLabel('Kind of action').first().click();
    await page.getByRole('option', { name: 'Customer searches' }).click();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((u) => u.searchParams.get('action') === 'customer.search');
    await rows(page).filter({ hasText: SECOND_ACTOR }).first().waitFor();
    const kinds = await rows(page).locator('td:nth-child(3)').allTextContents();
    expect(kinds.every((a) => a.startsWith('customer.search'))).toBe(true);
    await page.getByLabel('Actor').fill(ADMIN_ACTOR);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No entries match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL((u) => u.search === '');
    await rows(page).filter({ hasText: 'PUT /price-lists' }).waitFor();

    // A bare key name is that admin key's: the page asks for `admin:<name>`, as the trail stores it.
    await rows(page).filter({ hasText: SECOND_ACTOR }).first().waitFor();
    await page.getByLabel('Actor').fill(ADMIN_ACTOR.replace(/^admin:/, ''));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((u) => u.searchParams.get('actor') === ADMIN_ACTOR);
    await rows(page).filter({ hasText: SECOND_ACTOR }).first().waitFor({ state: 'detached' });
    await rows(page).filter({ hasText: 'PUT /price-lists' }).waitFor();
    const named = await rows(page).locator('td:nth-child(2)').allTextContents();
    expect(new Set(named)).toEqual(new Set([ADMIN_ACTOR]));
    expect(problems).toEqual([]);
  });

  it('filters by a time window and a customer id, and pages with "show more"', async () => {
    const at = new Date('2026-01-15T12:00:00Z');
    for (let n = 0; n < 60; n++)
      await recordAudit(hub.ctx.deps.db, new Date(at.getTime() + n * 10_000), {
        actor: 'admin:bulk import',
        action: 'customer.export',
        subject: 'customer:0f6b0c3e-1111-4111-8111-000000000001',
        details: { n },
      });
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, hub.adminKey, '/console/audit');
    await page.getByLabel('Subject or customer id').fill('0F6B0C3E-1111-4111-8111-000000000001');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('50 entries shown').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Show more' }).click();
    await page.getByText('60 entries shown').waitFor();
    await page.getByText('That is all.').waitFor();
    await expect(page.getByRole('button', { name: 'Show more' }).count()).resolves.toBe(0);

    // A window of one minute, [12:00, 12:01) UTC entered in local time: the first six, newest first.
    const local = (d: Date) => {
      const pad = (x: number) => String(x).padStart(2, '0');
      const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
      return `${date}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    };
    await page.getByLabel('From (your local time)').fill(local(at));
    await page
      .getByLabel('Until (your local time, not included)')
      .fill(local(new Date(at.getTime() + 60_000)));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((u) => u.searchParams.has('from') && u.searchParams.has('to'));
    await page.getByText('6 entries shown').waitFor();
    await expect(rows(page).locator('td:nth-child(5)').allInnerTexts()).resolves.toEqual(
      [5, 4, 3, 2, 1, 0].map((n) => `n: ${n}`),
    );
    // A window that ends before it starts: the hub refuses it, the field says why.
    await page
      .getByLabel('Until (your local time, not included)')
      .fill(local(new Date(at.getTime() - 60_000)));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('alert').filter({ hasText: 'BAD_USER_INPUT' }).waitFor();
    await page.getByText('must be after `from`').first().waitFor();
    // The one refusal provoked on purpose (asked once, not again), and the browser's line about it.
    expect(problems.filter((p) => /^400 .*\/admin\/v1\/audit\?/.test(p))).toHaveLength(1);
    expect(
      problems.filter((p) => !/^400 .*\/admin\/v1\/audit\?|status of 400 \(Bad Request\)/.test(p)),
    ).toEqual([]);
  });

  it('speaks Dutch when asked', async () => {
    const { page } = await hub.newPage(DESKTOP);
    await signIn(hub, page, hub.adminKey, '/console/audit');
    await page.getByText('Nederlands').first().click();
    await page.getByLabel('Soort actie').first().waitFor();
    await page.getByRole('table', { name: 'Auditregels' }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByText('English').first().click();
  });

  it('a key without the audit area is not offered the page, and the hub refuses the trail', async () => {
    const key = await hub.consoleKey('dashboard only', ['console:dashboard']);
    const { page } = await hub.newPage();
    await signIn(hub, page, key);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await expect(nav.getByRole('link').allTextContents()).resolves.toEqual(['Dashboard']);
    expect((await hub.admin('GET', '/audit', undefined, key)).status).toBe(403);
    await page.goto(hub.url('/console/audit'));
    await page.getByRole('heading', { name: 'Not available' }).waitFor();
  });
});
