/**
 * `npm run screenshots:console`: redraws the README's pictures of the staff console — docs/console-mirror.png
 * (the channel mirror), docs/console-customer.png (a customer) and docs/console-dashboard.png (the
 * dashboard) — from a real first `omnihub start` with the embedded defaults (a new data folder, the demo
 * retailer) in Debian's Chromium (playwright-core). A few price changes first, so the dashboard's commit →
 * visible chart has points. Nothing in the pictures is drawn by hand.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';

const PORT = 4061;
const SKU = 'NK-COAT-ARCTIC-BLACK-M';
const base = `http://127.0.0.1:${PORT}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'omnihub-console-shot-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PORT: String(PORT),
  OMNIHUB_DATA_DIR: dataDir,
  OMNIHUB_EMBEDDED_PG_PORT: '54393',
  OMNIHUB_REDIS_PREFIX: `console-shot-${process.pid}`,
  LOG_LEVEL: 'warn',
};
delete env.DATABASE_URL;
delete env.OMNIHUB_ADMIN_KEY;

const hub = spawn(process.execPath, ['bin/omnihub.js', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let startOutput = '';
hub.stdout.on('data', (d: Buffer) => {
  startOutput += d.toString();
});
hub.stderr.on('data', (d: Buffer) => process.stderr.write(d));

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
  const deadline = Date.now() + 180_000;
  while (!/ready\n[\s\S]*redis:.*\n/.test(startOutput)) {
    if (Date.now() > deadline || hub.exitCode !== null)
      throw new Error(`the hub did not start:\n${startOutput}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const key = /Admin API key[^\n]*\n\s+(\S+)/.exec(startOutput)?.[1];
  if (!key) throw new Error('no admin key printed');

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

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
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
  hub.kill('SIGINT');
  await new Promise((r) => hub.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
