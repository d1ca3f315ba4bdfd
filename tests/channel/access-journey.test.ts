/**
 * QUALITY B3 for the customer journey — the access matrix over real HTTP (and one row over WebSocket): every
 * kind of caller against every journey field and mutation about customer A, as one table compared in one
 * piece; then what the allowed staff acts left on record (audit trail and her own data use) and that refused
 * ones wrote nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { enrollCustomer, mergeCustomers } from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { wsClient, wsOperation } from '../support/ws.js';
import { givenJourneyShop, outcome, type JourneyCaller, type JourneyShop } from './journey-fixtures.js';

type Who =
  'anonymous' | 'web' | 'web, A' | 'web, B' | 'app, A' | 'store A terminal' | 'call center' | 'console';

/** The channel of each caller, which decides the interaction kind it may report. */
const CHANNEL: Record<Who, string> = {
  anonymous: 'WEB',
  web: 'WEB',
  'web, A': 'WEB',
  'web, B': 'WEB',
  'app, A': 'APP',
  'store A terminal': 'STORE',
  'call center': 'CALL_CENTER',
  console: 'CONSOLE',
};

/** What each channel reports about her (see docs/API.md "Customer journey"). */
const REPORT: Record<string, Record<string, unknown>> = {
  WEB: { kind: 'PRODUCT_VIEWED', sku: 'COAT-M' },
  APP: { kind: 'PRODUCT_VIEWED', sku: 'COAT-M' },
  STORE: { kind: 'STORE_VISIT' },
  CALL_CENTER: { kind: 'SERVICE_CONTACT', note: 'Called about her order' },
  CONSOLE: { kind: 'SERVICE_CONTACT', note: 'Checked her profile' },
};

const field = (selection: string) => `query($a: ID!) { customer(id: $a) { id ${selection} } }`;

describe('B3: who may do what on her journey', () => {
  let ctx: BackofficeTestContext;
  let shop: JourneyShop;
  let callers: Record<Who, JourneyCaller>;
  let n = 0;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    shop = await givenJourneyShop(ctx);
    const { clients } = shop;
    callers = {
      anonymous: { key: null },
      web: { key: clients.web.key },
      'web, A': { key: clients.web.key, token: await shop.token('web', shop.a) },
      'web, B': { key: clients.web.key, token: await shop.token('web', shop.b) },
      'app, A': { key: clients.app.key, token: await shop.token('app', shop.a) },
      'store A terminal': { key: clients.storeA.key },
      'call center': { key: clients.agent.key },
      console: { key: clients.console.key },
    };
  });
  afterAll(async () => {
    await shop.stop();
    await ctx.close();
  });

  /** A merge of two fresh profiles, made through the admin side, for a caller to undo. */
  const freshMerge = async (): Promise<string> => {
    const enrol = async (name: string) =>
      (
        await enrollCustomer(
          ctx.deps,
          { displayName: name, email: `${name}@example.nl` },
          { channel: 'WEB', idempotencyKey: name },
        )
      ).customer.id;
    const survivorId = await enrol(`keep-${++n}`);
    const mergedId = await enrol(`gone-${n}`);
    return (await mergeCustomers(ctx.deps, { survivorId, mergedId }, 'ADMIN')).mergeId;
  };

  /** An act about A: the document asked with `$a` (and `$k`, a key of the caller's own), and its outcome. */
  const about =
    (query: string) =>
    async (c: JourneyCaller, who: Who): Promise<string> =>
      outcome(await shop.gql(c, query, { a: shop.a, k: `${query.length}-${who.replace(/\W+/g, '-')}` }));

  const acts: Record<string, (c: JourneyCaller, who: Who) => Promise<string>> = {
    timeline: about(field('timeline { nodes { id } }')),
    history: about(field('history { field }')),
    dataUse: about(field('dataUse { edges { node { what } } }')),
    segments: about(field('segments { segment }')),
    nextBestOffers: about(field('nextBestOffers { id fingerprint }')),
    preferences: about(field('preferences { channels { channel } }')),
    identifiers: about(field('identifiers { kind }')),
    attributes: about(field('attributes { name }')),
    recordInteraction: async (c, who) =>
      outcome(
        await shop.gql(
          c,
          'mutation($in: InteractionInput!, $k: String!) { ' +
            'recordInteraction(input: $in, idempotencyKey: $k) { id } }',
          { in: { customerId: shop.a, ...REPORT[CHANNEL[who]] }, k: `report-${who.replace(/\W+/g, '-')}` },
        ),
      ),
    updateProfile: about(
      'mutation($a: ID!) { updateProfile(customerId: $a, ' +
        'input: { attributes: { birthday: "1990-04-01" } }) { id } }',
    ),
    // A phone she never linked: NOT_FOUND means the caller got past access.
    unlinkIdentifier: about(
      'mutation($a: ID!) { unlinkIdentifier(customerId: $a, kind: PHONE, value: "+31 6 99999999") { id } }',
    ),
    setPreferences: about(
      'mutation($a: ID!) { setPreferences(customerId: $a, input: { channels: [{ channel: POST, ' +
        'topics: [LOYALTY] }] }) { id } }',
    ),
    // She and she are already one: CONFLICT means the caller got past access.
    mergeCustomers: about(
      'mutation($a: ID!, $k: String!) { mergeCustomers(survivorId: $a, mergedId: $a, idempotencyKey: $k) ' +
        '{ mergeId } }',
    ),
    unmergeCustomers: async (c) =>
      outcome(
        await shop.gql(c, 'mutation($m: ID!) { unmergeCustomers(mergeId: $m) { id } }', {
          m: await freshMerge(),
        }),
      ),
  };

  it('gives every caller exactly the intended rights, and writes nothing it refuses', async () => {
    const before = await journeyRows();
    const actual: Record<string, Record<string, string>> = {};
    for (const [who, caller] of Object.entries(callers) as Array<[Who, JourneyCaller]>) {
      actual[who] = {};
      for (const [what, act] of Object.entries(acts)) actual[who][what] = await act(caller, who);
    }
    const row = (cells: string[]) => Object.fromEntries(Object.keys(acts).map((k, i) => [k, cells[i]!]));
    const U = 'UNAUTHENTICATED';
    const F = 'FORBIDDEN';
    const OK = 'OK';
    const NF = 'NOT_FOUND';
    const C = 'CONFLICT';
    // Columns: timeline, history, dataUse, segments, nextBestOffers, preferences, identifiers, attributes,
    // recordInteraction, updateProfile, unlinkIdentifier, setPreferences, mergeCustomers, unmergeCustomers.
    const herself = row([OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, NF, OK, F, F]);
    const terminal = row([OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, NF, OK, F, F]);
    const backOffice = row([OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, NF, OK, C, OK]);
    expect(actual).toEqual({
      anonymous: row(Array<string>(14).fill(U)),
      web: row(Array<string>(14).fill(F)),
      'web, A': herself,
      'web, B': row(Array<string>(14).fill(F)),
      'app, A': herself,
      'store A terminal': terminal,
      'call center': backOffice,
      console: backOffice,
    });

    // What was written: one reported interaction per allowed caller, none for the refused ones; her
    // birthday once (the later corrections changed nothing), her POST preference once; no merge of hers.
    const after = await journeyRows();
    expect(after.interactions).toEqual({
      ...before.interactions,
      WEB: 1,
      APP: 1,
      STORE: 1,
      CALL_CENTER: 1,
      CONSOLE: 1,
    });
    expect(after.changes).toEqual({ ...before.changes, 'attributes.birthday': 1, 'preferences.POST': 1 });
    expect(after.mergesOfA).toBe(0);
  });

  /** Her reported interactions by channel, her history's changes by field, merges touching her. */
  const journeyRows = async () => {
    const interactions = await ctx.deps.db
      .selectFrom('customerInteractions')
      .select(['channel'])
      .where('customerId', '=', shop.a)
      .where('source', 'like', 'client:%')
      .execute();
    const changes = await ctx.deps.db
      .selectFrom('profileChanges')
      .select(['field'])
      .where('customerId', '=', shop.a)
      .execute();
    const merges = await ctx.deps.db
      .selectFrom('customerMerges')
      .select('id')
      .where((eb) => eb.or([eb('fromId', '=', shop.a), eb('intoId', '=', shop.a)]))
      .execute();
    const count = (values: string[]) =>
      values.reduce<Record<string, number>>((m, v) => ({ ...m, [v]: (m[v] ?? 0) + 1 }), {});
    return {
      interactions: count(interactions.map((i) => i.channel)),
      changes: count(changes.map((c) => c.field)),
      mergesOfA: merges.length,
    };
  };

  it('puts every staff act on record, in the audit trail and in her data use; hers in neither', async () => {
    const staff = [shop.clients.storeA, shop.clients.agent, shop.clients.console].map(
      (c) => `client:${c.id}`,
    );
    const audit = await ctx.deps.db
      .selectFrom('auditLog')
      .select(['actor', 'action'])
      .where('subject', '=', `customer:${shop.a}`)
      .where('action', 'like', 'customer.%')
      .execute();
    const auditedBy = (action: string) =>
      [...new Set(audit.filter((r) => r.action === action).map((r) => r.actor))].sort();
    for (const action of [
      'customer.timeline',
      'customer.history',
      'customer.data-use',
      'customer.segments',
      'customer.next-best-offers',
      'customer.preferences',
      'customer.record-interaction',
      'customer.update-profile',
      'customer.unlink-identifier',
    ])
      expect([action, auditedBy(action)]).toEqual([action, [...staff].sort()]);
    expect(audit.filter((r) => !staff.includes(r.actor))).toEqual([]);

    const r = await shop.gql(
      callers['web, A'],
      field('dataUse(first: 200) { edges { node { actor channel purpose what } } }'),
      {
        a: shop.a,
      },
    );
    const uses = (r.data!.customer.dataUse.edges as Array<{ node: Record<string, string> }>).map(
      (e) => e.node,
    );
    for (const [client, channel] of [
      [shop.clients.storeA, 'STORE'],
      [shop.clients.agent, 'CALL_CENTER'],
      [shop.clients.console, 'CONSOLE'],
    ] as const) {
      const mine = uses.filter((u) => u.actor === `client:${client.id}`);
      expect(new Set(mine.map((u) => `${u.channel} ${u.purpose}`))).toEqual(new Set([`${channel} SERVICE`]));
      expect(mine.map((u) => u.what)).toEqual(
        expect.arrayContaining([
          'read the timeline',
          'read the profile history',
          'read who used her data',
          'read her segments',
          'worked out next best offers',
          'read or set the contact preferences',
          'read the profile',
          'recorded an interaction',
          'corrected the profile',
        ]),
      );
    }
    expect(uses.filter((u) => !staff.includes(u.actor!))).toEqual([]);
  });

  it('refuses the same over WebSocket: another customer’s token reads nothing of her timeline', async () => {
    const query = field('timeline { nodes { id } }');
    const asB = wsClient(shop.node.port, shop.clients.web.key, { customerToken: callers['web, B'].token! });
    const asA = wsClient(shop.node.port, shop.clients.web.key, { customerToken: callers['web, A'].token! });
    try {
      const refused = await wsOperation(asB, query, { a: shop.a });
      expect(refused.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
      expect(refused.data?.customer ?? null).toBeNull();
      const hers = await wsOperation(asA, query, { a: shop.a });
      expect(hers.errors).toBeUndefined();
      expect(hers.data.customer.timeline.nodes.length).toBeGreaterThan(0);
    } finally {
      await asB.dispose();
      await asA.dispose();
    }
  });
});
