/**
 * The answer cache of POST /graphql (channel-layer/graphql/answer-cache.ts): a question asked again at the
 * same revision is answered from memory, byte for byte, and a new revision is never answered from an older
 * one; answers for one customer or client are never served to another; the gate (key, rate, token) still
 * stands in front of every cached answer; answers that wrote something (a staff read on record), that failed,
 * or that read anything but offers are never kept.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { setPrice, startBackofficeWorker, type BackofficeWorker } from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { AnswerCache } from '../../channel-layer/graphql/answer-cache.js';
import { enrollCustomer, journeyWorkerOptions } from '../../journey-layer/index.js';
import { seedCoat } from '../support/channel.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';

describe('the answer cache of the channel API', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let worker: BackofficeWorker;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps);
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    const client = async (name: string, channel: 'WEB' | 'CALL_CENTER', scopes: string[]) =>
      (await createChannelClient(ctx.deps.db, { name, channel, scopes }, new Date())).key;
    keys.web = await client('web', 'WEB', ['customer-tokens']);
    keys.app = await client('app', 'WEB', []);
    keys.slow = await client('slow', 'WEB', ['rate:3']);
    keys.agent = await client('agent', 'CALL_CENTER', []);
  });
  afterAll(async () => {
    await node.stop(100);
    await worker.stop();
    await ctx.close();
  });

  /** One POST /graphql exactly as sent: status, the cache header, and the body's text. */
  const post = async (key: string, body: string, extra: Record<string, string> = {}) => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...extra },
      body,
    });
    return { status: res.status, cache: res.headers.get('x-answer-cache'), text: await res.text() };
  };
  const offerOf = (sku: string, more = '') =>
    JSON.stringify({
      query: `{ offer(sku: "${sku}"${more}) { price { final { amount } } revision fingerprint } }`,
    });
  /** Asks until the node serves the question from its cache (its watermark may still be moving at first). */
  const cachedAnswer = async (key: string, body: string, extra: Record<string, string> = {}) => {
    let last = await post(key, body, extra);
    await until(
      async () => {
        last = await post(key, body, extra);
        return last.cache === 'hit';
      },
      5_000,
      'a cached answer',
    );
    return last;
  };

  it('answers a question asked again from memory, byte for byte, and a write is seen at once', async () => {
    const body = offerOf('COAT-M');
    const first = await cachedAnswer(keys.web!, body);
    const again = await post(keys.web!, body);
    expect(again).toEqual({ status: 200, cache: 'hit', text: first.text });
    /** The revision an answer names (the Revision scalar travels as a string). */
    const revisionOf = (text: string) =>
      Number((JSON.parse(text) as { data: { offer: { revision: string } } }).data.offer.revision);

    const { revision } = await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 9995, minQuantity: 1 });
    // Asked for that revision, the node answers at it (or later) and never from the older answer.
    const fresh = await post(
      keys.web!,
      JSON.stringify({
        query: `{ offer(sku: "COAT-M", minRevision: ${revision}) { price { final { amount } } revision } }`,
      }),
    );
    expect(JSON.parse(fresh.text)).toEqual({
      data: { offer: { price: { final: { amount: 9995 } }, revision: expect.any(String) } },
    });
    await until(
      async () => {
        return revisionOf((await post(keys.web!, body)).text) >= Number(revision);
      },
      5_000,
      'the new revision',
    );
    const after = await cachedAnswer(keys.web!, body);
    expect(JSON.parse(after.text)).toEqual({
      data: {
        offer: {
          price: { final: { amount: 9995 } },
          revision: expect.any(String),
          fingerprint: expect.any(String),
        },
      },
    });
    expect(revisionOf(after.text)).toBeGreaterThan(revisionOf(first.text));
  });

  it("keeps one customer's answer from another customer and from another client", async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { displayName: 'Anouk', email: 'anouk@example.nl' },
      { channel: 'WEB', idempotencyKey: 'anouk' },
    );
    const signIn = JSON.parse(
      (
        await post(
          keys.web!,
          JSON.stringify({
            query: `mutation { issueCustomerToken(customerId: "${customer.id}") { token } }`,
          }),
        )
      ).text,
    ) as { data: { issueCustomerToken: { token: string } } };
    const token = signIn.data.issueCustomerToken.token;
    const hers = offerOf('COAT-M', `, customerId: "${customer.id}"`);
    await cachedAnswer(keys.web!, hers, { 'x-customer-token': token });
    // Without her token the same body is refused, though her answer is in the cache.
    const without = await post(keys.web!, hers);
    expect(without.cache).toBeNull();
    expect(JSON.parse(without.text)).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    // Another client asking the same question is answered on its own (first ask: not from the cache).
    const other = await post(keys.app!, offerOf('COAT-M', ', locationId: "wh-1"'));
    expect(other.cache).toBeNull();
  });

  it('checks the rate limit in front of cached answers', async () => {
    const body = offerOf('COAT-M');
    await until(
      async () => (await post(keys.slow!, body)).cache === 'hit',
      5_000,
      'a cached answer for the slow client',
    );
    // At most 3 a second: a burst of 10 is partly refused, cached answer or not.
    const burst = await Promise.all(Array.from({ length: 10 }, () => post(keys.slow!, body)));
    const limited = burst.filter((r) => r.text.includes('RATE_LIMITED'));
    expect(limited.length).toBeGreaterThanOrEqual(7 - 3);
    for (const r of limited) expect(r.cache).toBeNull();
  });

  it('never keeps a staff read on record, a failed answer or one that read PostgreSQL', async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { displayName: 'Femke', email: 'femke@example.nl' },
      { channel: 'WEB', idempotencyKey: 'femke' },
    );
    const audits = async () =>
      Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from audit_log where subject = ${`customer:${customer.id}`}`.execute(
            ctx.deps.db,
          )
        ).rows[0]!.n,
      );
    const forHer = offerOf('COAT-M', `, customerId: "${customer.id}"`);
    const seen: Array<string | null> = [];
    for (let i = 0; i < 4; i++) seen.push((await post(keys.agent!, forHer)).cache);
    expect(seen).toEqual([null, null, null, null]);
    expect(await audits()).toBe(4);

    const unknown = offerOf('NO-SUCH-SKU');
    for (let i = 0; i < 3; i++) {
      const r = await post(keys.web!, unknown);
      expect(r.cache).toBeNull();
      expect(JSON.parse(r.text)).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
    }
    const mixed = JSON.stringify({
      query: '{ offer(sku: "COAT-M") { revision } product(sku: "COAT-M") { name } }',
    });
    for (let i = 0; i < 3; i++) expect((await post(keys.web!, mixed)).cache).toBeNull();
  });

  it('answers a body that is not JSON as before: 400 BAD_USER_INPUT, after the key is checked', async () => {
    const bad = await post(keys.web!, '{"query": ');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });
    const noKey = await post('not-a-key', '{"query": ');
    expect(JSON.parse(noKey.text)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    const scalar = await post(keys.web!, '42');
    expect(scalar.status).toBe(400);
  });
});

describe('AnswerCache', () => {
  const answer = (text: string) => ({
    body: Buffer.from(text),
    contentType: 'application/json',
    operation: null,
  });

  it('keeps answers at one revision only, and forgets them all when cleared', () => {
    const cache = new AnswerCache();
    cache.set(7, 'q1', answer('a'));
    expect(cache.get(7, 'q1')?.body.toString()).toBe('a');
    expect(cache.get(8, 'q1')).toBeUndefined();
    // Asked at 8, the answers of 7 are gone for good, even asked at 7 again.
    expect(cache.get(7, 'q1')).toBeUndefined();
    cache.set(9, 'q2', answer('b'));
    cache.clear();
    expect(cache.get(9, 'q2')).toBeUndefined();
  });

  it('holds at most its bounds, forgetting the oldest answer first', () => {
    const cache = new AnswerCache({ entries: 2, bytes: 1_000 });
    cache.set(1, 'a', answer('1'));
    cache.set(1, 'b', answer('2'));
    cache.set(1, 'c', answer('3'));
    expect([
      cache.get(1, 'a'),
      cache.get(1, 'b')?.body.toString(),
      cache.get(1, 'c')?.body.toString(),
    ]).toEqual([undefined, '2', '3']);
    // An answer larger than a sixteenth of the bytes is never kept.
    cache.set(1, 'd', answer('x'.repeat(100)));
    expect(cache.get(1, 'd')).toBeUndefined();
    expect(cache.size.entries).toBe(2);
  });
});
