/**
 * The access policy's edges over real HTTP: where a terminal may take a return, reserving for a customer,
 * orders of nobody known, and unknown ids answered as before (NOT_FOUND), never FORBIDDEN.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { placeStoreSale } from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import type { GraphqlError } from '../support/channel.js';
import { givenChannelClients, givenMember, givenWarehouseAndTwoStores } from './access-fixtures.js';

describe('access edges', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let anna: string;
  const keys: Record<string, string> = {};
  const clientIds: Record<string, string> = {};
  let annaToken: string;

  const gql = async (
    who: string,
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
  ): Promise<{ data?: Record<string, any> | null; errors?: GraphqlError[] }> => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${keys[who]}`,
        ...(token ? { 'x-customer-token': token } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: Record<string, any> | null; errors?: GraphqlError[] };
  };
  const code = (r: { errors?: GraphqlError[] }) => r.errors?.[0]?.extensions.code ?? 'OK';
  const RETURN =
    'mutation($in: ReturnInput!, $k: String!) { returnItems(input: $in, idempotencyKey: $k) { id } }';
  const RESERVE =
    'mutation($in: ReserveStockInput!, $k: String!) { reserveStock(input: $in, idempotencyKey: $k) { id } }';
  const sale = async (customerId: string | null, k: string) =>
    (
      await placeStoreSale(
        ctx.deps,
        {
          locationId: 'utr-01',
          lines: [{ sku: 'COAT-M', quantity: 1 }],
          ...(customerId ? { customerId } : {}),
        },
        k,
      )
    ).orderId;
  const returnsOf = (orderId: string) =>
    ctx.deps.db.selectFrom('returns').select('locationId').where('orderId', '=', orderId).execute();

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await givenWarehouseAndTwoStores(ctx, {
      sku: 'COAT-M',
      name: 'Wollen jas',
      category: 'coats',
      amount: 12995,
      onHand: 20,
    });
    anna = await givenMember(ctx, 'Anna', 'anna@example.nl');
    const clients = await givenChannelClients(ctx, [
      ['web', 'WEB', null],
      ['storeA', 'STORE', 'ams-01'],
      ['agent', 'CALL_CENTER', null],
      ['console', 'CONSOLE', null],
    ]);
    for (const [name, c] of Object.entries(clients)) {
      keys[name] = c.key;
      clientIds[name] = c.id;
    }
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    annaToken = (
      await gql('web', 'mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }', { c: anna })
    ).data!.issueCustomerToken.token as string;
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  it('takes a return at a terminal’s own store only, whether it names the store or not', async () => {
    const elsewhere = await sale(anna, 'sale-1');
    const line = [{ sku: 'COAT-M', quantity: 1, sellable: true }];
    const refused = await gql('storeA', RETURN, {
      in: { orderId: elsewhere, locationId: 'wh-1', lines: line },
      k: 'r-1',
    });
    expect(code(refused)).toBe('FORBIDDEN');
    expect(refused.errors![0]!.extensions).toMatchObject({ locationId: 'wh-1' });
    expect(await returnsOf(elsewhere)).toEqual([]);
    expect(
      code(
        await gql('storeA', RETURN, {
          in: { orderId: elsewhere, locationId: 'ams-01', lines: line },
          k: 'r-2',
        }),
      ),
    ).toBe('OK');
    expect(await returnsOf(elsewhere)).toEqual([{ locationId: 'ams-01' }]);
  });

  it(
    'lets no web client return an order of nobody known, ' + 'even with a customer token; staff may',
    async () => {
      const anonymous = await sale(null, 'sale-anon');
      const line = [{ sku: 'COAT-M', quantity: 1, sellable: false }];
      expect(
        code(
          await gql(
            'web',
            RETURN,
            { in: { orderId: anonymous, locationId: 'wh-1', lines: line }, k: 'r-3' },
            annaToken,
          ),
        ),
      ).toBe('FORBIDDEN');
      expect(await returnsOf(anonymous)).toEqual([]);
      expect(
        code(
          await gql('agent', RETURN, {
            in: { orderId: anonymous, locationId: 'wh-1', lines: line },
            k: 'r-4',
          }),
        ),
      ).toBe('OK');
      // A staff return of an order of nobody known acts for nobody: no audit row about a customer.
      expect(
        await ctx.deps.db
          .selectFrom('auditLog')
          .select('action')
          .where(sql<boolean>`details ->> 'orderId' = ${anonymous}`)
          .execute(),
      ).toEqual([]);
    },
  );

  it(
    'reserves for a customer only as the customer rule ' + 'says, and keeps who made it and for whom',
    async () => {
      const at = (k: string, customerId?: string) => ({
        in: {
          lines: [{ sku: 'COAT-M', quantity: 1, locationId: 'wh-1' }],
          ...(customerId ? { customerId } : {}),
        },
        k,
      });
      expect(code(await gql('web', RESERVE, at('h-1', anna)))).toBe('FORBIDDEN');
      const mine = await gql('web', RESERVE, at('h-2', anna), annaToken);
      expect(code(mine)).toBe('OK');
      const byAgent = await gql('agent', RESERVE, at('h-3', anna));
      expect(code(byAgent)).toBe('OK');
      const owner = (id: string) =>
        ctx.deps.db
          .selectFrom('reservations')
          .select(['clientId', 'customerId'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
      expect(await owner(mine.data!.reserveStock.id)).toEqual({ clientId: clientIds.web, customerId: anna });
      expect(await owner(byAgent.data!.reserveStock.id)).toEqual({
        clientId: clientIds.agent,
        customerId: anna,
      });
      expect(
        await ctx.deps.db
          .selectFrom('auditLog')
          .select(['actor', 'subject'])
          .where('action', '=', 'reservation.for-customer')
          .execute(),
      ).toEqual([{ actor: `client:${clientIds.agent}`, subject: `customer:${anna}` }]);
      // Nobody by that id, or no id at all.
      expect(code(await gql('agent', RESERVE, at('h-4', randomUUID())))).toBe('NOT_FOUND');
      expect(code(await gql('agent', RESERVE, at('h-5', 'anna')))).toBe('BAD_USER_INPUT');
      expect(await ctx.deps.db.selectFrom('reservations').select('id').execute()).toHaveLength(2);
    },
  );

  it(
    'lets the console act on a reservation made for a customer, not on one made for nobody by ' +
      'someone else',
    async () => {
      const forAnna = (
        await gql(
          'web',
          RESERVE,
          { in: { lines: [{ sku: 'COAT-M', quantity: 1, locationId: 'wh-1' }], customerId: anna }, k: 'h-6' },
          annaToken,
        )
      ).data!.reserveStock.id as string;
      const forNobody = (
        await gql('web', RESERVE, {
          in: { lines: [{ sku: 'COAT-M', quantity: 1, locationId: 'wh-1' }] },
          k: 'h-7',
        })
      ).data!.reserveStock.id as string;
      const release = (id: string) =>
        gql('console', 'mutation($id: ID!) { releaseReservation(id: $id) { status } }', { id });
      expect(code(await release(forNobody))).toBe('FORBIDDEN');
      expect((await release(forAnna)).data).toEqual({ releaseReservation: { status: 'RELEASED' } });
    },
  );

  it('answers unknown orders and reservations NOT_FOUND, as before, to every caller', async () => {
    for (const who of ['web', 'storeA', 'agent']) {
      expect(
        code(
          await gql(who, RETURN, {
            in: {
              orderId: randomUUID(),
              locationId: 'ams-01',
              lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }],
            },
            k: `nf-${who}`,
          }),
        ),
      ).toBe('NOT_FOUND');
      expect(
        code(
          await gql(who, RETURN, {
            in: {
              orderId: 'not-an-order',
              locationId: 'ams-01',
              lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }],
            },
            k: `nf2-${who}`,
          }),
        ),
      ).toBe('NOT_FOUND');
      expect(
        code(
          await gql(who, 'mutation($id: ID!) { releaseReservation(id: $id) { id } }', { id: randomUUID() }),
        ),
      ).toBe('NOT_FOUND');
      expect(
        code(await gql(who, 'mutation($id: ID!) { releaseReservation(id: $id) { id } }', { id: 'nope' })),
      ).toBe('NOT_FOUND');
      expect(
        code(
          await gql(
            who,
            'mutation($in: PlaceOrderInput!) { placeOrder(input: $in, idempotencyKey: "nf") { id } }',
            { in: { reservationId: randomUUID(), lines: [{ sku: 'COAT-M', quantity: 1 }] } },
          ),
        ),
      ).toBe('NOT_FOUND');
    }
  });
});
