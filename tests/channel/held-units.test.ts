/**
 * A channel client holds at most so many units in active reservations: a leaked key cannot hold a shop's
 * stock.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { graphqlClient, seedCoat } from '../support/channel.js';

describe('units a client may hold', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let gql: ReturnType<typeof graphqlClient>;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps, { onHand: 100 });
    const { key } = await createChannelClient(
      ctx.deps.db,
      { name: 'webshop', channel: 'WEB', scopes: ['held-units:10'] },
      new Date(),
    );
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    gql = graphqlClient(node.port, key);
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  const reserve = (quantity: number, k: string) =>
    gql(
      'mutation($q: Int!, $k: String!) { reserveStock(input: { lines: [{ sku: "COAT-M", ' +
        'quantity: $q, locationId: "wh-1" }] }, idempotencyKey: $k) { id } }',
      { q: quantity, k },
    );
  const reserved = async () =>
    (
      await ctx.deps.db
        .selectFrom('stockLevels')
        .select('reserved')
        .where('sku', '=', 'COAT-M')
        .executeTakeFirstOrThrow()
    ).reserved;

  it(
    'refuses a hold past the client\u2019s units, writing nothing; answers a replay; frees units ' +
      'on release',
    async () => {
      const first = await reserve(6, 'cart-1');
      expect(first.errors).toBeUndefined();
      const firstId = (first.data as { reserveStock: { id: string } }).reserveStock.id;

      const over = await reserve(5, 'cart-2');
      expect(over.errors?.[0]).toMatchObject({
        extensions: { code: 'RATE_LIMITED', heldUnits: 6, maxHeldUnits: 10 },
      });
      expect(await reserved()).toBe(6);
      expect(await ctx.deps.db.selectFrom('reservations').select('id').execute()).toHaveLength(1);

      // The same request again is the same reservation, whatever the client holds now.
      expect((await reserve(6, 'cart-1')).data).toEqual({ reserveStock: { id: firstId } });
      expect((await reserve(4, 'cart-3')).errors).toBeUndefined(); // exactly at the limit

      expect(
        (await gql('mutation($id: ID!) { releaseReservation(id: $id) { status } }', { id: firstId })).data,
      ).toEqual({ releaseReservation: { status: 'RELEASED' } });
      expect((await reserve(5, 'cart-2')).errors).toBeUndefined();
      expect(await reserved()).toBe(9);
    },
  );

  it('holds the limit when 30 reservations of one client arrive at once', async () => {
    const { key: other } = await createChannelClient(
      ctx.deps.db,
      { name: 'app', channel: 'APP', scopes: ['held-units:5'] },
      new Date(),
    );
    const app = graphqlClient(node.port, other);
    const before = await reserved();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        app(
          'mutation($k: String!) { reserveStock(input: { lines: [{ sku: "COAT-M", quantity: 1, ' +
            'locationId: "wh-1" }] }, idempotencyKey: $k) { id } }',
          { k: `race-${i}` },
        ),
      ),
    );
    expect(answers.filter((a) => !a.errors)).toHaveLength(5);
    const codes = answers.flatMap((a) => a.errors?.map((e) => e.extensions?.code) ?? []);
    expect(codes).toEqual(Array(25).fill('RATE_LIMITED'));
    expect((await reserved()) - before).toBe(5);
  });
});
