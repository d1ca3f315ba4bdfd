/**
 * A profile correction names only what exists and stores only text the staff's screens show as typed: an
 * unknown store as her home store is NOT_FOUND (docs/API.md "Customer journey", Errors: an unknown
 * location), and a display name with bidirectional formatting is refused as an agent's note with it is —
 * both with nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { givenJourneyShop, outcome, type JourneyShop } from './journey-fixtures.js';

const UPDATE =
  'mutation($c: ID!, $in: ProfileInput!) { updateProfile(customerId: $c, input: $in) { displayName ' +
  'attributes { name value } } }';

describe('profile corrections check what they name', () => {
  let ctx: BackofficeTestContext;
  let shop: JourneyShop;
  let token: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    shop = await givenJourneyShop(ctx);
    token = await shop.token('app', shop.a);
  });
  afterAll(async () => {
    await shop.stop();
    await ctx.close();
  });

  const history = () => ctx.deps.db.selectFrom('profileChanges').select('id').execute();

  it('refuses an unknown store as her home store', async () => {
    const before = await history();
    const r = await shop.gql({ key: shop.clients.app.key, token }, UPDATE, {
      c: shop.a,
      in: { attributes: { homeStore: 'nowhere' } },
    });
    expect(outcome(r)).toBe('NOT_FOUND');
    expect(await history()).toEqual(before);
  });

  it('refuses a display name with bidirectional formatting', async () => {
    const before = await history();
    const r = await shop.gql({ key: shop.clients.app.key, token }, UPDATE, {
      c: shop.a,
      in: { displayName: 'Anna \u202Egnp.exe' },
    });
    expect(outcome(r)).toBe('BAD_USER_INPUT');
    expect(await history()).toEqual(before);
  });
});
