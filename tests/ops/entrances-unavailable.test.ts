/**
 * PostgreSQL stopped under a running API node: every entrance — GraphQL over HTTP (a key it must look up, and
 * one it remembers), graphql-ws (a new connection, and an operation on an open one), the admin API and
 * readiness — answers UNAVAILABLE, never a claim that a valid key is wrong, never a 5xx other than 503; and
 * all of it recovers by itself once PostgreSQL is back. A PostgreSQL of the test's own (embedded), so
 * stopping it disturbs nobody else.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { registerAdminKey, type BackofficeDeps } from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { enrollCustomer } from '../../journey-layer/index.js';
import {
  createDatabase,
  migrate,
  startEmbeddedPostgres,
  type DatabaseHandle,
  type EmbeddedPostgresHandle,
} from '../../shared/index.js';
import { seedCoat } from '../support/channel.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';

type Answer = { status: number; code: string | undefined; retryAfter: string | null };

describe('PostgreSQL down: every entrance answers UNAVAILABLE, and recovers by itself', () => {
  const dataDir = `.omnihub/entrances-${randomBytes(4).toString('hex')}`;
  const port = 53000 + Math.floor(Math.random() * 3000);
  const ADMIN_KEY = 'entrances-admin-key-0123456789';
  let pg: EmbeddedPostgresHandle;
  let handle: DatabaseHandle;
  let ctx: BackofficeTestContext;
  let deps: BackofficeDeps;
  let node: ApiNode;
  let key: string;
  let customerId: string;
  const sockets: Client[] = [];

  beforeAll(async () => {
    pg = await startEmbeddedPostgres({ dataDir, port });
    handle = createDatabase(pg.url, { max: 8, connectionTimeoutMs: 1500 });
    await migrate(handle.pool);
    ctx = await createBackofficeTestContext(); // Redis and queues of the test's own prefix
    deps = {
      ...ctx.deps,
      db: handle.db,
      pool: handle.pool,
      config: { ...ctx.deps.config, databaseUrl: pg.url },
    };
    await seedCoat(deps);
    customerId = (
      await enrollCustomer(deps, { displayName: 'Anna' }, { channel: 'STORE', idempotencyKey: 'anna' })
    ).customer.id;
    key = (
      await createChannelClient(deps.db, { name: 'agent', channel: 'CALL_CENTER', scopes: [] }, new Date())
    ).key;
    await registerAdminKey(deps.db, ADMIN_KEY, 'entrances', new Date());
    node = await startApiNode(deps, 0, '127.0.0.1');
  }, 120_000);
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await node?.stop(100);
    await ctx?.close();
    await handle?.close().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  const url = () => `http://127.0.0.1:${node.port}`;
  const graphql = async (query: string, variables: Record<string, unknown> = {}): Promise<Answer> => {
    const res = await fetch(`${url()}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    return {
      status: res.status,
      code: body.errors?.[0]?.extensions?.code,
      retryAfter: res.headers.get('retry-after'),
    };
  };
  const admin = async (): Promise<Answer> => {
    const res = await fetch(`${url()}/admin/v1/products`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const body = (await res.json()) as { code?: string };
    return { status: res.status, code: body.code, retryAfter: res.headers.get('retry-after') };
  };
  const socket = (): Client => {
    const c = createClient({
      url: `ws://127.0.0.1:${node.port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      lazy: false,
    });
    sockets.push(c);
    return c;
  };
  /** One operation over a socket: the first error's code, or OK. */
  const overSocket = (c: Client, query: string): Promise<string> =>
    new Promise((resolve) => {
      c.subscribe(
        { query },
        {
          next: (v) => resolve((v.errors?.[0]?.extensions?.code as string | undefined) ?? 'OK'),
          error: (e) =>
            resolve(
              Array.isArray(e)
                ? String((e[0] as { extensions?: { code?: string } }).extensions?.code)
                : e instanceof Error
                  ? e.message
                  : `closed ${(e as { code?: number }).code}: ${(e as { reason?: string }).reason}`,
            ),
          complete: () => undefined,
        },
      );
    });
  /** What a new WebSocket connection is told: its close code and reason, or that it was accepted. */
  const connectAnswer = (): Promise<string> =>
    new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${node.port}/graphql`, 'graphql-transport-ws');
      ws.on('open', () =>
        ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } })),
      );
      ws.on('message', (m) => {
        if ((JSON.parse(String(m)) as { type: string }).type === 'connection_ack') {
          resolve('accepted');
          ws.close();
        }
      });
      ws.on('close', (code, reason) => resolve(`${code} ${String(reason)}`));
      ws.on('error', () => undefined);
    });
  const OFFER = '{ offer(sku: "COAT-M") { price { final { amount } } } }';

  it(
    'answers UNAVAILABLE on every entrance while PostgreSQL ' + 'is down, then recovers without a restart',
    async () => {
      const open = socket();
      expect(await graphql(OFFER)).toMatchObject({ status: 200, code: undefined });
      expect(await overSocket(open, OFFER)).toBe('OK');
      expect(await connectAnswer()).toBe('accepted');
      expect((await admin()).status).toBe(200);

      await pg.stop();
      // The key is still remembered: what needs PostgreSQL says UNAVAILABLE, with its stable code.
      const profile = await graphql('query($c: ID!) { customer(id: $c) { id } }', { c: customerId });
      expect(profile).toMatchObject({ status: 200, code: 'UNAVAILABLE' });

      // Past the key cache: the key cannot be checked, which is UNAVAILABLE — never "a key is required".
      await new Promise((r) => setTimeout(r, 5_500));
      const started = Date.now();
      const answers = {
        'graphql over HTTP': await graphql(OFFER),
        'admin API': await admin(),
      };
      expect(answers['graphql over HTTP']).toEqual({
        status: 503,
        code: 'UNAVAILABLE',
        retryAfter: expect.stringMatching(/^\d+$/),
      });
      expect(answers['admin API']).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
      expect(await overSocket(open, OFFER)).toBe('UNAVAILABLE');
      expect(await connectAnswer()).toMatch(/^1013 UNAVAILABLE/);
      expect((await fetch(`${url()}/readyz`)).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(10_000); // each answered promptly, none hung

      pg = await startEmbeddedPostgres({ dataDir, port });
      await until(
        async () => (await graphql(OFFER)).status === 200,
        20_000,
        'GraphQL over HTTP to recover by itself',
      );
      // the connection opened before the outage lived through it
      expect(await overSocket(open, OFFER)).toBe('OK');
      expect(await connectAnswer()).toBe('accepted');
      expect((await admin()).status).toBe(200);
      await until(
        async () => (await fetch(`${url()}/readyz`)).status === 200,
        20_000,
        'readiness to recover',
      );
    },
    120_000,
  );
});
