/**
 * Her profile through the channel API, over real HTTP: corrections land in her history with the old and new
 * value, the channel and the client that made them; contact preferences, consent source and expiry,
 * identifiers unlinked; pricing segments only through the back office.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { givenJourneyShop, outcome, type JourneyShop } from './journey-fixtures.js';

const UPDATE =
  'mutation($c: ID!, $in: ProfileInput!) { updateProfile(customerId: $c, input: $in) { id displayName ' +
  'attributes { name value channel changedAt } } }';
const HISTORY =
  'query($c: ID!) { customer(id: $c) { history { at field oldValue newValue channel actor } } }';

describe('her profile through the channel API', () => {
  let ctx: BackofficeTestContext;
  let shop: JourneyShop;
  let anna: { key: string; token: string };
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    shop = await givenJourneyShop(ctx);
    anna = { key: shop.clients.app.key, token: await shop.token('app', shop.a) };
  });
  afterAll(async () => {
    await shop.stop();
    await ctx.close();
  });

  const historyOf = async () => {
    const r = await shop.gql({ key: shop.clients.agent.key }, HISTORY, { c: shop.a });
    expect(r.errors).toBeUndefined();
    return r.data!.customer.history as Array<Record<string, string | null>>;
  };

  it('shows each correction in her history: old and new value, channel and actor', async () => {
    const byHer = await shop.gql(anna, UPDATE, {
      c: shop.a,
      in: { displayName: 'Anna de Vries', attributes: { birthday: '1990-04-01', preferredLanguage: 'nl' } },
    });
    expect(byHer.errors).toBeUndefined();
    expect(byHer.data!.updateProfile.displayName).toBe('Anna de Vries');
    expect(byHer.data!.updateProfile.attributes).toEqual([
      { name: 'birthday', value: '"1990-04-01"', channel: 'APP', changedAt: expect.any(String) },
      { name: 'preferredLanguage', value: '"nl"', channel: 'APP', changedAt: expect.any(String) },
    ]);
    const byStore = await shop.gql({ key: shop.clients.storeA.key }, UPDATE, {
      c: shop.a,
      in: { attributes: { homeStore: 'ams-01', preferredLanguage: null } },
    });
    expect(byStore.errors).toBeUndefined();
    expect(byStore.data!.updateProfile.attributes.map((x: { name: string }) => x.name)).toEqual([
      'birthday',
      'homeStore',
    ]);

    const app = `client:${shop.clients.app.id}`;
    const store = `client:${shop.clients.storeA.id}`;
    const history = (await historyOf()).map(({ at: _at, ...change }) => change);
    expect(history).toEqual(
      expect.arrayContaining([
        { field: 'displayName', oldValue: 'Anna', newValue: 'Anna de Vries', channel: 'APP', actor: app },
        {
          field: 'attributes.birthday',
          oldValue: null,
          newValue: '"1990-04-01"',
          channel: 'APP',
          actor: app,
        },
        {
          field: 'attributes.homeStore',
          oldValue: null,
          newValue: '"ams-01"',
          channel: 'STORE',
          actor: store,
        },
        {
          field: 'attributes.preferredLanguage',
          oldValue: '"nl"',
          newValue: null,
          channel: 'STORE',
          actor: store,
        },
      ]),
    );
    // Newest first: the store's corrections come before hers.
    expect(history.findIndex((h) => h.channel === 'STORE')).toBeLessThan(
      history.findIndex((h) => h.channel === 'APP'),
    );
  });

  it('leaves pricing segments to the call center and the console', async () => {
    const segments = { attributes: { segments: ['vip'] } };
    for (const caller of [anna, { key: shop.clients.storeA.key }]) {
      const r = await shop.gql(caller, UPDATE, { c: shop.a, in: segments });
      expect(outcome(r)).toBe('FORBIDDEN');
    }
    expect((await historyOf()).filter((h) => h.field === 'attributes.segments')).toEqual([]);
    const agent = await shop.gql({ key: shop.clients.agent.key }, UPDATE, { c: shop.a, in: segments });
    expect(agent.errors).toBeUndefined();
    expect(agent.data!.updateProfile.attributes).toContainEqual(
      expect.objectContaining({ name: 'segments', value: '["vip"]', channel: 'CALL_CENTER' }),
    );
  });

  it('sets her contact preferences per channel, each change in her history', async () => {
    const set = await shop.gql(
      anna,
      'mutation($c: ID!, $in: ContactPreferencesInput!) { setPreferences(customerId: $c, input: $in) { id ' +
        'preferences { channels { channel topics maxPerWeek } updatedAt } } }',
      {
        c: shop.a,
        in: {
          channels: [
            { channel: 'EMAIL', topics: ['NEWSLETTER', 'LOYALTY'], maxPerWeek: 2 },
            { channel: 'SMS', topics: ['SERVICE'] },
          ],
        },
      },
    );
    expect(set.errors).toBeUndefined();
    expect(set.data!.setPreferences.preferences).toEqual({
      channels: [
        { channel: 'EMAIL', topics: ['NEWSLETTER', 'LOYALTY'], maxPerWeek: 2 },
        { channel: 'SMS', topics: ['SERVICE'], maxPerWeek: null },
      ],
      updatedAt: expect.any(String),
    });
    expect((await historyOf()).map((h) => [h.field, h.channel])).toEqual(
      expect.arrayContaining([
        ['preferences.EMAIL', 'APP'],
        ['preferences.SMS', 'APP'],
      ]),
    );
    const twice = await shop.gql(
      anna,
      'mutation($c: ID!) { setPreferences(customerId: $c, input: { channels: [' +
        '{ channel: SMS, topics: [] }, ' +
        '{ channel: SMS, topics: [] }] }) { id } }',
      { c: shop.a },
    );
    expect(outcome(twice)).toBe('BAD_USER_INPUT');
  });

  it('records where a consent was given and until when', async () => {
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const r = await shop.gql(
      { key: shop.clients.storeA.key },
      'mutation($c: ID!, $until: DateTime) { setConsent(customerId: $c, purpose: EMAIL_MARKETING, ' +
        'granted: true, source: "till sign-up form", expiresAt: $until) { ' +
        'consents { purpose granted channel ' +
        'source expiresAt } } }',
      { c: shop.a, until: expiresAt },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.setConsent.consents).toContainEqual({
      purpose: 'EMAIL_MARKETING',
      granted: true,
      channel: 'STORE',
      source: 'till sign-up form',
      expiresAt,
    });
    const past = await shop.gql(
      { key: shop.clients.storeA.key },
      'mutation($c: ID!) { setConsent(customerId: $c, purpose: PROFILING, granted: true, ' +
        'expiresAt: "2001-01-01T00:00:00Z") { id } }',
      { c: shop.a },
    );
    expect(outcome(past)).toBe('BAD_USER_INPUT');
  });

  it('unlinks one of her identifiers, and answers NOT_FOUND for one that is not hers', async () => {
    const UNLINK =
      'mutation($c: ID!, $v: String!) { unlinkIdentifier(customerId: $c, kind: PHONE, value: $v) { ' +
      'identifiers { kind value channel addedAt } } }';
    const link = await shop.gql(
      anna,
      'mutation($c: ID!) { linkIdentifier(customerId: $c, kind: PHONE, value: "+31 6 12345678") { ' +
        'identifiers { kind value channel } } }',
      { c: shop.a },
    );
    expect(link.data!.linkIdentifier.identifiers).toContainEqual(
      expect.objectContaining({ kind: 'PHONE', channel: 'APP' }),
    );
    const unlinked = await shop.gql({ key: shop.clients.agent.key }, UNLINK, {
      c: shop.a,
      v: '+31612345678',
    });
    expect(unlinked.errors).toBeUndefined();
    expect(unlinked.data!.unlinkIdentifier.identifiers.map((i: { kind: string }) => i.kind)).toEqual([
      'EMAIL',
    ]);
    const again = await shop.gql({ key: shop.clients.agent.key }, UNLINK, { c: shop.a, v: '+31612345678' });
    expect(outcome(again)).toBe('NOT_FOUND');
    const fields = (await historyOf()).filter((h) => h.field === 'identifier.PHONE');
    expect(fields.map((h) => [h.oldValue === null ? 'linked' : 'unlinked', h.channel])).toEqual([
      ['unlinked', 'CALL_CENTER'],
      ['linked', 'APP'],
    ]);
  });
  it('answers the newest corrections first, as many as `first` asks (1–500)', async () => {
    const all = await historyOf();
    expect(all.length).toBeGreaterThan(1);
    const page = (first: number) =>
      shop.gql(
        { key: shop.clients.agent.key },
        'query($c: ID!, $n: Int) { customer(id: $c) { history(first: $n) { at field } } }',
        { c: shop.a, n: first },
      );
    const one = await page(1);
    expect(one.errors).toBeUndefined();
    expect(one.data!.customer.history).toEqual([{ at: all[0]!.at, field: all[0]!.field }]);
    for (const bad of [0, 501]) {
      const r = await page(bad);
      expect(r.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    }
  });
});
