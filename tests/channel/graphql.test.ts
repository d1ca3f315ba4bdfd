import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { enrollCustomer, upsertPromotion, createCoupons } from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

describe('the GraphQL channel API', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  const keys: Record<string, string> = {};
  let customerId: string;
  const gql = async (
    key: string | null,
    query: string,
    variables: Record<string, unknown> = {},
    customerToken?: string,
  ) => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(customerToken ? { 'x-customer-token': customerToken } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        data?: any;
        errors?: Array<{ message: string; extensions: { code: string } }>;
      },
    };
  };

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'wh-1', {
      name: 'Warehouse Tilburg',
      kind: 'WAREHOUSE',
      fulfilsOnline: true,
    });
    await upsertLocation(ctx.deps, 'ams-01', {
      name: 'Amsterdam Kalverstraat',
      kind: 'STORE',
      fulfilsOnline: false,
    });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertProduct(ctx.deps, 'COAT-M', {
      name: 'Wollen jas',
      category: 'coats',
      vatRate: 21,
      attributes: { size: 'M', colour: 'navy' },
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 12995, minQuantity: 1 });
    await setStockCount(ctx.deps, 'COAT-M', 'wh-1', { onHand: 8 });
    await setStockCount(ctx.deps, 'COAT-M', 'ams-01', { onHand: 2 });
    await upsertPromotion(ctx.deps, 'coats-20', {
      status: 'ACTIVE',
      rule: {
        label: 'Winter coats',
        conditions: [{ kind: 'category', categories: ['coats'] }],
        action: { kind: 'percentOff', percentBp: 2000 },
      },
    });
    await upsertPromotion(ctx.deps, 'welcome', {
      status: 'ACTIVE',
      rule: { label: 'Welcome code', couponRequired: true, action: { kind: 'amountOff', amount: 500 } },
    });
    await createCoupons(ctx.deps, 'welcome', { codes: ['WELCOME5'] });
    customerId = (
      await enrollCustomer(
        ctx.deps,
        { displayName: 'Hanna', email: 'hanna@example.nl' },
        { channel: 'STORE', idempotencyKey: 'hanna' },
      )
    ).customer.id;
    for (const [channel, locationId] of [
      ['WEB', undefined],
      ['APP', undefined],
      ['STORE', 'ams-01'],
      ['CALL_CENTER', undefined],
    ] as const) {
      keys[channel] = (
        await createChannelClient(
          ctx.deps.db,
          {
            name: `${channel} client`,
            channel,
            ...(locationId ? { locationId } : {}),
            scopes: channel === 'WEB' || channel === 'APP' ? ['customer-tokens'] : [],
          },
          new Date(),
        )
      ).key;
    }
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  const OFFER = `query($sku: ID!, $loc: ID, $min: Revision) {
    offer(sku: $sku, locationId: $loc, minRevision: $min) {
    sku product { name vatRate attributes { name value } }
    price { base { amount formatted } final { amount currency formatted } savings { amount }
      adjustments { source id label reason amount { amount } } }
    availability { online { available status } atLocation { location { id name } available status }
      locations { location { id } available status } }
    revision fingerprint } }`;

  it('refuses a request without a valid client key', async () => {
    const none = await gql(null, '{ revision }');
    expect(none.status).toBe(401);
    expect(none.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect(none.body.errors?.[0]?.message).toMatch(/key is required/);
    const invented = await gql('ohk_web_not-a-real-key-at-all', '{ revision }');
    expect(invented.status).toBe(401);
    // A key that was sent but is not one is told so, not asked for a key.
    expect(invented.body.errors?.[0]).toEqual({
      message: 'This channel client key is not valid: it is unknown or was revoked',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('answers an offer identically, byte for byte, to every channel', async () => {
    const answers = await Promise.all(
      ['WEB', 'APP', 'STORE', 'CALL_CENTER'].map((c) =>
        gql(keys[c]!, OFFER, { sku: 'COAT-M', loc: 'ams-01' }),
      ),
    );
    for (const a of answers) expect(a.body.errors).toBeUndefined();
    const offer = answers[0]!.body.data.offer;
    expect(offer.price).toMatchObject({
      base: { amount: 12995 },
      final: { amount: 10396, currency: 'EUR' },
      savings: { amount: 2599 },
    });
    expect(offer.price.final.formatted).toMatch(/103,96/);
    expect(offer.price.adjustments).toEqual([
      {
        source: 'PROMOTION',
        id: 'coats-20',
        label: 'Winter coats',
        reason: 'Winter coats: 20% off on coats',
        amount: { amount: 2599 },
      },
    ]);
    expect(offer.availability).toMatchObject({
      online: { available: 8, status: 'IN_STOCK' },
      atLocation: {
        location: { id: 'ams-01', name: 'Amsterdam Kalverstraat' },
        available: 2,
        status: 'LOW_STOCK',
      },
    });
    expect(typeof offer.revision).toBe('string');
    for (const a of answers) expect(JSON.stringify(a.body)).toBe(JSON.stringify(answers[0]!.body));
  });

  it('quotes a cart with coupons, VAT and rejected codes', async () => {
    const r = await gql(
      keys.WEB!,
      `query($in: QuoteInput!) { quote(input: $in) { lines { sku quantity final { amount } ` +
        `adjustments { source id } } subtotal { amount } discountTotal { amount } total { amount ` +
        `} vatTotal { amount } rejectedCoupons { code reason } revision fingerprint } }`,
      { in: { lines: [{ sku: 'COAT-M', quantity: 2 }], couponCodes: ['WELCOME5', 'BOGUS'] } },
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.quote).toMatchObject({
      subtotal: { amount: 25990 },
      discountTotal: { amount: 5698 },
      total: { amount: 20292 },
      rejectedCoupons: [{ code: 'BOGUS', reason: 'unknown coupon code' }],
    });
  });

  it(
    'lets staff channels read a profile (audited) and refuses web and app clients without a ' +
      'customer token',
    async () => {
      const q =
        `query($id: ID!) { customer(id: $id) { id displayName loyalty { tier points } consents { ` +
        `purpose } } }`;
      const web = await gql(keys.WEB!, q, { id: customerId });
      expect(web.body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
      const agent = await gql(keys.CALL_CENTER!, q, { id: customerId });
      expect(agent.body.data.customer).toMatchObject({
        id: customerId,
        displayName: 'Hanna',
        loyalty: { tier: 'BRONZE', points: 0 },
      });
      const audit = await ctx.deps.db
        .selectFrom('auditLog')
        .select(['action', 'subject'])
        .where('action', '=', 'customer.read')
        .execute();
      expect(audit).toEqual([{ action: 'customer.read', subject: `customer:${customerId}` }]);
      const byCard = await gql(
        keys.STORE!,
        `{ customerByIdentifier(kind: EMAIL, value: " HANNA@example.nl") { id } }`,
      );
      expect(byCard.body.data.customerByIdentifier.id).toBe(customerId);
    },
  );

  it('answers bad input, unknown SKUs and abusive queries with stable codes, never a 5xx', async () => {
    const unknown = await gql(keys.WEB!, OFFER, { sku: 'NOPE' });
    expect(unknown.status).toBe(200);
    expect(unknown.body.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    const badRevision = await gql(keys.WEB!, OFFER, { sku: 'COAT-M', min: 'yesterday' });
    expect(badRevision.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const ahead = await gql(keys.WEB!, OFFER, { sku: 'COAT-M', min: '999999999' });
    expect(ahead.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const syntax = await gql(keys.WEB!, '{ offer(sku: ');
    expect(syntax.status).toBeLessThan(500);
    expect(syntax.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const aliases = await gql(
      keys.WEB!,
      `{ ${Array.from({ length: 31 }, (_, i) => `r${i}: revision`).join(' ')} }`,
    );
    expect(aliases.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(aliases.body.data).toBeUndefined();
    const tooMany = await gql(keys.WEB!, `query($s: [ID!]!) { offers(skus: $s) { sku } }`, {
      s: Array.from({ length: 101 }, () => 'COAT-M'),
    });
    expect(tooMany.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it(
    'answers a body it cannot read (too large, not JSON) with the GraphQL error envelope and a ' +
      'code, never an HTML page',
    async () => {
      const post = async (body: string) => {
        const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.WEB!}` },
          body,
        });
        return {
          status: res.status,
          type: res.headers.get('content-type'),
          body: (await res.json().catch(() => 'not JSON')) as unknown,
        };
      };
      expect(
        await post(JSON.stringify({ query: '{ revision }', variables: { pad: 'x'.repeat(300_000) } })),
      ).toEqual({
        status: 413,
        type: expect.stringMatching(/^application\/json/),
        body: {
          errors: [
            {
              message: expect.stringMatching(/256 KiB/),
              extensions: { code: 'BAD_USER_INPUT', maxBytes: 262144 },
            },
          ],
        },
      });
      for (const broken of ['{"query": "{ revision }", "variables": ', 'not json']) {
        expect(await post(broken)).toEqual({
          status: 400,
          type: expect.stringMatching(/^application\/json/),
          body: { errors: [{ message: expect.any(String), extensions: { code: 'BAD_USER_INPUT' } }] },
        });
      }
    },
  );

  it(
    'answers a subscription sent over HTTP with BAD_USER_INPUT: subscriptions are served over ' + 'WebSocket',
    async () => {
      const r = await gql(keys.WEB!, 'subscription { offerChanged(sku: "COAT-M") { sku } }');
      expect({
        status: r.status,
        code: r.body.errors?.[0]?.extensions.code,
        message: r.body.errors?.[0]?.message,
      }).toEqual({ status: 400, code: 'BAD_USER_INPUT', message: expect.stringMatching(/WebSocket/) });
    },
  );

  it(
    'names a reused idempotency key as the client sent it, ' + 'never with the hub’s internal scoping',
    async () => {
      const reserve = (quantity: number) =>
        gql(
          keys.WEB!,
          `mutation { reserveStock(input: { lines: [{ sku: "COAT-M", quantity: ${quantity}, ` +
            `locationId: "wh-1" }] }, idempotencyKey: "cart-dup") { id } }`,
        );
      const first = await reserve(1);
      expect(first.body.errors).toBeUndefined();
      const again = await reserve(2);
      expect(again.body.errors?.[0]).toEqual({
        message: 'Idempotency key "cart-dup" was already used with a different request',
        path: ['reserveStock'],
        extensions: { code: 'CONFLICT', idempotencyKey: 'cart-dup' },
      });
      // The later tests count this stock: the hold is given back.
      expect(
        (
          await gql(keys.WEB!, 'mutation($id: ID!) { releaseReservation(id: $id) { status } }', {
            id: first.body.data.reserveStock.id,
          })
        ).body.errors,
      ).toBeUndefined();
    },
  );

  it(
    'refuses deep, costly and cyclic queries before executing them, and lets a full 100-SKU ' +
      'offers query through (B2)',
    async () => {
      const deep = await gql(
        keys.WEB!,
        `{ offer(sku: "COAT-M") { ${'product { '.repeat(9)}sku${' }'.repeat(9)} } }`,
      );
      expect(deep.status).toBeLessThan(500);
      expect(deep.body.data).toBeUndefined();
      expect(deep.body.errors?.map((e) => e.message)).toContainEqual(
        expect.stringMatching(/depth limit of 8 exceeded, found 11/),
      );
      const nested = await gql(
        keys.WEB!,
        `fragment L on StockLevel { location { id } } fragment A on Availability { online { ...L ` +
          `} } { offer(sku: "COAT-M") { availability { ...A } product { attributes { name } } } }`,
      );
      expect(nested.body.errors).toBeUndefined(); // depth 4 through fragments: fine

      const list = Array.from({ length: 100 }, (_, i) => `"SKU-${i}"`).join(', ');
      const everything = `offers(skus: [${list}]) { sku revision fingerprint
      product { sku name category vatRate status attributes { name value } }
      price { base { amount currency formatted } final { amount currency formatted }
        savings { amount currency formatted }
        adjustments { source id label reason amount { amount currency } } }
      availability { online { available status location { id name } } atLocation { available status }
        locations { available status location { id } } } }`;
      const full = await gql(keys.WEB!, `{ ${everything} }`);
      // Validation passes: what comes back is the answer for unknown SKUs, not a refusal of the query.
      expect(full.body.errors?.[0]?.extensions.code).toBe('NOT_FOUND');

      const costly = await gql(
        keys.WEB!,
        `{ ${Array.from({ length: 5 }, (_, i) => `a${i}: ${everything}`).join(' ')} }`,
      );
      expect(costly.status).toBeLessThan(500);
      expect(costly.body.data).toBeUndefined();
      expect(costly.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/too costly/),
        extensions: { code: 'BAD_USER_INPUT' },
      });

      const cyclic = await gql(
        keys.WEB!,
        'fragment A on Offer { sku ...B } fragment B on Offer { fingerprint ...A } { offer(sku: ' +
          '"COAT-M") { ...A } }',
      );
      expect(cyclic.status).toBeLessThan(500);
      expect(cyclic.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(cyclic.body.data).toBeUndefined();
    },
  );

  it(
    'runs the checkout mutations with idempotency keys, each result carrying its revision; ' +
      'terminals act only at their store',
    async () => {
      const reserve =
        `mutation($in: ReserveStockInput!, $k: String!) { reserveStock(input: $in, idempotencyKey: ` +
        `$k) { id status lines { sku locationId quantity } expiresAt revision } }`;
      const foreign = await gql(keys.STORE!, reserve, {
        in: { lines: [{ sku: 'COAT-M', quantity: 1, locationId: 'wh-1' }] },
        k: 'till-1',
      });
      expect(foreign.body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
      const r = await gql(keys.WEB!, reserve, {
        in: { lines: [{ sku: 'COAT-M', quantity: 2, locationId: 'wh-1' }], ttlSeconds: 600 },
        k: 'cart-1',
      });
      expect(r.body.data.reserveStock).toMatchObject({
        status: 'ACTIVE',
        lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 2 }],
      });
      const short = await gql(keys.WEB!, reserve, {
        in: { lines: [{ sku: 'COAT-M', quantity: 99, locationId: 'wh-1' }] },
        k: 'cart-2',
      });
      expect(short.body.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_STOCK', available: 6 });

      const place =
        `mutation($in: PlaceOrderInput!, $k: String!) { placeOrder(input: $in, idempotencyKey: $k) ` +
        `{ id total { amount } pointsEarned revision lines { sku final { amount } } } }`;
      const o1 = await gql(keys.WEB!, place, {
        in: {
          reservationId: r.body.data.reserveStock.id,
          lines: [{ sku: 'COAT-M', quantity: 2 }],
          couponCodes: ['WELCOME5'],
        },
        k: 'order-1',
      });
      expect(o1.body.errors).toBeUndefined();
      expect(o1.body.data.placeOrder.total.amount).toBe(20292);
      const again = await gql(keys.WEB!, place, {
        in: {
          reservationId: r.body.data.reserveStock.id,
          lines: [{ sku: 'COAT-M', quantity: 2 }],
          couponCodes: ['WELCOME5'],
        },
        k: 'order-1',
      });
      expect(again.body.data.placeOrder.id).toBe(o1.body.data.placeOrder.id);
      expect(again.body.data.placeOrder.revision).toBe(o1.body.data.placeOrder.revision);

      const sale = await gql(
        keys.STORE!,
        `mutation { recordStoreSale(input: { lines: [{ sku: "COAT-M", quantity: 1 }] }, ` +
          `idempotencyKey: "till-7-0001") { id total { amount formatted } revision } }`,
      );
      expect(sale.body.data.recordStoreSale.total.amount).toBe(10396);
      expect(
        (
          await gql(
            keys.WEB!,
            `mutation { recordStoreSale(input: { lines: [{ sku: "COAT-M", quantity: 1 }] }, ` +
              `idempotencyKey: "web-1") { id } }`,
          )
        ).body.errors?.[0]?.extensions.code,
      ).toBe('FORBIDDEN');
      const ret = await gql(
        keys.STORE!,
        `mutation($o: ID!) { returnItems(input: { orderId: $o, lines: [{ sku: "COAT-M", ` +
          `quantity: 1, sellable: true }] }, idempotencyKey: "ret-1") { id refund { amount } ` +
          `revision } }`,
        { o: sale.body.data.recordStoreSale.id },
      );
      expect(ret.body.data.returnItems.refund.amount).toBe(10396);

      const enrol = await gql(
        keys.APP!,
        `mutation { enrollCustomer(input: { displayName: "Iris", email: "Iris@Example.nl", ` +
          `consents: [PERSONALISATION] }, idempotencyKey: "signup-1") { id displayName consents { ` +
          `purpose granted channel } } }`,
      );
      expect(enrol.body.data.enrollCustomer).toMatchObject({
        displayName: 'Iris',
        consents: [{ purpose: 'PERSONALISATION', granted: true, channel: 'APP' }],
      });
      const irisId = enrol.body.data.enrollCustomer.id as string;
      expect(
        (
          await gql(
            keys.APP!,
            `mutation($c: ID!) { setConsent(customerId: $c, purpose: PROFILING, granted: true) { id } }`,
            { c: irisId },
          )
        ).body.errors?.[0]?.extensions.code,
      ).toBe('FORBIDDEN');
      const consent = await gql(
        keys.CALL_CENTER!,
        `mutation($c: ID!) { setConsent(customerId: $c, purpose: EMAIL_MARKETING, granted: true) ` +
          `{ consents { purpose channel } } }`,
        { c: irisId },
      );
      expect(consent.body.data.setConsent.consents).toEqual([
        { purpose: 'EMAIL_MARKETING', channel: 'CALL_CENTER' },
        { purpose: 'PERSONALISATION', channel: 'APP' },
      ]);
      const redeem = await gql(
        keys.CALL_CENTER!,
        `mutation($c: ID!) { redeemPoints(customerId: $c, points: 10, idempotencyKey: "r-1") { points } }`,
        { c: irisId },
      );
      expect(redeem.body.errors?.[0]?.extensions.code).toBe('CONFLICT');
    },
  );

  it('limits a web or app client to the one customer its token names (B3)', async () => {
    const issue = `mutation($c: ID!) { issueCustomerToken(customerId: $c) { token expiresAt } }`;
    expect((await gql(keys.CALL_CENTER!, issue, { c: customerId })).body.errors?.[0]?.extensions.code).toBe(
      'FORBIDDEN',
    );
    const t = (await gql(keys.WEB!, issue, { c: customerId })).body.data.issueCustomerToken.token as string;
    const read = `query($id: ID!) { customer(id: $id) { id displayName } }`;
    expect((await gql(keys.WEB!, read, { id: customerId }, t)).body.data.customer).toEqual({
      id: customerId,
      displayName: 'Hanna',
    });
    const other = (
      await enrollCustomer(ctx.deps, { displayName: 'Joost' }, { channel: 'WEB', idempotencyKey: 'joost' })
    ).customer.id;
    expect((await gql(keys.WEB!, read, { id: other }, t)).body.errors?.[0]?.extensions.code).toBe(
      'FORBIDDEN',
    );
    expect((await gql(keys.APP!, read, { id: customerId }, t)).status).toBe(401); // issued to another client
    // tampered
    expect((await gql(keys.WEB!, read, { id: customerId }, `${t.slice(0, -2)}xx`)).status).toBe(401);
    const q = await gql(
      keys.WEB!,
      `query($c: ID!) { quote(input: { lines: [{ sku: "COAT-M", quantity: 1 }], customerId: $c ` +
        `}) { total { amount } } }`,
      { c: customerId },
      t,
    );
    expect(q.body.data.quote.total.amount).toBe(10396);
  });

  it('answers offers for many SKUs from one snapshot, each equal to its single offer', async () => {
    const many = await gql(
      keys.WEB!,
      `query($s: [ID!]!) { offers(skus: $s, locationId: "ams-01") { sku price { final { amount ` +
        `} } availability { atLocation { available } } revision fingerprint } }`,
      { s: ['COAT-M', 'COAT-M'] },
    );
    expect(many.body.errors).toBeUndefined();
    const single = await gql(
      keys.WEB!,
      `{ offer(sku: "COAT-M", locationId: "ams-01") { sku price { final { amount } } ` +
        `availability { atLocation { available } } revision fingerprint } }`,
    );
    expect(many.body.data.offers).toEqual([single.body.data.offer, single.body.data.offer]);
    const missing = await gql(keys.WEB!, `{ offers(skus: ["COAT-M", "NOPE"]) { sku } }`);
    expect(missing.body.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });

  it('limits each client’s request rate across nodes, with a retry hint', async () => {
    const { key } = await createChannelClient(
      ctx.deps.db,
      { name: 'slow kiosk', channel: 'CONSOLE', scopes: ['rate:5'] },
      new Date(),
    );
    const results = await Promise.all(Array.from({ length: 12 }, () => gql(key, '{ revision }')));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    // at most two windows' worth
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(10);
  });

  it('exports and erases a customer on her own request (token) and refuses a till', async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { displayName: 'Lotte', email: 'lotte@example.nl' },
      { channel: 'APP', idempotencyKey: 'lotte' },
    );
    const t = (
      await gql(keys.APP!, `mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }`, {
        c: customer.id,
      })
    ).body.data.issueCustomerToken.token as string;
    expect(
      (await gql(keys.STORE!, `mutation($c: ID!) { exportCustomerData(customerId: $c) }`, { c: customer.id }))
        .body.errors?.[0]?.extensions.code,
    ).toBe('FORBIDDEN');
    const doc = JSON.parse(
      (
        await gql(
          keys.APP!,
          `mutation($c: ID!) { exportCustomerData(customerId: $c) }`,
          { c: customer.id },
          t,
        )
      ).body.data.exportCustomerData as string,
    );
    expect(doc.profile.identifiers[0].value).toBe('lotte@example.nl');
    const erased = await gql(
      keys.APP!,
      `mutation($c: ID!) { eraseCustomer(customerId: $c) { erasureId erasedAt revision } }`,
      { c: customer.id },
      t,
    );
    expect(erased.body.data.eraseCustomer.erasureId).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      (await gql(keys.CALL_CENTER!, `query($c: ID!) { customer(id: $c) { id } }`, { c: customer.id })).body
        .data.customer,
    ).toBeNull();
  });
});
