/**
 * Deeply nested input, under every size limit, at every entrance: GraphQL variables over HTTP and WebSocket,
 * an admin REST body and an import record. Refused as BAD_USER_INPUT at once — a 256 KB body 128,000 levels
 * deep once held a node's event loop for 152 s while its text was checked.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { findUnstorableText, MAX_INPUT_DEPTH } from '../../shared/index.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  until,
  type AdminClient,
  type BackofficeTestContext,
} from '../support/backoffice.js';
import { httpOperation, rawSocket } from '../support/ws.js';

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('deeply nested input', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let admin: AdminClient;
  let key: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    key = (await createChannelClient(ctx.deps.db, { name: 'web', channel: 'WEB', scopes: [] }, new Date()))
      .key;
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    admin = await startAdminApi(ctx);
  });
  afterAll(async () => {
    await admin.close();
    await node.stop(100);
    await ctx.close();
  });

  it('finds the first place too deep in linear time, and lets the limit itself through', () => {
    expect(findUnstorableText(JSON.parse(nested(MAX_INPUT_DEPTH)))).toBeUndefined();
    expect(findUnstorableText(JSON.parse(nested(MAX_INPUT_DEPTH + 1)))).toEqual({
      path: Array(MAX_INPUT_DEPTH).fill(0),
      message: `nests objects or arrays deeper than ${MAX_INPUT_DEPTH} levels`,
    });
    const t0 = performance.now();
    expect(findUnstorableText({ a: JSON.parse(nested(128_000)) as unknown })?.message).toMatch(
      /deeper than 64 levels/,
    );
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it(
    'refuses them in GraphQL variables over HTTP and WebSocket, ' + 'and in admin bodies and import records',
    async () => {
      const t0 = performance.now();
      const body = `{"query":"{ revision }","variables":{"a":${nested(128_000)}}}`;
      expect(body.length).toBeLessThan(256 * 1024);
      const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body,
      });
      const answer = (await res.json()) as {
        errors: Array<{ message: string; extensions: { code: string } }>;
      };
      expect({ status: res.status, code: answer.errors[0]!.extensions.code }).toEqual({
        status: 400,
        code: 'BAD_USER_INPUT',
      });
      expect(answer.errors[0]!.message).toMatch(
        /^variables\.a(\.0)*: nests objects or arrays deeper than 64 levels/,
      );

      // Sent as text (a client library could not even serialise it): the server parses it and must refuse it.
      const raw = rawSocket(node.port, { authorization: `Bearer ${key}` });
      await raw.acked;
      raw.socket.send(
        `{"id":"deep","type":"subscribe","payload":{"query":"{ revision ` +
          `}","variables":{"a":${nested(128_000)}}}}`,
      );
      await until(
        async () => raw.received.some((m) => m.id === 'deep'),
        5_000,
        'the answer to the deep message',
      );
      expect(raw.received.find((m) => m.id === 'deep')).toEqual({
        id: 'deep',
        type: 'error',
        payload: [
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
        ],
      });
      raw.socket.close();
      // The same operation without the nesting is answered: it was the nesting that was refused.
      expect((await httpOperation(node.port, key, '{ revision }', { a: [] })).errors).toBeUndefined();

      const product = await admin.request(
        'PUT',
        '/admin/v1/products/DEEP-1',
        `{"name":"Deep","category":"c","vatRate":21,"attributes":{"a":${nested(30_000)}},"status":"ACTIVE"}`,
        { 'content-type': 'application/json' },
      );
      expect({ status: product.status, code: product.body.code }).toEqual({
        status: 400,
        code: 'BAD_USER_INPUT',
      });
      const imported = await admin.request(
        'POST',
        '/admin/v1/imports?kind=stock',
        `{"sku":"X","locationId":"wh-1","onHand":${nested(30_000)}}\n`,
        { 'content-type': 'application/x-ndjson' },
      );
      expect(imported.status).toBeLessThan(500);
      expect(JSON.stringify(imported.body)).toMatch(/deeper than 64 levels/);
      expect(performance.now() - t0).toBeLessThan(5_000);
    },
  );
});
