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

/** The demo member the seed gives a store visit and a call to customer service (demo-journey.ts). */
const ANNE = { name: 'Anne de Vries', email: 'anne.devries@example.nl', tier: 'Gold' };
/** A demo member in the middle tier, found by part of her name. */
const CHANTAL = { name: 'Chantal Bakker', part: 'chantal bak', tier: 'Silver' };
/** The note of the seeded service contact on Anne's timeline. */
const SEEDED_NOTE = 'Asked whether the winter coat comes in a longer fit';

/** Searches the customers page for `query` and opens the one result named `name`. */
async function findAndOpen(page: Page, query: string, name: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Find a customer' }).fill(query);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('link', { name: `Open ${name}` }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

describe('the console: the customers page', () => {
  let hub: ConsoleHub;
  let writer: string;
  let reader: string;
  let annesId: string;

  /** A GraphQL call with `key`, as any client makes it → the parsed answer. */
  async function graphql(
    key: string,
    query: string,
    variables: Record<string, unknown>,
  ): Promise<{ data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
    const res = await fetch(hub.url('/graphql'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
  }

  beforeAll(async () => {
    hub = await startConsoleHub();
    writer = await hub.consoleKey('call center agent', ['console:customers:write']);
    reader = await hub.consoleKey('store reader', ['console:customers']);
    const anne = await hub.ctx.deps.db
      .selectFrom('customers')
      .select('id')
      .where('displayName', '=', ANNE.name)
      .executeTakeFirstOrThrow();
    annesId = anne.id;
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('finds a member by e-mail, shows her tier and timeline, and records a service contact', async () => {
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, writer, '/console/customers');
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByRole('textbox', { name: 'Find a customer' }).fill(ANNE.email);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.getByRole('table', { name: 'Customers found' });
    await results.waitFor();
    await expect(results.getByRole('row').nth(1).textContent()).resolves.toContain('E-mail');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await results.getByRole('link', { name: `Open ${ANNE.name}` }).click();

    await page.getByRole('heading', { level: 1, name: ANNE.name }).waitFor();
    await expect(page.getByTestId('customer-tier').textContent()).resolves.toBe(ANNE.tier);
    await page.getByRole('cell', { name: ANNE.email, exact: true }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByRole('tab', { name: 'Timeline' }).click();
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await timeline.getByText(SEEDED_NOTE, { exact: false }).waitFor();
    await timeline.getByText('Store visit', { exact: true }).first().waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    const note = `Called about the lining of her parka (${Date.now()})`;
    await page.getByRole('button', { name: 'Record a service contact' }).click();
    const dialog = page.getByRole('dialog', { name: 'Record a service contact' });
    await dialog.getByLabel('Note').fill(note);
    await dialog.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByRole('status').getByText('The service contact was recorded.').waitFor();
    await timeline.getByText(note, { exact: false }).waitFor();
    // Newest first: the contact just recorded leads her timeline.
    await expect(timeline.getByRole('listitem').first().textContent()).resolves.toContain(note);
    expect(problems).toEqual([]);
  });

  it('finds a member by part of her name at a tablet width, with no axe violations', async () => {
    const { page, problems } = await hub.newPage(TABLET);
    await signIn(hub, page, writer, '/console/customers');
    await page.getByRole('textbox', { name: 'Find a customer' }).fill(CHANTAL.part);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.getByRole('table', { name: 'Customers found' });
    await results.waitFor();
    await expect(results.textContent()).resolves.toContain('Name');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await results.getByRole('link', { name: `Open ${CHANTAL.name}` }).click();
    await page.getByRole('heading', { level: 1, name: CHANTAL.name }).waitFor();
    await expect(page.getByTestId('customer-tier').textContent()).resolves.toBe(CHANTAL.tier);
    await page.getByText(/points to Gold/).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    // Her identifiers fit the tablet: each Unlink button in view; channels in words, not codes.
    const identifiers = page.getByRole('table', { name: 'Identifiers' });
    const unlinks = await identifiers.getByRole('button', { name: /^Unlink / }).all();
    expect(unlinks.length).toBeGreaterThan(0);
    for (const b of unlinks) {
      const box = await b.boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(TABLET.width);
    }
    const idChannels = await identifiers.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(idChannels.length).toBeGreaterThan(0);
    for (const c of idChannels) expect(c).not.toMatch(/^[A-Z_]+$/);
    await page.getByRole('tab', { name: 'Data use' }).click();
    const uses = page.getByRole('table', { name: 'What her data was used for' });
    await uses.locator('tbody tr').first().waitFor();
    for (const row of await uses.locator('tbody tr').all()) {
      const [, , channel, purpose] = (await row.locator('td').allTextContents()).map((c) => c.trim());
      expect([channel, purpose]).not.toContainEqual(expect.stringMatching(/^[A-Z_]+$/));
    }
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await page.getByRole('list', { name: 'Timeline' }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('prices a cart as she would see it, changing nothing', async () => {
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, writer, '/console/customers');
    await findAndOpen(page, ANNE.email, ANNE.name);
    const sku = (
      await hub.ctx.deps.db
        .selectFrom('prices')
        .select('sku')
        .where('priceListId', '=', 'base-eur')
        .where('sku', 'like', 'NK-COAT-ARCTIC-%')
        .orderBy('sku')
        .limit(1)
        .executeTakeFirstOrThrow()
    ).sku;
    await page.getByRole('tab', { name: 'Quote a cart' }).click();
    await page.getByLabel('SKU, line 1').fill(sku);
    await page.getByRole('button', { name: 'Price this cart' }).click();
    const lines = page.getByRole('table', { name: 'Quoted lines' });
    await lines.getByRole('cell', { name: sku }).waitFor();
    await expect(page.getByTestId('quote-total').textContent()).resolves.toMatch(/€/);
    expect(await seriousAxeViolations(page)).toEqual([]);

    // An unknown SKU is refused in words.
    await page.getByLabel('SKU, line 1').fill('NO-SUCH-SKU');
    await page.getByRole('button', { name: 'Price this cart' }).click();
    await page.getByRole('alert').first().waitFor();
    expect(problems).toEqual([]);
  });

  it('shows a refused correction at its field; merges after confirming both names; undoes it', async () => {
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, writer, '/console/customers');
    await findAndOpen(page, 'eva.smit@example.nl', 'Eva Smit');

    await page.getByRole('button', { name: 'Correct her data' }).click();
    const correct = page.getByRole('dialog', { name: 'Correct her data' });
    await correct.getByRole('textbox', { name: 'Birthday' }).fill('31-12-1990');
    await correct.getByRole('button', { name: 'Save corrections' }).click();
    const birthday = correct.getByRole('textbox', { name: 'Birthday' });
    const invalid = correct.locator('[aria-invalid="true"]');
    await invalid.waitFor();
    await expect(invalid.getAttribute('id')).resolves.toBe(await birthday.getAttribute('id'));
    expect(await seriousAxeViolations(page)).toEqual([]);
    await birthday.fill('1990-12-31');
    await correct.getByRole('button', { name: 'Save corrections' }).click();
    await page.getByRole('status').getByText('Her data was corrected.').waitFor();
    await page.getByRole('cell', { name: '1990-12-31' }).waitFor();

    await page.getByRole('button', { name: 'Merge another profile into her' }).click();
    const find = page.getByRole('dialog', { name: 'Merge another profile into her' });
    await find.getByRole('textbox', { name: 'Find the other profile' }).fill('fleur');
    await find.getByRole('button', { name: 'Search', exact: true }).click();
    await find.getByRole('button', { name: 'Merge Fleur Meijer into her' }).click();
    const confirm = page.getByRole('dialog', { name: 'Confirm the merge' });
    await expect(confirm.getByRole('table', { name: 'The two profiles' }).textContent()).resolves.toMatch(
      /Eva Smit.*Fleur Meijer/,
    );
    expect(await seriousAxeViolations(page)).toEqual([]);
    await confirm.getByRole('button', { name: 'Merge the profiles' }).click();
    await page
      .getByRole('status')
      .getByText(/The profiles were merged/)
      .waitFor();
    // Fleur's app account is hers now.
    await page.getByRole('cell', { name: 'app-fleur-0001', exact: true }).waitFor();

    const undo = page.getByRole('button', { name: /^Undo merge / });
    await undo.first().click();
    await page
      .getByRole('dialog', { name: 'Undo a merge' })
      .getByRole('button', { name: 'Undo the merge' })
      .click();
    await page
      .getByRole('status')
      .getByText(/was undone/)
      .waitFor();
    await page.getByRole('cell', { name: 'app-fleur-0001', exact: true }).waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('a read-only key sees no actions, and the hub refuses updateProfile to it', async () => {
    const { page, problems } = await hub.newPage(DESKTOP);
    await signIn(hub, page, reader, `/console/customers/${annesId}`);
    await page.getByRole('heading', { level: 1, name: ANNE.name }).waitFor();
    await expect(page.getByTestId('customer-tier').textContent()).resolves.toBe(ANNE.tier);
    await page.getByRole('cell', { name: ANNE.email, exact: true }).waitFor();
    for (const name of [
      'Record a service contact',
      'Correct her data',
      'Merge another profile into her',
      'Change preferences',
      `Unlink ${ANNE.email}`,
    ])
      await expect(page.getByRole('button', { name }).count()).resolves.toBe(0);
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await page.getByRole('list', { name: 'Timeline' }).getByText(SEEDED_NOTE, { exact: false }).waitFor();
    expect(problems).toEqual([]);

    const refused = await graphql(
      reader,
      `
        mutation ($id: ID!) {
          updateProfile(customerId: $id, input: { displayName: "Anne Other" }) {
            id
          }
        }
      `,
      { id: annesId },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const still = await hub.ctx.deps.db
      .selectFrom('customers')
      .select('displayName')
      .where('id', '=', annesId)
      .executeTakeFirstOrThrow();
    expect(still.displayName).toBe(ANNE.name);
  });

  it('a key without the customers area does not see the page, and the hub refuses its search', async () => {
    const key = await hub.consoleKey('stock clerk', ['console:stock']);
    const { page } = await hub.newPage(DESKTOP);
    await signIn(hub, page, key);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.getByRole('link', { name: 'Stock and prices' }).waitFor();
    await expect(nav.getByRole('link', { name: 'Customers' }).count()).resolves.toBe(0);

    const res = await fetch(hub.url('/admin/v1/customers?query=anne'), {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(403);
  });
});
