/**
 * Merging two profiles of one person and undoing it, through the channel API over real HTTP: the call center
 * merges, the console undoes; both are on record in the profiles' history and in her data use.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { enrollCustomer } from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { givenJourneyShop, outcome, type JourneyShop } from './journey-fixtures.js';

const MERGE =
  'mutation($s: ID!, $m: ID!, $k: String!) { ' +
  'mergeCustomers(survivorId: $s, mergedId: $m, idempotencyKey: $k) ' +
  '{ mergeId revision survivor { id displayName identifiers { kind value } } } }';
const UNMERGE =
  'mutation($m: ID!) { unmergeCustomers(mergeId: $m) { id displayName identifiers { kind value } } }';
const PROFILE =
  'query($c: ID!) { customer(id: $c) { id identifiers { kind } history { field channel actor } ' +
  'dataUse(first: 200) { edges { node { actor channel purpose what } } } } }';

describe('merge and unmerge through GraphQL', () => {
  let ctx: BackofficeTestContext;
  let shop: JourneyShop;
  let carla: string;
  let carlaByPhone: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    shop = await givenJourneyShop(ctx);
    const enrol = async (channel: 'WEB' | 'STORE', input: Parameters<typeof enrollCustomer>[1]) =>
      (await enrollCustomer(ctx.deps, input, { channel, idempotencyKey: JSON.stringify(input) })).customer.id;
    carla = await enrol('WEB', { displayName: 'Carla', email: 'carla@example.nl' });
    carlaByPhone = await enrol('STORE', { displayName: 'C. Jansen', phone: '+31 6 11122233' });
  });
  afterAll(async () => {
    await shop.stop();
    await ctx.close();
  });

  it('merges at the call center and undoes at the console, on record in both profiles', async () => {
    const agent = { key: shop.clients.agent.key };
    const consoleClient = { key: shop.clients.console.key };
    // A store terminal does not merge: a back-office act.
    const byStore = await shop.gql({ key: shop.clients.storeA.key }, MERGE, {
      s: carla,
      m: carlaByPhone,
      k: 'merge-carla',
    });
    expect(outcome(byStore)).toBe('FORBIDDEN');

    const merged = await shop.gql(agent, MERGE, { s: carla, m: carlaByPhone, k: 'merge-carla' });
    expect(merged.errors).toBeUndefined();
    const receipt = merged.data!.mergeCustomers;
    expect(receipt.survivor.id).toBe(carla);
    expect(receipt.survivor.identifiers.map((i: { kind: string }) => i.kind).sort()).toEqual([
      'EMAIL',
      'PHONE',
    ]);
    // Retried with its key: the same merge.
    const again = await shop.gql(agent, MERGE, { s: carla, m: carlaByPhone, k: 'merge-carla' });
    expect(again.data!.mergeCustomers.mergeId).toBe(receipt.mergeId);
    // Her old id finds the survivor.
    const old = await shop.gql(agent, PROFILE, { c: carlaByPhone });
    expect(old.data!.customer.id).toBe(carla);
    expect(old.data!.customer.history).toContainEqual({
      field: 'merge',
      channel: 'CALL_CENTER',
      actor: `client:${shop.clients.agent.id}`,
    });

    const undone = await shop.gql(consoleClient, UNMERGE, { m: receipt.mergeId });
    expect(undone.errors).toBeUndefined();
    expect(
      undone.data!.unmergeCustomers.map((c: { id: string; identifiers: Array<{ kind: string }> }) => [
        c.id,
        c.identifiers.map((i) => i.kind),
      ]),
    ).toEqual([
      [carla, ['EMAIL']],
      [carlaByPhone, ['PHONE']],
    ]);
    expect(outcome(await shop.gql(consoleClient, UNMERGE, { m: receipt.mergeId }))).toBe('CONFLICT');
    expect(outcome(await shop.gql(consoleClient, UNMERGE, { m: '999999' }))).toBe('NOT_FOUND');

    for (const id of [carla, carlaByPhone]) {
      const profile = await shop.gql(agent, PROFILE, { c: id });
      expect(profile.data!.customer.id).toBe(id);
      expect(profile.data!.customer.history).toContainEqual({
        field: 'unmerge',
        channel: 'CONSOLE',
        actor: `client:${shop.clients.console.id}`,
      });
    }
    const survivor = await shop.gql(agent, PROFILE, { c: carla });
    const uses = survivor.data!.customer.dataUse.edges.map((e: { node: unknown }) => e.node);
    expect(uses).toEqual(
      expect.arrayContaining([
        {
          actor: `client:${shop.clients.agent.id}`,
          channel: 'CALL_CENTER',
          purpose: 'SERVICE',
          what: 'merged profiles',
        },
        {
          actor: `client:${shop.clients.console.id}`,
          channel: 'CONSOLE',
          purpose: 'SERVICE',
          what: 'undid a merge of profiles',
        },
      ]),
    );
  });

  it('refuses merging and undoing to her own app, before saying whether a merge exists', async () => {
    const hers = { key: shop.clients.app.key, token: await shop.token('app', shop.a) };
    expect(outcome(await shop.gql(hers, MERGE, { s: shop.a, m: shop.b, k: 'mine' }))).toBe('FORBIDDEN');
    expect(outcome(await shop.gql(hers, UNMERGE, { m: '999999' }))).toBe('FORBIDDEN');
    expect(outcome(await shop.gql({ key: shop.clients.storeA.key }, UNMERGE, { m: '999999' }))).toBe(
      'FORBIDDEN',
    );
  });
});
