/**
 * Attacks on the customer-token signature cache (channel-layer/clients/customer-tokens.ts) and on a member's
 * freshness through `customer_data_revisions` (journey-layer/pricing/pricing-context.ts): a remembered token
 * presented by another client, altered by one character, expired, for an erased, merged or unknown customer,
 * and a flood of distinct valid tokens; a member's next offer after a change of her consent, points, segment
 * or a merge (along a chain) is never the answer kept before it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startBackofficeWorker, type BackofficeWorker } from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import {
  CUSTOMER_TOKEN_TTL_SECONDS,
  issueCustomerToken,
  rememberedTokenCount,
  verifyCustomerToken,
} from '../../channel-layer/clients/customer-tokens.js';
import {
  adjustPoints,
  enrollCustomer,
  eraseCustomer,
  journeyWorkerOptions,
  mergeCustomers,
  setConsent,
} from '../../journey-layer/index.js';
import { customerDataRevisions } from '../../journey-layer/pricing/pricing-context.js';
import { ManualClock } from '../../shared/index.js';
import { seedCoat } from '../support/channel.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('customer tokens remembered by a node, under attack', () => {
  let ctx: BackofficeTestContext;
  const clock = new ManualClock('2026-12-01T10:00:00Z');
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
  });
  afterAll(async () => {
    await ctx.close();
  });
  const verify = (token: string, clientId: string) =>
    verifyCustomerToken(ctx.deps.db, token, clientId, clock.now());

  it('a remembered token is refused for another client, before and after it was remembered', async () => {
    const [customer, a, b] = [randomUUID(), randomUUID(), randomUUID()];
    const { token } = await issueCustomerToken(ctx.deps.db, customer, a, clock.now());
    await expect(verify(token, b)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await verify(token, a)).customerId).toBe(customer);
    await expect(verify(token, b)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await verify(token, a)).customerId).toBe(customer);
  });

  it('a remembered token altered by any one character, anywhere, is refused', async () => {
    const [customer, client] = [randomUUID(), randomUUID()];
    const { token } = await issueCustomerToken(ctx.deps.db, customer, client, clock.now());
    await verify(token, client);
    let tried = 0;
    for (let i = 0; i < token.length; i++) {
      const c = token[i]!;
      const alphabet =
        /[0-9a-f]/.test(c) && i < token.lastIndexOf('.') ? '0123456789abcdefABCDEF' : BASE64URL;
      const other = alphabet.split('').find((x) => x !== c)!;
      const altered = `${token.slice(0, i)}${other}${token.slice(i + 1)}`;
      await expect(verify(altered, client)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      tried++;
    }
    expect(tried).toBe(token.length);
    // The genuine one still verifies, and with an extra character at either end it does not.
    expect((await verify(token, client)).customerId).toBe(customer);
    await expect(verify(`${token}A`, client)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(` ${token}`, client)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(`${token}\n`, client)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a token remembered while valid is refused once it expires', async () => {
    const [customer, client] = [randomUUID(), randomUUID()];
    const { token, expiresAt } = await issueCustomerToken(ctx.deps.db, customer, client, clock.now());
    expect((await verify(token, client)).expiresAt).toEqual(expiresAt);
    clock.advance(CUSTOMER_TOKEN_TTL_SECONDS * 1000 - 1);
    expect((await verify(token, client)).customerId).toBe(customer);
    clock.advance(1);
    await expect(verify(token, client)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('80,000 valid tokens: 10,000 remembered at most, the first ones still verify rightly', async () => {
    const client = randomUUID();
    const issue = async (n: number) => {
      const out: Array<{ token: string; customer: string }> = [];
      for (let i = 0; i < n; i++) {
        const customer = randomUUID();
        out.push({
          customer,
          token: (await issueCustomerToken(ctx.deps.db, customer, client, clock.now())).token,
        });
      }
      return out;
    };
    const first = await issue(20_000);
    for (const t of first) await verify(t.token, client);
    expect(rememberedTokenCount(ctx.deps.db)).toBe(10_000);
    for (let round = 0; round < 3; round++) {
      const more = await issue(20_000);
      for (const t of more) await verify(t.token, client);
    }
    // The node remembers at most 10,000 of them, however many it has checked.
    expect(rememberedTokenCount(ctx.deps.db)).toBe(10_000);
    // The first ones (forgotten long since) verify again, each as its own customer, and only for its client.
    for (const t of first.slice(0, 200)) {
      expect((await verify(t.token, client)).customerId).toBe(t.customer);
      await expect(verify(t.token, randomUUID())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    const forged = `${first[0]!.token.slice(0, -2)}${first[1]!.token.slice(-2)}`;
    await expect(verify(forged, client)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  }, 120_000);
});

/** A query of one offer for a customer. */
const offerFor = (customerId: string) =>
  JSON.stringify({
    query: `{ offer(sku: "COAT-M", customerId: "${customerId}") { price { final { amount } } revision } }`,
  });

describe('a member’s next offer after a change of her data, through a node with an answer cache', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let worker: BackofficeWorker;
  let web: string;
  let webId: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps);
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    const c = await createChannelClient(
      ctx.deps.db,
      { name: 'web', channel: 'WEB', scopes: ['rate:100000', 'customer-tokens'] },
      new Date(),
    );
    web = c.key;
    webId = c.id;
  });
  afterAll(async () => {
    await node.stop(100);
    await worker.stop();
    await ctx.close();
  });

  const post = async (body: string, token?: string) => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${web}`,
        ...(token ? { 'x-customer-token': token } : {}),
      },
      body,
    });
    return { status: res.status, cache: res.headers.get('x-answer-cache'), text: await res.text() };
  };
  const revisionOf = (text: string) =>
    Number((JSON.parse(text) as { data?: { offer?: { revision: string } } }).data?.offer?.revision ?? NaN);
  /** Asks until the node answers from memory at `revision` or later. */
  const cachedAt = async (revision: number, body: string, token: string) => {
    let last = await post(body, token);
    await until(
      async () => {
        last = await post(body, token);
        return last.cache === 'hit' && revisionOf(last.text) >= revision;
      },
      15_000,
      `a cached answer at ${revision}`,
    );
    return last;
  };
  let n = 0;
  const enrol = async () => {
    const k = `fresh-${++n}-${randomUUID()}`;
    return (
      await enrollCustomer(
        ctx.deps,
        { displayName: `Fresh ${n}`, email: `${k}@example.nl` },
        { channel: 'WEB', idempotencyKey: k },
      )
    ).customer.id;
  };
  const tokenFor = async (customerId: string) =>
    (await issueCustomerToken(ctx.deps.db, customerId, webId, new Date())).token;
  const current = async () =>
    Number(
      (
        JSON.parse((await post('{"query":"{ revision }"}')).text) as {
          data: { revision: string };
        }
      ).data.revision,
    );

  it('consent, points: her next offer is never the answer kept before the change', async () => {
    const her = await enrol();
    const token = await tokenFor(her);
    const body = offerFor(her);
    const changes = [
      () => setConsent(ctx.deps, her, { purpose: 'PERSONALISATION', granted: true, channel: 'WEB' }),
      () => adjustPoints(ctx.deps, { customerId: her, points: 5_000, reason: 'attack' }, `pts-${her}`),
      () => setConsent(ctx.deps, her, { purpose: 'PERSONALISATION', granted: false, channel: 'WEB' }),
    ];
    for (const change of changes) {
      await cachedAt(await current(), body, token);
      const { revision } = await change();
      const next = await post(body, token);
      expect(next.cache).not.toBe('hit');
      expect(revisionOf(next.text)).toBeGreaterThanOrEqual(revision);
    }
  });

  it('a merge chain: a change at the end of the chain ends the kept answer of its start', async () => {
    const [a, b, c] = [await enrol(), await enrol(), await enrol()];
    const tokenA = await tokenFor(a);
    const bodyA = offerFor(a);
    await cachedAt(await current(), bodyA, tokenA);
    await mergeCustomers(ctx.deps, { survivorId: b, mergedId: a }, 'ADMIN');
    const afterMerge = await post(bodyA, tokenA);
    expect(afterMerge.cache).not.toBe('hit');
    expect(afterMerge.status).toBeLessThan(500);
    await mergeCustomers(ctx.deps, { survivorId: c, mergedId: b }, 'ADMIN');
    expect((await post(bodyA, tokenA)).cache).not.toBe('hit');
    // A → B → C: the revisions read over the chain include C's.
    const { revision } = await adjustPoints(
      ctx.deps,
      { customerId: c, points: 700, reason: 'end' },
      `c-${c}`,
    );
    const seen = await customerDataRevisions(ctx.deps, [a, b, c]);
    expect(seen.get(a)).toBeGreaterThanOrEqual(revision);
    expect(seen.get(b)).toBeGreaterThanOrEqual(revision);
    const next = await post(bodyA, tokenA);
    expect(next.status).toBeLessThan(500);
    expect(next.cache).not.toBe('hit');
    if (!next.text.includes('"errors"')) expect(revisionOf(next.text)).toBeGreaterThanOrEqual(revision);
  });

  it('an erased member’s token: her kept answer is not served again, nothing answers 5xx', async () => {
    const her = await enrol();
    const token = await tokenFor(her);
    const body = offerFor(her);
    const kept = await cachedAt(await current(), body, token);
    await eraseCustomer(ctx.deps, her, 'attack');
    expect(await customerDataRevisions(ctx.deps, [her])).toEqual(new Map());
    for (let i = 0; i < 3; i++) {
      const next = await post(body, token);
      expect(next.status).toBeLessThan(500);
      expect(next.cache).not.toBe('hit');
      expect(next.text).not.toBe(kept.text);
    }
  });

  it('a customer id that never existed, with a genuine token: no answer from memory, no 5xx', async () => {
    const ghost = randomUUID();
    const token = await tokenFor(ghost);
    expect(await customerDataRevisions(ctx.deps, [ghost])).toEqual(new Map());
    for (let i = 0; i < 3; i++) {
      const a = await post(offerFor(ghost), token);
      expect(a.status).toBeLessThan(500);
      expect(a.cache).not.toBe('hit');
    }
  });
});
