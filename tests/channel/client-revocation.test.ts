/**
 * Revoking a client key through the admin API: every entrance stops it within the key cache's window — HTTP
 * requests, new WebSocket operations on a connection opened before, and the subscriptions that connection
 * holds, which end with UNAUTHENTICATED and receive nothing more.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  registerAdminKey,
  setPrice,
  startBackofficeWorker,
  type BackofficeWorker,
} from '../../backoffice-layer/index.js';
import { startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { journeyWorkerOptions } from '../../journey-layer/index.js';
import { seedCoat } from '../support/channel.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';

describe('revoking a client key', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let worker: BackofficeWorker;
  let socket: Client;
  const ADMIN_KEY = 'revocation-admin-key-0123456789';

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps);
    await registerAdminKey(ctx.deps.db, ADMIN_KEY, 'revocation', new Date());
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await socket?.dispose();
    await node.stop(100);
    await worker.stop();
    await ctx.close();
  });

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${node.port}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const httpCode = async (key: string) => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ revision }' }),
    });
    const body = (await res.json()) as { errors?: Array<{ extensions: { code: string } }> };
    return { status: res.status, code: body.errors?.[0]?.extensions.code ?? 'OK' };
  };

  it(
    'stops the key on HTTP and WebSocket within seconds and ends its open subscriptions with ' +
      'UNAUTHENTICATED',
    async () => {
      const created = await admin('POST', '/clients', { name: 'webshop', channel: 'WEB', scopes: [] });
      const { id, key } = created.body as { id: string; key: string };
      socket = createClient({
        url: `ws://127.0.0.1:${node.port}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${key}` },
        retryAttempts: 0,
        lazy: false,
      });
      const pushes: number[] = [];
      let ended: unknown;
      socket.subscribe<{ offerChanged: { price: { final: { amount: number } } } }>(
        { query: 'subscription { offerChanged(sku: "COAT-M") { price { final { amount } } } }' },
        {
          next: (v) => {
            pushes.push(v.data!.offerChanged.price.final.amount);
          },
          error: (e) => {
            ended = e;
          },
          complete: () => {
            ended = ended ?? 'completed';
          },
        },
      );
      await until(async () => pushes.length === 1, 5_000, 'the first push');
      expect(await httpCode(key)).toEqual({ status: 200, code: 'OK' });

      const revokedAt = Date.now();
      const revoked = await admin('POST', `/clients/${id}/revoke`);
      expect(revoked.status).toBe(200);
      expect(revoked.body.client).toMatchObject({ id, revokedAt: expect.any(String) });
      // Listed with its revocation, never with its key.
      const listed = await admin('GET', '/clients');
      expect(JSON.stringify(listed.body)).not.toContain(key);
      expect(
        (listed.body.clients as Array<{ id: string; revokedAt: string | null }>).find((c) => c.id === id)
          ?.revokedAt,
      ).toEqual(expect.any(String));

      await until(async () => ended !== undefined, 10_000, 'the open subscription to end');
      // the key cache (5 s) plus one sweep (1 s), with room for a loaded machine
      expect(Date.now() - revokedAt).toBeLessThan(9_000);
      expect(ended).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
      ]);
      expect(await httpCode(key)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      // A new operation on the same, still open connection is refused too.
      const again = await new Promise<unknown>((resolve) =>
        socket.subscribe(
          { query: '{ revision }' },
          { next: (v) => resolve(v), error: (e) => resolve(e), complete: () => undefined },
        ),
      );
      expect(again).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
      ]);
      // Nothing more is pushed to it.
      await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 9995, minQuantity: 1 });
      await new Promise((r) => setTimeout(r, 1_000));
      expect(pushes).toEqual([12995]);
      // Revoking again changes nothing; an unknown client is NOT_FOUND.
      expect((await admin('POST', `/clients/${id}/revoke`)).body.client).toEqual(revoked.body.client);
      expect((await admin('POST', '/clients/00000000-0000-4000-8000-000000000000/revoke')).status).toBe(404);
    },
    30_000,
  );

  it('names a client issued without a name after its channel, as the command line does', async () => {
    const created = await admin('POST', '/clients', { channel: 'APP' });
    expect(created.status).toBe(201);
    const listed = (await admin('GET', '/clients')).body.clients as Array<{ id: string; name: string }>;
    expect(listed.find((c) => c.id === (created.body as { id: string }).id)?.name).toBe('APP client');
  });
});
