/**
 * Her timeline through the channel API, over real HTTP: what one channel records every other channel sees,
 * staff notes stay with staff, keys are per client, pages hold, and every staff read is on record — in the
 * audit trail and in her own `dataUse`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { givenJourneyShop, outcome, type JourneyShop } from './journey-fixtures.js';

const RECORD =
  'mutation($in: InteractionInput!, $k: String!) { recordInteraction(input: $in, idempotencyKey: $k) { ' +
  'id kind channel at sku summary note revision location { id name } } }';
const TIMELINE =
  'query($c: ID!, $first: Int, $after: String, $kinds: [InteractionKind!]) { customer(id: $c) { ' +
  'timeline(first: $first, after: $after, kinds: $kinds) { nodes { id kind channel sku summary note ' +
  'location { id } } pageInfo { hasNextPage endCursor } revision } } }';

describe('the timeline across channels', () => {
  let ctx: BackofficeTestContext;
  let shop: JourneyShop;
  let annaOnApp: string;
  let annaOnWeb: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    shop = await givenJourneyShop(ctx);
    annaOnApp = await shop.token('app', shop.a);
    annaOnWeb = await shop.token('web', shop.a);
  });
  afterAll(async () => {
    await shop.stop();
    await ctx.close();
  });

  const timelineOf = async (caller: { key: string; token?: string }, vars: Record<string, unknown> = {}) => {
    const r = await shop.gql(caller, TIMELINE, { c: shop.a, ...vars });
    expect(r.errors).toBeUndefined();
    return (r.data as { customer: { timeline: any } }).customer.timeline;
  };

  it('shows what the app recorded to the store terminal, the call center and to her on the web', async () => {
    const recorded = await shop.gql({ key: shop.clients.app.key, token: annaOnApp }, RECORD, {
      in: { customerId: shop.a, kind: 'PRODUCT_VIEWED', sku: 'COAT-M' },
      k: 'viewed-1',
    });
    expect(recorded.errors).toBeUndefined();
    const interaction = recorded.data!.recordInteraction;
    expect(interaction).toMatchObject({
      kind: 'PRODUCT_VIEWED',
      channel: 'APP',
      sku: 'COAT-M',
      summary: expect.stringContaining('COAT-M'),
      note: null,
      location: null,
    });
    const seen = {
      id: interaction.id,
      kind: 'PRODUCT_VIEWED',
      channel: 'APP',
      sku: 'COAT-M',
      summary: interaction.summary,
      note: null,
      location: null,
    };
    for (const caller of [
      { key: shop.clients.storeA.key },
      { key: shop.clients.agent.key },
      { key: shop.clients.web.key, token: annaOnWeb },
    ]) {
      const page = await timelineOf(caller);
      expect(page.nodes).toContainEqual(seen);
      expect(Number(page.revision)).toBeGreaterThanOrEqual(Number(interaction.revision));
    }
  });

  it('answers a replayed key with the first interaction, and keeps keys apart per client', async () => {
    const view = (k: string, key = shop.clients.app.key) =>
      shop.gql({ key, token: annaOnApp }, RECORD, {
        in: { customerId: shop.a, kind: 'WISHLIST_ADDED', sku: 'COAT-M' },
        k,
      });
    const first = await view('wish-1');
    const again = await view('wish-1');
    expect(again.data!.recordInteraction.id).toBe(first.data!.recordInteraction.id);
    // The same key from the web is the web's own: a second interaction.
    const web = await shop.gql({ key: shop.clients.web.key, token: annaOnWeb }, RECORD, {
      in: { customerId: shop.a, kind: 'WISHLIST_ADDED', sku: 'COAT-M' },
      k: 'wish-1',
    });
    expect(web.data!.recordInteraction.id).not.toBe(first.data!.recordInteraction.id);
    expect(web.data!.recordInteraction.channel).toBe('WEB');
  });

  it('keeps an agent’s note with staff, and puts a terminal’s visit at its own store', async () => {
    const note = await shop.gql({ key: shop.clients.agent.key }, RECORD, {
      in: { customerId: shop.a, kind: 'SERVICE_CONTACT', note: 'Asked about the coat’s lining' },
      k: 'call-1',
    });
    expect(note.data!.recordInteraction).toMatchObject({
      channel: 'CALL_CENTER',
      note: 'Asked about the coat’s lining',
    });
    const visit = await shop.gql({ key: shop.clients.storeA.key }, RECORD, {
      in: { customerId: shop.a, kind: 'STORE_VISIT' },
      k: 'visit-1',
    });
    expect(visit.data!.recordInteraction.location).toEqual({ id: 'ams-01', name: 'Amsterdam' });
    // Another store is not the terminal's to record.
    const elsewhere = await shop.gql({ key: shop.clients.storeA.key }, RECORD, {
      in: { customerId: shop.a, kind: 'STORE_VISIT', locationId: 'utr-01' },
      k: 'visit-2',
    });
    expect(outcome(elsewhere)).toBe('FORBIDDEN');

    const id = note.data!.recordInteraction.id;
    const staff = await timelineOf({ key: shop.clients.storeB.key }, { kinds: ['SERVICE_CONTACT'] });
    expect(staff.nodes.map((n: any) => [n.id, n.note])).toEqual([[id, 'Asked about the coat’s lining']]);
    const hers = await timelineOf(
      { key: shop.clients.web.key, token: annaOnWeb },
      { kinds: ['SERVICE_CONTACT'] },
    );
    expect(hers.nodes.map((n: any) => [n.id, n.note])).toEqual([[id, null]]);
  });

  it('pages her timeline newest first, and refuses a page over 200 or a cursor it never gave', async () => {
    const all = await timelineOf({ key: shop.clients.agent.key }, { first: 200 });
    expect(all.nodes.length).toBeGreaterThanOrEqual(5);
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await timelineOf({ key: shop.clients.agent.key }, { first: 2, after });
      ids.push(...page.nodes.map((n: any) => n.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(ids).toEqual(all.nodes.map((n: any) => n.id));
    const tooMany = await shop.gql({ key: shop.clients.agent.key }, TIMELINE, { c: shop.a, first: 201 });
    expect(outcome(tooMany)).toBe('BAD_USER_INPUT');
    const forged = await shop.gql({ key: shop.clients.agent.key }, TIMELINE, { c: shop.a, after: 'bm9wZQ' });
    expect(outcome(forged)).toBe('BAD_USER_INPUT');
  });

  it('prices the timeline by its page: many large pages in one document are refused unrun', async () => {
    const page = (i: number, first: string) =>
      `t${i}: timeline(first: ${first}) { nodes { id kind channel at sku summary note location { id } } }`;
    const many = (first: string) =>
      `query($c: ID!${first === '$n' ? ', $n: Int' : ''}) { customer(id: $c) { ` +
      `${Array.from({ length: 25 }, (_, i) => page(i, first)).join(' ')} } }`;
    const agent = { key: shop.clients.agent.key };
    const before = await ctx.deps.db.selectFrom('auditLog').select('id').execute();
    for (const first of ['200', '$n']) {
      const r = await shop.gql(agent, many(first), { c: shop.a, n: 10 });
      expect([r.status, outcome(r), r.errors?.[0]?.message]).toEqual([
        400,
        'BAD_USER_INPUT',
        expect.stringMatching(/costly/),
      ]);
    }
    // Refused before anything ran: not even the read of her profile is on record.
    expect(await ctx.deps.db.selectFrom('auditLog').select('id').execute()).toHaveLength(before.length);
    const few = await shop.gql(agent, many('2'), { c: shop.a });
    expect(few.errors).toBeUndefined();
  });

  it('puts every staff read of her timeline on record, and shows it to her in her data use', async () => {
    const audit = await ctx.deps.db
      .selectFrom('auditLog')
      .select(['actor', 'subject'])
      .where('action', '=', 'customer.timeline')
      .execute();
    const staff = [shop.clients.storeA, shop.clients.storeB, shop.clients.agent].map((c) => `client:${c.id}`);
    expect(new Set(audit.map((r) => r.actor))).toEqual(new Set(staff));
    expect(new Set(audit.map((r) => r.subject))).toEqual(new Set([`customer:${shop.a}`]));

    const r = await shop.gql(
      { key: shop.clients.web.key, token: annaOnWeb },
      'query($c: ID!) { customer(id: $c) { dataUse(first: 200) { ' +
        'edges { node { actor channel purpose what } ' +
        'cursor } pageInfo { hasNextPage } } } }',
      { c: shop.a },
    );
    expect(r.errors).toBeUndefined();
    const uses = (r.data!.customer.dataUse.edges as Array<{ node: Record<string, string> }>).map(
      (e) => e.node,
    );
    for (const [client, channel] of [
      [shop.clients.storeA, 'STORE'],
      [shop.clients.storeB, 'STORE'],
      [shop.clients.agent, 'CALL_CENTER'],
    ] as const)
      expect(uses).toContainEqual({
        actor: `client:${client.id}`,
        channel,
        purpose: 'SERVICE',
        what: 'read the timeline',
      });
    // Her own reads and acts are hers: none of them is a use by someone else.
    expect(uses.filter((u) => u.channel === 'WEB' || u.channel === 'APP')).toEqual([]);
  });

  it('refuses another customer’s timeline, also to a field reached without reading her profile', async () => {
    const bramOnWeb = await shop.token('web', shop.b);
    const other = await shop.gql({ key: shop.clients.web.key, token: bramOnWeb }, TIMELINE, { c: shop.a });
    expect(outcome(other)).toBe('FORBIDDEN');
    expect(other.data?.customer ?? null).toBeNull();
    // A web client enrols someone (anyone may) but reads nothing of hers without her token.
    const enrolled = await shop.gql(
      { key: shop.clients.web.key },
      'mutation { enrollCustomer(input: { displayName: "Cas" }, idempotencyKey: "cas") { id ' +
        'timeline { nodes { id } } } }',
    );
    expect(outcome(enrolled)).toBe('FORBIDDEN');
    expect(enrolled.data?.enrollCustomer ?? null).toBeNull();
  });
});
