import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../backoffice-layer/index.js';
import { createChannelClient } from '../../channel-layer/index.js';
import { upsertPromotion } from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

const SKUS = ['COAT-S', 'COAT-M', 'COAT-L', 'SCARF-1', 'SOCK-1'];

// QUALITY C6: four channel clients over real HTTP against two API node processes (and two workers) while a
// writer changes prices, stock and promotions: equal revision ⇒ equal fingerprint, always, and never an
// answer below minRevision.
describe('identical answers across channels and nodes (C6)', () => {
  let ctx: BackofficeTestContext;
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  const keys: string[] = [];

  const start = (role: 'api' | 'worker'): Promise<number> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['bin/omnihub.js', role], {
        env: {
          ...process.env,
          DATABASE_URL: ctx.databaseUrl,
          REDIS_URL: ctx.redisUrl,
          OMNIHUB_REDIS_PREFIX: ctx.redisPrefix,
          PORT: '0',
          LOG_LEVEL: 'error',
          OMNIHUB_ADMIN_KEY: 'c6-admin-key-0123456789',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      procs.push(child);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const port = /localhost:(\d+)/.exec(out);
        if (role === 'api' && port) resolve(Number(port[1]));
        if (role === 'worker' && out.includes('worker ready')) resolve(0);
      });
      child.once('exit', (code) => reject(new Error(`${role} exited (${code})`)));
    });

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    for (const sku of SKUS) {
      await upsertProduct(ctx.deps, sku, {
        name: sku,
        category: sku.startsWith('COAT') ? 'coats' : 'accessories',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      await setPrice(ctx.deps, 'base', sku, { amount: 5000, minQuantity: 1 });
      await setStockCount(ctx.deps, sku, 'wh-1', { onHand: 20 });
    }
    for (const [channel, locationId] of [
      ['WEB', undefined],
      ['APP', undefined],
      ['STORE', 'ams-01'],
      ['CALL_CENTER', undefined],
    ] as const) {
      keys.push(
        (
          await createChannelClient(
            ctx.deps.db,
            { name: channel, channel, ...(locationId ? { locationId } : {}), scopes: ['rate:100000'] },
            new Date(),
          )
        ).key,
      );
    }
    // Two workers share the outbox (claims with SKIP LOCKED) and the queues, as a scaled-out hub runs.
    const [a, b] = await Promise.all([start('api'), start('api'), start('worker'), start('worker')]);
    ports.push(a!, b!);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise((r) => {
            if (p.exitCode !== null) return r(undefined);
            p.once('exit', r);
            p.kill('SIGTERM');
          }),
      ),
    );
    await ctx.close();
  });

  it('gives equal fingerprints for equal revisions, and never less than minRevision', async () => {
    let writing = true;
    let lastRevision = 0;
    let writes = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const sku = SKUS[i % SKUS.length]!;
        const r =
          i % 3 === 0
            ? await setPrice(ctx.deps, 'base', sku, { amount: 5000 + (i % 7) * 100, minQuantity: 1 })
            : i % 3 === 1
              ? await setStockCount(ctx.deps, sku, 'wh-1', { onHand: 10 + (i % 11) })
              : await upsertPromotion(ctx.deps, 'flash', {
                  status: 'ACTIVE',
                  rule: {
                    label: 'Flash',
                    conditions: [{ kind: 'category', categories: [i % 2 ? 'coats' : 'accessories'] }],
                    action: { kind: 'percentOff', percentBp: 500 + (i % 5) * 100 },
                  },
                });
        lastRevision = Math.max(lastRevision, r.revision);
        writes++;
        await new Promise((res) => setTimeout(res, 15));
      }
    })();
    const seen = new Map<string, { fingerprint: string; channel: number }>();
    const mismatches: string[] = [];
    let answers = 0;
    let shared = 0;
    const query =
      `query($s: [ID!]!, $m: Revision) { offers(skus: $s, minRevision: $m) { sku revision ` +
      `fingerprint } }`;
    const readers = keys.map(async (key, channel) => {
      for (let i = 0; writing; i++) {
        const minRevision = lastRevision;
        const port = ports[(i + channel) % 2]!;
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query, variables: { s: SKUS, m: String(minRevision) } }),
        });
        const body = (await res.json()) as {
          data?: { offers: Array<{ sku: string; revision: string; fingerprint: string }> };
          errors?: unknown;
        };
        if (!body.data) {
          mismatches.push(`error ${JSON.stringify(body.errors)}`);
          continue;
        }
        for (const o of body.data.offers) {
          answers++;
          if (Number(o.revision) < minRevision)
            mismatches.push(`${o.sku} answered at ${o.revision} < minRevision ${minRevision}`);
          const k = `${o.sku}@${o.revision}`;
          const prior = seen.get(k);
          if (!prior) seen.set(k, { fingerprint: o.fingerprint, channel });
          else {
            if (prior.channel !== channel) shared++;
            if (prior.fingerprint !== o.fingerprint)
              mismatches.push(`${k}: ${prior.fingerprint.slice(0, 8)} ≠ ${o.fingerprint.slice(0, 8)}`);
          }
        }
      }
    });
    // At least 4 s and 40 writes (on a loaded machine the readers can starve the writer): then stop, 30 s at
    // most.
    const started = Date.now();
    while ((Date.now() - started < 4000 || writes < 40) && Date.now() - started < 30_000)
      await new Promise((r) => setTimeout(r, 50));
    writing = false;
    await Promise.all([writer, ...readers]);
    expect(mismatches).toEqual([]);
    expect(writes).toBeGreaterThan(30);
    expect(answers).toBeGreaterThan(100);
    // many revisions were observed
    expect(new Set([...seen.keys()].map((k) => k.split('@')[1])).size).toBeGreaterThan(5);
    expect(shared).toBeGreaterThan(0); // and different channels saw the same revisions
  }, 60_000);
});
