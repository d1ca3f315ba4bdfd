/**
 * `omnihub_graphql_operations_total` counts every answer of /graphql exactly once, on both transports: each
 * refusal of the pipeline (the gate, the body parser, the storable-text and document-limit steps, Apollo's
 * own checks) moves it by one with the code the answer carries, operation names take label slots only once
 * they passed validation, and graphql-ws operations count with transport="ws".
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { MAX_LABELLED_OPERATIONS } from '../../channel-layer/graphql/metrics-plugin.js';
import { createMetrics, type Metrics } from '../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { seedCoat } from '../support/channel.js';
import { rawSocket, watch, wsClient, wsOperation } from '../support/ws.js';

type Labels = Record<string, string>;

describe('GraphQL answers counted once each', () => {
  let ctx: BackofficeTestContext;
  let api: ApiNode;
  let metrics: Metrics;
  let key: string;
  let slowKey: string;

  /** Every series of the counter with its value. */
  const series = async (): Promise<Map<string, number>> =>
    new Map(
      (await metrics.graphqlOperations.get()).values.map((v) => [
        JSON.stringify(Object.fromEntries(Object.entries(v.labels).sort())),
        v.value,
      ]),
    );
  /** Runs `act` and answers the series it moved and by how much. */
  const moved = async (act: () => Promise<unknown>): Promise<Array<{ labels: Labels; by: number }>> => {
    const before = await series();
    await act();
    const after = await series();
    return [...after]
      .filter(([k, v]) => v !== (before.get(k) ?? 0))
      .map(([k, v]) => ({ labels: JSON.parse(k) as Labels, by: v - (before.get(k) ?? 0) }));
  };
  /** One HTTP request to /graphql: its status and the code its answer carries (OK without errors). */
  const request = async (
    init: RequestInit & { path?: string },
  ): Promise<{ status: number; code: string }> => {
    const res = await fetch(`http://127.0.0.1:${api.port}${init.path ?? '/graphql'}`, init);
    const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    return { status: res.status, code: body.errors?.[0]?.extensions?.code ?? 'OK' };
  };
  const post = (body: string, authorization = `Bearer ${key}`) =>
    request({ method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
  const unknown = (code: string, transport = 'http'): Labels => ({
    operation: 'unknown',
    type: 'unknown',
    code,
    transport,
  });

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps);
    key = (
      await createChannelClient(
        ctx.deps.db,
        { name: 'web', channel: 'WEB', scopes: ['rate:100000'] },
        new Date(),
      )
    ).key;
    slowKey = (
      await createChannelClient(ctx.deps.db, { name: 'slow', channel: 'WEB', scopes: ['rate:1'] }, new Date())
    ).key;
    metrics = createMetrics();
    api = await startApiNode({ ...ctx.deps, metrics }, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await api?.stop(100);
    await ctx.close();
  });

  it(
    'counts each refusal of the HTTP pipeline once, as operation="unknown" with the code it ' + 'answered',
    async () => {
      const opening = 'product(sku: "COAT-M") { variants { product { '.repeat(6);
      const deep = `{ ${opening}sku${' } } }'.repeat(6)} }`;
      const cases: Array<[string, () => Promise<{ status: number; code: string }>, number, string]> = [
        ['a syntax error', () => post('{"query":"{revision"}'), 400, 'BAD_USER_INPUT'],
        ['an empty body', () => post('{}'), 400, 'BAD_USER_INPUT'],
        ['string variables', () => post('{"query":"{ revision }","variables":"x"}'), 400, 'BAD_USER_INPUT'],
        ['unreadable JSON', () => post('{"query":'), 400, 'BAD_USER_INPUT'],
        [
          'an oversized body',
          () => post(JSON.stringify({ query: '{ revision }', variables: { pad: 'x'.repeat(300 * 1024) } })),
          413,
          'BAD_USER_INPUT',
        ],
        [
          'no key',
          () =>
            request({
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: '{"query":"{ revision }"}',
            }),
          401,
          'UNAUTHENTICATED',
        ],
        [
          'a bad key',
          () => post('{"query":"{ revision }"}', 'Bearer not-a-key-0123456789'),
          401,
          'UNAUTHENTICATED',
        ],
        [
          'unstorable variables',
          () =>
            post(
              JSON.stringify({
                query: 'query Q($s: ID!) { product(sku: $s) { sku } }',
                variables: { s: 'a\u0000b' },
              }),
            ),
          400,
          'BAD_USER_INPUT',
        ],
        ['a document over the limits', () => post(JSON.stringify({ query: deep })), 400, 'BAD_USER_INPUT'],
        [
          'a GET without a preflight header (CSRF)',
          () =>
            request({
              method: 'GET',
              path: '/graphql?query=%7Brevision%7D',
              headers: { authorization: `Bearer ${key}` },
            }),
          400,
          'BAD_USER_INPUT',
        ],
        [
          'a document that fails validation',
          () => post(JSON.stringify({ query: 'query Broken { nope }' })),
          400,
          'BAD_USER_INPUT',
        ],
        [
          'an operationName the document lacks',
          () => post(JSON.stringify({ query: 'query One { revision }', operationName: 'Two' })),
          400,
          'BAD_USER_INPUT',
        ],
      ];
      const seen: Array<{
        what: string;
        status: number;
        answered: string;
        counted: Array<{ labels: Labels; by: number }>;
      }> = [];
      for (const [what, send] of cases) {
        let answer = { status: 0, code: '' };
        const counted = await moved(async () => {
          answer = await send();
        });
        seen.push({ what, status: answer.status, answered: answer.code, counted });
      }
      expect(seen).toEqual(
        cases.map(([what, , status, code]) => ({
          what,
          status,
          answered: code,
          counted: [{ labels: unknown(code), by: 1 }],
        })),
      );
    },
  );

  it('counts rate-limited requests as RATE_LIMITED and answered ones by name', async () => {
    const answers: string[] = [];
    const counted = await moved(async () => {
      for (const a of await Promise.all(
        Array.from({ length: 6 }, () =>
          request({
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${slowKey}` },
            body: '{"query":"query Ping { revision }"}',
          }),
        ),
      ))
        answers.push(a.code);
    });
    const limited = answers.filter((c) => c === 'RATE_LIMITED').length;
    expect(limited).toBeGreaterThan(0);
    expect(counted.sort((a, b) => a.labels.code!.localeCompare(b.labels.code!))).toEqual([
      {
        labels: { operation: 'Ping', type: 'query', code: 'OK', transport: 'http' },
        by: answers.length - limited,
      },
      { labels: unknown('RATE_LIMITED'), by: limited },
    ]);
  });

  it(
    'gives a name a label slot only once it passed validation: a flood of invalid documents ' +
      'leaves the slots free',
    async () => {
      await moved(async () => {
        for (let i = 0; i < MAX_LABELLED_OPERATIONS + 20; i++) {
          const name = `R${randomBytes(6).toString('hex')}`;
          const send = [`query ${name} { nope }`, `query ${name} { revision`, `query ${name} { revision }`][
            i % 3
          ]!;
          // Valid ones asked under another operationName: refused, never run.
          await post(JSON.stringify({ query: send, ...(i % 3 === 2 ? { operationName: 'Other' } : {}) }));
        }
      });
      const names = new Set(
        (await metrics.graphqlOperations.get()).values.map((v) => String(v.labels.operation)),
      );
      expect([...names].filter((n) => n.startsWith('R') && n.length === 13)).toEqual([]);
      expect(await moved(() => post('{"query":"query RealOperation { revision }"}'))).toEqual([
        { labels: { operation: 'RealOperation', type: 'query', code: 'OK', transport: 'http' }, by: 1 },
      ]);
    },
  );

  it(
    'counts graphql-ws operations with transport="ws": answered, refused, a subscription once, a ' +
      'refused connection',
    async () => {
      const client = wsClient(api.port, key);
      try {
        expect(
          await moved(async () =>
            expect((await wsOperation(client, 'query OverWs { revision }')).errors).toBeUndefined(),
          ),
        ).toEqual([{ labels: { operation: 'OverWs', type: 'query', code: 'OK', transport: 'ws' }, by: 1 }]);
        expect(
          await moved(async () =>
            expect((await wsOperation(client, 'query BrokenWs { nope }')).errors?.[0]?.extensions.code).toBe(
              'BAD_USER_INPUT',
            ),
          ),
        ).toEqual([{ labels: unknown('BAD_USER_INPUT', 'ws'), by: 1 }]);
        expect(
          await moved(async () =>
            expect(
              (await wsOperation(client, 'query Q($s: ID!) { product(sku: $s) { sku } }', { s: 'a\u0000b' }))
                .errors?.[0]?.extensions.code,
            ).toBe('BAD_USER_INPUT'),
          ),
        ).toEqual([{ labels: unknown('BAD_USER_INPUT', 'ws'), by: 1 }]);
        // A subscription counts once when it starts, however many pushes follow.
        const counted = await moved(async () => {
          const w = watch(
            client,
            'subscription Watching { offerChanged(sku: "COAT-M", locationId: "wh-1") { revision } }',
          );
          await w.first;
          w.stop();
          await w.ended;
        });
        expect(counted).toEqual([
          { labels: { operation: 'Watching', type: 'subscription', code: 'OK', transport: 'ws' }, by: 1 },
        ]);
      } finally {
        await client.dispose();
      }
      expect(
        await moved(async () => {
          await rawSocket(api.port, { authorization: 'Bearer not-a-key-0123456789' }).closed;
        }),
      ).toEqual([{ labels: unknown('UNAUTHENTICATED', 'ws'), by: 1 }]);
    },
  );
});
