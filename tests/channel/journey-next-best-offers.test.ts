/**
 * Next best offers through the channel API, over real HTTP: one question at one revision gets one answer in
 * every channel — her web shop and app (her token), a store terminal and the call center.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adjustPoints, setConsent, upsertPromotion } from '../../journey-layer/index.js';
import { currentRevision } from '../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { givenJourneyShop, type JourneyCaller, type JourneyShop } from './journey-fixtures.js';

const NBO =
  'query($c: ID!, $at: ID, $rev: Revision) { customer(id: $c) { nextBestOffers(locationId: $at, first: 5, ' +
  'minRevision: $rev) { kind id label reason saving { amount currency formatted } sku revision ' +
  'fingerprint } } }';

describe('next best offers in every channel', () => {
  let ctx: BackofficeTestContext;
  let shop: JourneyShop;
  let callers: Record<string, JourneyCaller>;
  let revision: number;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    shop = await givenJourneyShop(ctx);
    await upsertPromotion(ctx.deps, 'coats-20', {
      status: 'ACTIVE',
      rule: {
        label: 'Winter coats',
        conditions: [{ kind: 'category', categories: ['coats'] }],
        action: { kind: 'percentOff', percentBp: 2000 },
      },
    });
    await setConsent(ctx.deps, shop.a, { purpose: 'PERSONALISATION', granted: true, channel: 'WEB' });
    await adjustPoints(ctx.deps, { customerId: shop.a, points: 250, reason: 'welcome bonus' }, 'nbo-points');
    revision = await currentRevision(ctx.deps.db);
    callers = {
      web: { key: shop.clients.web.key, token: await shop.token('web', shop.a) },
      app: { key: shop.clients.app.key, token: await shop.token('app', shop.a) },
      'store A terminal': { key: shop.clients.storeA.key },
      'call center': { key: shop.clients.agent.key },
    };
  });
  afterAll(async () => {
    await shop.stop();
    await ctx.close();
  });

  const ask = async (caller: JourneyCaller, at: string | null) => {
    const r = await shop.gql(caller, NBO, { c: shop.a, at, rev: String(revision) });
    expect(r.errors).toBeUndefined();
    return r.data!.customer.nextBestOffers as Array<Record<string, any>>;
  };

  it('answers the four channels identically at one revision', async () => {
    const answers = Object.fromEntries(
      await Promise.all(
        Object.entries(callers).map(
          async ([who, c]) => [who, JSON.stringify(await ask(c, 'ams-01'))] as const,
        ),
      ),
    );
    const web = JSON.parse(answers.web!) as Array<Record<string, any>>;
    expect(web.map((o) => o.kind)).toEqual(expect.arrayContaining(['PROMOTION', 'REDEEM_POINTS']));
    expect(web.find((o) => o.kind === 'PROMOTION')).toMatchObject({
      sku: 'COAT-M',
      saving: { amount: 2599, currency: 'EUR' },
    });
    for (const o of web) expect(Number(o.revision)).toBeGreaterThanOrEqual(revision);
    expect(answers).toEqual({
      web: answers.web,
      app: answers.web,
      'store A terminal': answers.web,
      'call center': answers.web,
    });
  });

  it('asks at a store terminal’s own store unless told otherwise', async () => {
    const terminal = callers['store A terminal']!;
    expect(await ask(terminal, null)).toEqual(await ask(terminal, 'ams-01'));
  });

  it('puts a staff request on record in her data use; hers leaves none', async () => {
    const r = await shop.gql(
      callers.web!,
      'query($c: ID!) { customer(id: $c) { dataUse(first: 200) { edges { node { actor what } } } } }',
      { c: shop.a },
    );
    const uses = r.data!.customer.dataUse.edges.map((e: { node: { actor: string; what: string } }) => e.node);
    const staff = [shop.clients.storeA.id, shop.clients.agent.id].map((id) => `client:${id}`);
    expect(uses.filter((u: { what: string }) => u.what === 'worked out next best offers')).toEqual(
      expect.arrayContaining(staff.map((actor) => ({ actor, what: 'worked out next best offers' }))),
    );
    expect(
      uses.filter((u: { actor: string }) => !staff.includes(u.actor) && u.actor.startsWith('client:')),
    ).toEqual([]);
  });
});
