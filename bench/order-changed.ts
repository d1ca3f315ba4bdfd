/**
 * P4o — from a fulfilment event's commit to `orderChanged` pushed on two API nodes (issue 12, "orderChanged
 * pushed to two API nodes within the P4 budget": p50 ≤ 15 ms, p99 ≤ 100 ms). Production shape: the worker in
 * a process of its own, two API nodes in two more, the writer (warehouse events through the backoffice) and
 * the subscribers here. Each of `orders` demo orders is followed on both nodes; every order then moves
 * PICKING → PACKED → SHIPPED → DELIVERED, one event at a time per order, orders in parallel. Latency = push
 * received on a node − commit returned.
 * @example npx tsx bench/order-changed.ts [orders]
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  getOrder,
  listProducts,
  recordFulfilmentEvent,
  seedDemoRetailer,
  setStockCount,
} from '../backoffice-layer/index.js';
import { createChannelClient } from '../channel-layer/index.js';
import { placeOrder, seedDemoJourney } from '../journey-layer/index.js';
import { createBenchDatabase, omnihubArgs, percentile, printTable, startChild, hubEnv } from './support.js';

/** What P4o measured: latencies in ms over every push on both nodes. */
export interface OrderChangedBenchResult {
  pushes: number;
  p50: number;
  p99: number;
  max: number;
  table: string;
}

const STEPS = ['PICKING', 'PACKED', 'SHIPPED', 'DELIVERED'] as const;

/** Runs P4o over `orders` orders (default 50), 4 moves each, followed on two API nodes. */
export async function benchOrderChanged(opts: { orders?: number } = {}): Promise<OrderChangedBenchResult> {
  const count = opts.orders ?? 50;
  const bench = await createBenchDatabase('orderchanged', { poolSize: 30 });
  const { deps } = bench;
  const children: ChildProcess[] = [];
  const clients: Client[] = [];
  try {
    await seedDemoRetailer(deps);
    await seedDemoJourney(deps);
    const sku = (await listProducts(deps.db, { limit: 1 })).products[0]!.sku;
    await setStockCount(deps, sku, 'wh-tilburg', { onHand: 100_000 });
    const orders: Array<{ orderId: string; fulfilmentId: string }> = [];
    for (let i = 0; i < count; i++) {
      const { orderId } = await placeOrder(
        deps,
        { lines: [{ sku, quantity: 1 }], fulfilment: { method: 'DELIVERY', countryCode: 'NL' } },
        `p4o-${i}`,
        { channel: 'WEB' },
      );
      orders.push({ orderId, fulfilmentId: (await getOrder(deps.db, orderId))!.fulfilments[0]!.id });
    }
    const env = hubEnv(bench);
    children.push((await startChild(omnihubArgs('worker'), env)).child);
    const ports: number[] = [];
    for (let n = 0; n < 2; n++) {
      const started = await startChild(omnihubArgs('api'), { ...env, PORT: '0' });
      children.push(started.child);
      ports.push(started.port);
    }
    const { key } = await createChannelClient(
      deps.db,
      { name: 'bench', channel: 'CALL_CENTER', scopes: ['rate:999999'] },
      new Date(),
    );
    // Every push, by order and status, with the instant it arrived on each node.
    const arrived = new Map<string, number[]>();
    const firsts: Array<Promise<void>> = [];
    for (const port of ports) {
      const client = createClient({
        url: `ws://127.0.0.1:${port}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${key}` },
        retryAttempts: 0,
      });
      clients.push(client);
      for (const o of orders)
        firsts.push(
          new Promise<void>((resolve, reject) => {
            client.subscribe<{ orderChanged: { fulfilments: Array<{ status: string }> } }>(
              {
                query: 'subscription($id: ID!) { orderChanged(id: $id) { fulfilments { status } } }',
                variables: { id: o.orderId },
              },
              {
                next: (r) => {
                  const status = r.data?.orderChanged.fulfilments[0]?.status ?? '';
                  const k = `${o.orderId} ${status}`;
                  arrived.set(k, [...(arrived.get(k) ?? []), performance.now()]);
                  resolve();
                },
                error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
                complete: () => undefined,
              },
            );
          }),
        );
    }
    await Promise.all(firsts);
    const committed = new Map<string, number>();
    const by = { actor: 'admin:bench', channel: 'ADMIN' };
    await Promise.all(
      orders.map(async (o) => {
        for (const status of STEPS) {
          await recordFulfilmentEvent(deps, o.fulfilmentId, { status }, randomUUID(), by);
          const at = performance.now();
          committed.set(`${o.orderId} ${status}`, at);
          // The next event once both nodes pushed this one (a carrier scans one parcel at a time).
          const deadline = at + 10_000;
          while ((arrived.get(`${o.orderId} ${status}`)?.length ?? 0) < 2 && performance.now() < deadline)
            await new Promise((r) => setTimeout(r, 1));
        }
      }),
    );
    const latencies: number[] = [];
    let missing = 0;
    for (const [k, at] of committed) {
      const pushes = arrived.get(k) ?? [];
      missing += 2 - pushes.length;
      for (const p of pushes) latencies.push(Math.max(0, p - at));
    }
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const table = printTable(
      `P4o — fulfilment event commit → orderChanged pushed on two API nodes (${count} orders × 4 moves)`,
      ['pushes', 'missing', 'p50 ms', 'p99 ms', 'max ms', 'target'],
      [
        [
          latencies.length,
          missing,
          p50,
          p99,
          Math.max(...latencies),
          `p50 ≤ 15 ${p50 <= 15 ? 'met' : 'NOT met'}, p99 ≤ 100 ${p99 <= 100 ? 'met' : 'NOT met'}`,
        ],
      ],
    );
    return { pushes: latencies.length, p50, p99, max: Math.max(...latencies), table };
  } finally {
    for (const c of clients) await c.dispose();
    for (const c of children) c.kill('SIGTERM');
    await bench.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchOrderChanged({ orders: Number(process.argv[2] ?? 50) }).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
