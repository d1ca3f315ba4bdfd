/**
 * `npm run screenshots:console`: redraws the README's pictures of the staff console — docs/console-mirror.png
 * (the channel mirror), docs/console-customer.png (a customer) and docs/console-dashboard.png (the
 * dashboard) — from a real first `omnihub start` with the embedded defaults (a new data folder, the demo
 * retailer) in Debian's Chromium (playwright-core). A few price changes first, so the dashboard's commit →
 * visible chart has points. Nothing in the pictures is drawn by hand.
 */
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM } from './chromium.js';
import { startDemoHub } from './demo-hub.js';

const PORT = 4061;
const SKU = 'NK-COAT-ARCTIC-BLACK-M';
const base = `http://127.0.0.1:${PORT}`;
const hub = await startDemoHub({ port: PORT, pgPort: 54393, name: 'console-shot' });

async function admin<T>(key: string, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/admin/v1${p}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function shoot(page: Page, file: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: file, fullPage: false });
  process.stdout.write(`${file} redrawn\n`);
}

try {
  const key = hub.key;
  const found = await admin<{ customers: Array<{ id: string }> }>(
    key,
    'GET',
    '/customers?query=anne.devries%40example.nl',
  );
  const anne = found.customers[0]?.id;
  if (!anne) throw new Error('the demo member Anne de Vries was not found');
  // Price changes (and back), so the dashboard's commit → visible chart has recent samples.
  for (let i = 0; i < 40; i++) {
    const amount = 24995 - (i % 5) * 100;
    await admin(key, 'PUT', `/price-lists/base-eur/prices/${SKU}`, { amount });
    await new Promise((r) => setTimeout(r, 250));
  }

  const browser = await chromium.launch(CHROMIUM);
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'en-GB' });
    await page.goto(`${base}/console`);
    await page.getByLabel('Key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    await page.goto(
      `${base}/console/mirror?sku=${SKU}&customer=${anne}&store=ams-01&postcode=1011AB&country=NL`,
    );
    await page
      .getByText(/identical/i)
      .first()
      .waitFor({ timeout: 30_000 });
    await shoot(page, 'docs/console-mirror.png');

    await page.goto(`${base}/console/customers/${anne}`);
    await page.getByText('Gold').first().waitFor({ timeout: 30_000 });
    await shoot(page, 'docs/console-customer.png');

    // The consistency check's first verdict comes 30 s after the start.
    await page.setViewportSize({ width: 1440, height: 1350 });
    await page.goto(`${base}/console/dashboard`);
    await page
      .getByText(/Checked at/)
      .first()
      .waitFor({ timeout: 60_000 });
    await page.locator('.recharts-surface').first().waitFor({ timeout: 30_000 });
    await shoot(page, 'docs/console-dashboard.png');
  } finally {
    await browser.close();
  }
} finally {
  await hub.stop();
}
