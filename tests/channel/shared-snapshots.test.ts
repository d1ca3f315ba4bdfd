/**
 * One change costs one snapshot per (SKU, customer, location), however many subscribers share it: 1,000
 * identical `offerChanged` subscriptions over ten real graphql-ws connections, one price change, every push
 * delivered, and the node's PostgreSQL queries for that change counted on the pool it really uses.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import WebSocket from 'ws';
import { setPrice, startBackofficeWorker, type BackofficeWorker } from '../../backoffice-layer/index.js';
import {
  createChannelClient,
  startApiNode,
  type ApiNode,
  type HubTables,
} from '../../channel-layer/index.js';
import { enrollCustomer, journeyWorkerOptions } from '../../journey-layer/index.js';
import { seedCoat } from '../support/channel.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';

type Push = { offerChanged: { price: { final: { amount: number } }; revision: string } };

describe('shared subscription snapshots', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let worker: BackofficeWorker;
  let queries = 0;
  let customerId: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps);
    customerId = (
      await enrollCustomer(ctx.deps, { displayName: 'Anna' }, { channel: 'STORE', idempotencyKey: 'anna' })
    ).customer.id;
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    // The node's own queries, counted on the pool it really uses.
    const countingDb = new Kysely<HubTables>({
      dialect: new PostgresDialect({ pool: ctx.deps.pool }),
      plugins: [new CamelCasePlugin()],
      log: () => {
        queries++;
      },
    });
    node = await startApiNode({ ...ctx.deps, db: countingDb }, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await node.stop(100);
    await worker.stop();
    await ctx.close();
  });

  it(
    'turns one change into one snapshot for 1,000 identical ' + 'subscribers, each of whom receives it',
    async () => {
      const { key } = await createChannelClient(
        ctx.deps.db,
        { name: 'agents', channel: 'CALL_CENTER', scopes: ['subscriptions:1000', 'rate:5000'] },
        new Date(),
      );
      const received: Push[][] = [];
      const query =
        'subscription($c: ID!) { offerChanged(sku: "COAT-M", customerId: $c) { price { final { ' +
        'amount } } revision } }';
      const subscribe = (client: Client) => {
        const mine: Push[] = [];
        received.push(mine);
        client.subscribe<Push>(
          { query, variables: { c: customerId } },
          {
            next: (v) => {
              mine.push(v.data as Push);
            },
            error: (e) => {
              throw e instanceof Error ? e : new Error(JSON.stringify(e));
            },
            complete: () => undefined,
          },
        );
      };
      /**
       * Changes the price; waits until every subscriber has it; returns the node's PostgreSQL queries
       * meanwhile.
       */
      const change = async (amount: number): Promise<{ queries: number; revision: number }> => {
        await until(
          async () => received.every((r) => r.length >= 1),
          30_000,
          'every subscriber’s first push',
        );
        queries = 0;
        const { revision } = await setPrice(ctx.deps, 'base', 'COAT-M', { amount, minQuantity: 1 });
        await until(
          async () => received.every((r) => r.at(-1)?.offerChanged.price.final.amount === amount),
          15_000,
          `the change to ${amount} pushed to ${received.length} subscribers`,
        );
        // any later notice of the same change would be counted too
        await new Promise((r) => setTimeout(r, 300));
        return { queries, revision };
      };
      for (let c = 0; c < 10; c++) {
        clients.push(
          createClient({
            url: `ws://127.0.0.1:${node.port}/graphql`,
            webSocketImpl: WebSocket,
            connectionParams: { authorization: `Bearer ${key}` },
            retryAttempts: 0,
          }),
        );
      }

      // The baseline, same run: what one subscriber's change costs.
      subscribe(clients[0]!);
      const one = await change(11995);
      expect(one.queries).toBeGreaterThan(0);

      for (let i = 1; i < 1000; i++) subscribe(clients[i % 10]!);
      const t0 = Date.now();
      const many = await change(9995);
      const elapsed = Date.now() - t0;
      // Every subscriber got the new price once, at (or after) the change's revision.
      expect(received.filter((r) => r.at(-1)!.offerChanged.price.final.amount === 9995)).toHaveLength(1000);
      expect(received.every((r) => Number(r.at(-1)!.offerChanged.revision) >= many.revision)).toBe(true);
      // the first push, then the change: nothing twice
      expect(received.slice(1).every((r) => r.length === 2)).toBe(true);
      // One snapshot for all: a thousand subscribers cost what one costs (not a thousand times as much).
      expect(many.queries).toBeLessThanOrEqual(one.queries * 2);
      expect(elapsed).toBeLessThan(10_000);
    },
    90_000,
  );
});
