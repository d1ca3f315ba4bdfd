/**
 * A refused journey write leaves nothing behind, over HTTP and WebSocket alike: a store terminal recording a
 * visit at another store or a kind it does not report, an agent's note with bidirectional formatting or of
 * 100 KB, preferences out of range — each refused with its stable code, and neither an interaction, nor an
 * audit row, nor a "recorded an interaction" entry in her own data use is written.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { givenJourneyShop, outcome, type JourneyShop } from './journey-fixtures.js';

const RECORD =
  'mutation($in: InteractionInput!, $k: String!) { ' +
  'recordInteraction(input: $in, idempotencyKey: $k) { id } }';
const PREFERENCES =
  'mutation($c: ID!, $in: ContactPreferencesInput!) { setPreferences(customerId: $c, input: $in) { id } }';

describe('refused journey writes are not on record', () => {
  let ctx: BackofficeTestContext;
  let shop: JourneyShop;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    shop = await givenJourneyShop(ctx);
  });
  afterAll(async () => {
    await shop.stop();
    await ctx.close();
  });

  /** Interactions, audit rows and data-use entries held now. */
  const written = async () => ({
    interactions: await ctx.deps.db.selectFrom('customerInteractions').select('id').execute(),
    audit: await ctx.deps.db.selectFrom('auditLog').select('id').execute(),
    dataUse: await ctx.deps.db.selectFrom('customerDataUse').select('id').execute(),
  });

  /** The same operation over graphql-ws with `key`: the code of its first error, or OK. */
  const overWebSocket = async (key: string, query: string, variables: Record<string, unknown>) => {
    const client = createClient({
      url: `ws://127.0.0.1:${shop.node.port}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${key}` },
    });
    try {
      const result = await new Promise<{ errors?: Array<{ extensions?: { code?: string } }> }>(
        (resolve, reject) => {
          let first: { errors?: Array<{ extensions?: { code?: string } }> } = {};
          client.subscribe(
            { query, variables },
            { next: (r) => (first = r as typeof first), error: reject, complete: () => resolve(first) },
          );
        },
      );
      return result.errors?.[0]?.extensions?.code ?? 'OK';
    } finally {
      await client.dispose();
    }
  };

  it('refuses each with its code on both transports and writes nothing', async () => {
    const a = shop.a;
    const cases: Array<[string, 'storeA' | 'agent', string, Record<string, unknown>, string]> = [
      [
        'a visit at another store',
        'storeA',
        RECORD,
        { k: 'v1', in: { customerId: a, kind: 'STORE_VISIT', locationId: 'utr-01' } },
        'FORBIDDEN',
      ],
      [
        'a kind a terminal does not report',
        'storeA',
        RECORD,
        { k: 'v2', in: { customerId: a, kind: 'PRODUCT_VIEWED', sku: 'COAT-M' } },
        'FORBIDDEN',
      ],
      [
        'a note with bidirectional formatting',
        'agent',
        RECORD,
        { k: 'v3', in: { customerId: a, kind: 'NOTE', note: 'pay \u202Eevil' } },
        'BAD_USER_INPUT',
      ],
      [
        'a note of 100 KB',
        'agent',
        RECORD,
        { k: 'v4', in: { customerId: a, kind: 'NOTE', note: 'x'.repeat(100_000) } },
        'BAD_USER_INPUT',
      ],
      [
        'a kind the call center does not report',
        'agent',
        RECORD,
        { k: 'v5', in: { customerId: a, kind: 'WISHLIST_ADDED', sku: 'COAT-M' } },
        'FORBIDDEN',
      ],
      [
        'preferences out of range',
        'agent',
        PREFERENCES,
        { c: a, in: { channels: [{ channel: 'EMAIL', topics: ['NEWSLETTER'], maxPerWeek: -1 }] } },
        'BAD_USER_INPUT',
      ],
    ];
    const before = await written();
    for (const [what, client, query, variables, code] of cases) {
      const key = shop.clients[client].key;
      const http = await shop.gql({ key }, query, variables);
      expect({ what, http: outcome(http) }).toEqual({ what, http: code });
      expect({ what, ws: await overWebSocket(key, query, variables) }).toEqual({ what, ws: code });
    }
    expect(await written()).toEqual(before);

    // Her own view of who used her data shows none of it.
    const token = await shop.token('web', a);
    const uses = await shop.gql(
      { key: shop.clients.web.key, token },
      'query($c: ID!) { customer(id: $c) { dataUse(first: 200) { edges { node { what } } } } }',
      { c: a },
    );
    expect(uses.errors).toBeUndefined();
    expect(
      (uses.data!.customer.dataUse.edges as Array<{ node: { what: string } }>).map((e) => e.node.what),
    ).not.toContain('recorded an interaction');
  });
});
