import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { databaseState, hostile } from '../support/fuzz.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

// QUALITY B1 for GraphQL: fuzzed arguments of every field and mutation never give a 5xx or a masked INTERNAL
// error, and a refused mutation writes nothing.
describe('GraphQL argument fuzzing (B1)', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let key: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: true });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertProduct(ctx.deps, 'COAT-M', {
      name: 'Jas',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 12995, minQuantity: 1 });
    await setStockCount(ctx.deps, 'COAT-M', 'ams-01', { onHand: 3 });
    key = (
      await createChannelClient(
        ctx.deps.db,
        { name: 'till', channel: 'STORE', locationId: 'ams-01', scopes: ['rate:100000'] },
        new Date(),
      )
    ).key;
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  const OPS = [
    'query($a: ID!, $b: ID, $c: ID, $d: Revision) { offer(sku: $a, customerId: $b, locationId: ' +
      '$c, minRevision: $d) { sku revision } }',
    'query($a: [ID!]!, $b: ID) { offers(skus: $a, locationId: $b) { sku } }',
    'query($a: QuoteInput!) { quote(input: $a) { total { amount } } }',
    'query($a: Int, $b: String, $c: String) { products(first: $a, after: $b, search: $c) { ' +
      'edges { cursor } } }',
    'query($a: ID!) { customer(id: $a) { id } }',
    'query($a: IdentifierKind!, $b: String!) { customerByIdentifier(kind: $a, value: $b) { id } }',
    'mutation($a: ReserveStockInput!, $b: String!) { reserveStock(input: $a, idempotencyKey: $b) { id } }',
    'mutation($a: StoreSaleInput!, $b: String!) { recordStoreSale(input: $a, idempotencyKey: $b) { id } }',
    'mutation($a: PlaceOrderInput!, $b: String!) { placeOrder(input: $a, idempotencyKey: $b) { id } }',
    'mutation($a: ReturnInput!, $b: String!) { returnItems(input: $a, idempotencyKey: $b) { id } }',
    // enrollCustomer is left out: an empty input is a valid (anonymous) enrolment, so it may rightly write.
    'mutation($a: ID!, $b: Int!, $c: String!) { redeemPoints(customerId: $a, points: $b, ' +
      'idempotencyKey: $c) { points } }',
    'mutation($a: ID!) { releaseReservation(id: $a) { id } }',
  ];
  const line = fc.record({
    sku: fc.oneof(hostile, fc.constant('COAT-M')),
    quantity: fc.oneof(
      hostile.filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 10_000)),
      fc.constantFrom(0, -1, 10_001, 2 ** 31),
    ),
    locationId: fc.oneof(hostile, fc.constantFrom('ams-01', 'wh-9')),
    sellable: hostile,
  });
  const value = fc.oneof(
    hostile,
    fc.array(line, { maxLength: 3 }),
    fc.record({
      lines: fc.oneof(hostile, fc.array(line, { maxLength: 3 })),
      orderId: hostile,
      email: hostile,
      ttlSeconds: hostile,
      locationId: fc.oneof(hostile, fc.constant('ams-01')),
    }),
  );

  it('never answers 5xx or INTERNAL, and refused mutations write nothing', async () => {
    const before = await databaseState(ctx);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPS), value, value, value, value, async (query, a, b, c, d) => {
        const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query, variables: { a, b, c, d } }),
        });
        const body = (await res.json()) as {
          data?: unknown;
          errors?: Array<{ extensions?: { code?: string } }>;
        };
        if (res.status >= 500 || body.errors?.some((e) => e.extensions?.code === 'INTERNAL'))
          throw new Error(
            `${res.status} ${JSON.stringify(body).slice(0, 400)} for ${query} ` +
              `${JSON.stringify({ a, b, c, d }).slice(0, 300)}`,
          );
        if (body.errors)
          for (const e of body.errors)
            expect(['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'CONFLICT', 'INSUFFICIENT_STOCK']).toContain(
              e.extensions?.code,
            );
        // A client's mistake is refused by validation, never by a database rule (whose name would leak the
        // schema).
        expect(JSON.stringify(body)).not.toMatch(/data rule|_check|_pkey|_fkey/);
      }),
      { numRuns: 400 },
    );
    // No generated line has a valid quantity, so no mutation can succeed: nothing may have changed.
    expect(await databaseState(ctx)).toEqual(before);
  });
});
