import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  setPrice,
  setStockCount,
  startBackofficeWorker,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
  type BackofficeWorker,
} from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { adjustPoints, enrollCustomer, journeyWorkerOptions } from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

describe('subscriptions (graphql-ws)', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let worker: BackofficeWorker;
  let key: string;
  let client: Client;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertProduct(ctx.deps, 'COAT-M', {
      name: 'Jas',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 12995, minQuantity: 1 });
    await setStockCount(ctx.deps, 'COAT-M', 'wh-1', { onHand: 5 });
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 100 });
    key = (
      await createChannelClient(
        ctx.deps.db,
        { name: 'agent', channel: 'CALL_CENTER', scopes: [] },
        new Date(),
      )
    ).key;
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    client = createClient({
      url: `ws://127.0.0.1:${node.port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
    });
  });
  afterAll(async () => {
    await client.dispose();
    await node.stop(100);
    await worker.stop();
    await ctx.close();
  });

  const next = <T>(
    query: string,
    variables: Record<string, unknown>,
    count: number,
  ): { values: T[]; done: Promise<void>; stop: () => void } => {
    const values: T[] = [];
    let stop = () => undefined as void;
    const done = new Promise<void>((resolve, reject) => {
      stop = client.subscribe<T>(
        { query, variables },
        {
          next: (v) => {
            values.push(v.data as T);
            if (values.length >= count) resolve();
          },
          error: reject,
          complete: () => resolve(),
        },
      );
    });
    return { values, done, stop: () => stop() };
  };

  it('pushes the offer to subscribers within milliseconds of a committed change', async () => {
    const sub = next<{
      offerChanged: {
        price: { final: { amount: number } };
        availability: { online: { available: number } };
        revision: string;
      };
    }>(
      'subscription { offerChanged(sku: "COAT-M") { ' +
        'price { final { amount } } availability { online { available } } revision } }',
      {},
      3,
    );
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const p = await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 9995, minQuantity: 1 });
    await new Promise((r) => setTimeout(r, 200));
    const s = await setStockCount(ctx.deps, 'COAT-M', 'wh-1', { onHand: 2 });
    await Promise.race([
      sub.done,
      new Promise((_, rej) => setTimeout(() => rej(new Error('no push')), 5000)),
    ]);
    sub.stop();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(sub.values[0]!.offerChanged.price.final.amount).toBe(12995); // the current offer, at once
    expect(sub.values[1]!.offerChanged.price.final.amount).toBe(9995);
    expect(Number(sub.values[1]!.offerChanged.revision)).toBeGreaterThanOrEqual(p.revision);
    expect(sub.values[2]!.offerChanged.availability.online.available).toBe(2);
    expect(Number(sub.values[2]!.offerChanged.revision)).toBeGreaterThanOrEqual(s.revision);
  });

  it(
    'pushes a member\u2019s loyalty status when her points change, and refuses connections without a ' +
      'key',
    async () => {
      const { customer } = await enrollCustomer(
        ctx.deps,
        { displayName: 'Kim' },
        { channel: 'STORE', idempotencyKey: 'kim' },
      );
      const sub = next<{ loyaltyChanged: { points: number; tier: string } }>(
        'subscription($c: ID!) { loyaltyChanged(customerId: $c) { points tier } }',
        { c: customer.id },
        1,
      );
      await new Promise((r) => setTimeout(r, 300));
      await adjustPoints(
        ctx.deps,
        { customerId: customer.id, points: 250, reason: 'welcome' },
        'kim-welcome',
      );
      await Promise.race([
        sub.done,
        new Promise((_, rej) => setTimeout(() => rej(new Error('no push')), 5000)),
      ]);
      sub.stop();
      expect(sub.values[0]).toEqual({ loyaltyChanged: { points: 250, tier: 'BRONZE' } });

      const anonymous = createClient({
        url: `ws://127.0.0.1:${node.port}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
      });
      const refused = await new Promise<unknown>((resolve) => {
        anonymous.subscribe(
          { query: 'subscription { offerChanged(sku: "COAT-M") { sku } }' },
          { next: () => resolve('accepted'), error: (e) => resolve(e), complete: () => resolve('completed') },
        );
      });
      expect(refused).not.toBe('accepted');
      await anonymous.dispose();
    },
  );

  it(
    'pushes one change to subscribers on two API node processes, with the same revision and ' + 'fingerprint',
    async () => {
      const child = spawn(process.execPath, ['bin/omnihub.js', 'api'], {
        env: {
          ...process.env,
          DATABASE_URL: ctx.databaseUrl,
          REDIS_URL: ctx.redisUrl,
          OMNIHUB_REDIS_PREFIX: ctx.redisPrefix,
          PORT: '0',
          LOG_LEVEL: 'error',
          OMNIHUB_ADMIN_KEY: 'subs-admin-key-0123456789',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const otherClient: { c?: Client } = {};
      try {
        const port = await new Promise<number>((resolve, reject) => {
          let out = '';
          child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /localhost:(\d+)/.exec(out);
            if (m) resolve(Number(m[1]));
          });
          child.once('exit', (code) => reject(new Error(`api exited (${code})`)));
        });
        otherClient.c = createClient({
          url: `ws://127.0.0.1:${port}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${key}` },
          retryAttempts: 0,
        });
        const query =
          'subscription { offerChanged(sku: "COAT-M") { price { final { amount } } revision fingerprint } }';
        type Push = {
          offerChanged: { price: { final: { amount: number } }; revision: string; fingerprint: string };
        };
        const watch = (c: Client) => {
          const values: Push[] = [];
          let stop = () => undefined as void;
          const done = new Promise<void>((resolve, reject) => {
            stop = c.subscribe<Push>(
              { query },
              {
                next: (v) => {
                  values.push(v.data as Push);
                  if (values.at(-1)!.offerChanged.price.final.amount === 7495) resolve();
                },
                error: reject,
                complete: () => resolve(),
              },
            );
          });
          return { values, done, stop: () => stop() };
        };
        const here = watch(client);
        const there = watch(otherClient.c);
        await new Promise((r) => setTimeout(r, 500));
        const p = await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 7495, minQuantity: 1 });
        await Promise.race([
          Promise.all([here.done, there.done]),
          new Promise((_, rej) => setTimeout(() => rej(new Error('no push on one of the nodes')), 5000)),
        ]);
        here.stop();
        there.stop();
        const a = here.values.at(-1)!.offerChanged;
        const b = there.values.at(-1)!.offerChanged;
        expect(Number(a.revision)).toBeGreaterThanOrEqual(p.revision);
        expect(Number(b.revision)).toBeGreaterThanOrEqual(p.revision);
        if (a.revision === b.revision) expect(a.fingerprint).toBe(b.fingerprint);
      } finally {
        await otherClient.c?.dispose();
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
    },
  );
});
