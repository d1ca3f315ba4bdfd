/**
 * `npm run screenshot`: redraws docs/screenshot.png from a real session — a first `omnihub start` with the
 * embedded defaults on port 4000 (in a new data folder), then the README's admin API commands run through the
 * shell's own `curl` and `jq` — rendered as a terminal in Debian's Chromium (playwright-core). Needs curl, jq
 * and
 * /usr/bin/chromium. Nothing in the picture is typed by hand: every line is what the commands printed.
 */
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { CHROMIUM } from './chromium.js';
import { startDemoHub } from './demo-hub.js';

const PORT = 4000;
const hub = await startDemoHub({ port: PORT, pgPort: 54391, name: 'shot' });
const startOutput = hub.output();
const key = hub.key;

try {
  const sku = 'NK-COAT-ARCTIC-BLACK-M';
  const commands = [
    `curl -s localhost:${PORT}/admin/v1/stock/${sku} -H "authorization: Bearer $KEY" ` +
      `| jq -c '.levels[:4][] | {locationId, onHand, reserved, available}'`,
    `curl -s localhost:${PORT}/admin/v1/reservations -H "authorization: Bearer $KEY" ` +
      `-H "idempotency-key: cart-7781" ` +
      `--json '{"lines":[{"sku":"${sku}","locationId":"wh-tilburg","quantity":2}],"ttlSeconds":900}' ` +
      `| jq -c '{revision, status: .reservation.status, lines: .reservation.lines}'`,
    `curl -s localhost:${PORT}/admin/v1/reservations -H "authorization: Bearer $KEY" ` +
      `-H "idempotency-key: cart-7782" ` +
      `--json '{"lines":[{"sku":"${sku}","locationId":"wh-tilburg","quantity":500}]}' ` +
      `| jq -c '{status, code, detail}'`,
    `curl -s -X PUT localhost:${PORT}/admin/v1/price-lists/base-eur/prices/${sku} ` +
      `-H "authorization: Bearer $KEY" --json '{"amount":-5}' | jq -c '{status, code, detail}'`,
  ];
  const shown = startOutput.replace(key, `${key.slice(0, 18)}…`);
  const transcript: Array<{ cmd?: string; out: string }> = [
    { cmd: 'LOG_LEVEL=warn npm start', out: shown.trimEnd() },
  ];
  for (const cmd of commands) {
    const out = execFileSync('bash', ['-c', cmd], { env: { ...process.env, KEY: key }, encoding: 'utf8' });
    transcript.push({ cmd, out: out.trimEnd() });
  }

  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const paint = (t: string) =>
    esc(t)
      .replace(/^(Omnihub .* ready)$/m, '<b class="ok">$1</b>')
      .replace(/"(INSUFFICIENT_STOCK|BAD_USER_INPUT|CONFLICT)"/g, '"<b class="code">$1</b>"');
  const body = transcript
    .map((t) => `${t.cmd ? `<div class="cmd">$ ${esc(t.cmd)}</div>` : ''}<div>${paint(t.out)}</div>`)
    .join('<br>');
  const html = `<!doctype html><meta charset="utf-8"><style>
    body { margin: 0; background: #0d1117; font: 13px/1.5 "DejaVu Sans Mono", monospace; }
    .win { margin: 18px; border-radius: 8px; background: #111827; color: #e5e7eb;
           box-shadow: 0 6px 24px #0008; }
    .bar { padding: 8px 14px; background: #1f2937; border-radius: 8px 8px 0 0; color: #9ca3af;
           font: 13px sans-serif; }
    .dot { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 6px; }
    pre { margin: 0; padding: 14px 18px 18px; white-space: pre-wrap; word-break: break-all; font: inherit; }
    .cmd { color: #7dd3fc; } .ok { color: #86efac; } .code { color: #fdba74; }
  </style><div class="win"><div class="bar"><span class="dot" style="background:#ef4444"></span><span
  class="dot" style="background:#eab308"></span><span class="dot" style="background:#22c55e"></span>
  omnihub — a fresh clone: npm start, then the admin API</div><pre>${body}</pre></div>`;

  const browser = await chromium.launch(CHROMIUM);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 400 } });
    await page.setContent(html);
    await page.locator('.win').screenshot({ path: 'docs/screenshot.png' });
  } finally {
    await browser.close();
  }
  process.stdout.write('docs/screenshot.png redrawn\n');
} finally {
  await hub.stop();
}
