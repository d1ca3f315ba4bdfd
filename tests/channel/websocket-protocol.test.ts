/**
 * The WebSocket transport's own edges: a client's mistakes answered as BAD_USER_INPUT (as over HTTP), pings
 * as keep-alives rather than a free echo, a subscription that ends when its customer token expires, and the
 * Bearer scheme read as HTTP reads it (in any case).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from 'graphql-ws';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { adjustPoints, enrollCustomer } from '../../journey-layer/index.js';
import { ManualClock } from '../../shared/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';
import { graphqlClient, seedCoat } from '../support/channel.js';
import { rawSocket, watch, wsClient, wsOperation } from '../support/ws.js';

describe('the WebSocket transport', () => {
  const clock = new ManualClock(new Date());
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let key: string;
  const sockets: Client[] = [];
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await seedCoat(ctx.deps);
    key = (
      await createChannelClient(
        ctx.deps.db,
        { name: 'shop', channel: 'WEB', scopes: ['customer-tokens'] },
        new Date(),
      )
    ).key;
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await node.stop(100);
    await ctx.close();
  });
  const socket = (opts: { customerToken?: string } = {}) => {
    const s = wsClient(node.port, key, opts);
    sockets.push(s);
    return s;
  };

  it(
    'answers a wrong variable type and an operation it ' + 'cannot pick as BAD_USER_INPUT, as HTTP does',
    async () => {
      const s = socket();
      const wrongType = await wsOperation(s, 'query($n: Int!) { products(first: $n) { edges { cursor } } }', {
        n: 2 ** 40,
      });
      expect(wrongType.errors?.map((e) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
      const twoOperations = await new Promise<unknown>((resolve) =>
        s.subscribe(
          { query: 'query A { revision } query B { revision }' },
          { next: resolve, error: resolve, complete: () => undefined },
        ),
      );
      expect(twoOperations).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
      ]);
      const overHttp = await graphqlClient(node.port, key)(
        'query($n: Int!) { products(first: $n) { edges { cursor } } }',
        { n: 2 ** 40 },
      );
      expect(overHttp.errors?.map((e) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    },
  );

  it('closes a socket that pings before it is let in, or floods pings after', async () => {
    const early = rawSocket(node.port, {});
    early.socket.once('open', () => early.socket.send(JSON.stringify({ type: 'ping' })));
    // The ping may beat connection_init's answer or follow it; either way the socket is closed, not pinged
    // back.
    expect((await early.closed).code).toBe(4401);
    expect(early.received.filter((m) => m.type === 'pong')).toEqual([]);

    const flood = rawSocket(node.port, { authorization: `Bearer ${key}` });
    await flood.acked;
    for (let i = 0; i < 50; i++) flood.socket.send(JSON.stringify({ type: 'ping' }));
    expect(await flood.closed).toEqual({ code: 4029, reason: 'RATE_LIMITED: too many pings' });
    expect(flood.received.filter((m) => m.type === 'pong').length).toBeLessThanOrEqual(10);
  });

  it('ends a subscription for a customer when her token expires', async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { displayName: 'Sanne' },
      { channel: 'WEB', idempotencyKey: 'sanne' },
    );
    const token = (
      (
        await graphqlClient(node.port, key)(
          'mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }',
          { c: customer.id },
        )
      ).data as { issueCustomerToken: { token: string } }
    ).issueCustomerToken.token;
    const s = socket({ customerToken: token });
    const loyalty = watch<{ loyaltyChanged: { points: number } }>(
      s,
      'subscription($c: ID!) { loyaltyChanged(customerId: $c) { points } }',
      { c: customer.id },
    );
    await new Promise((r) => setTimeout(r, 300));
    clock.advance(16 * 60_000); // past the token's 15 minutes
    await until(async () => loyalty.errors !== undefined, 5_000, 'the subscription to end');
    expect(loyalty.errors?.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    await adjustPoints(ctx.deps, { customerId: customer.id, points: 50, reason: 'welcome' }, 'sanne-welcome');
    await new Promise((r) => setTimeout(r, 500));
    expect(loyalty.values).toEqual([]);
  });

  it('reads the Bearer scheme in any case, as HTTP does', async () => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `bearer ${key}` },
      body: JSON.stringify({ query: '{ revision }' }),
    });
    expect(res.status).toBe(200);
    const lower = rawSocket(node.port, { authorization: `bearer ${key}` });
    await lower.acked;
    lower.socket.close();
  });
});
