/**
 * The answer cache of POST /graphql (channel-layer/graphql/answer-cache.ts) under attack, with real API
 * nodes, workers, PostgreSQL and Redis: every body the fast path reads is answered exactly as the Express
 * pipeline answers it (compared with the same request sent chunked, which the fast path passes through); a
 * member's kept answer never outlives a change of her own data that the node already prices, though its read
 * model stands still; and what must hold around it holds (a window edge passing before its switch commits, an
 * expired customer token, staff reads on record, partial errors, pipelining, aborted uploads, the metrics).
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  registerAdminKey,
  runDuePriceSwitches,
  setPrice,
  startBackofficeWorker,
  upsertPriceList,
  type BackofficeWorker,
} from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { CUSTOMER_TOKEN_TTL_SECONDS } from '../../channel-layer/clients/customer-tokens.js';
import {
  adjustPoints,
  enrollCustomer,
  journeyWorkerOptions,
  putSegment,
  setConsent,
  upsertPromotion,
} from '../../journey-layer/index.js';
import { journeyScheduleSources } from '../../journey-layer/pricing/read-model-sections.js';
import { createMetrics, ManualClock, type Metrics } from '../../shared/index.js';
import { seedCoat } from '../support/channel.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';

/** One POST /graphql as sent on the wire: status, headers, body text. */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * Sends `body` to POST /graphql with exactly these headers, either with a Content-Length (what the fast path
 * reads itself when small) or chunked (what it always passes through to Express).
 */
function send(
  port: number,
  o: { headers: Record<string, string>; body: Buffer | string; chunked: boolean },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
    const headers: Record<string, string | number> = { ...o.headers };
    if (o.chunked) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = body.length;
    const req = request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What a caller sees of an answer: status, body and headers, without those of the connection. */
function seen(a: Answer): unknown {
  const {
    date,
    connection,
    'keep-alive': _k,
    'transfer-encoding': _t,
    'x-answer-cache': _x,
    ...rest
  } = a.headers;
  void date;
  void connection;
  return { status: a.status, headers: rest, text: a.text };
}

/** A query of one offer; `pad` makes the body unique (whitespace), so that it is not answered from memory. */
const offerQuery = (more = '', pad = '') =>
  JSON.stringify({
    query: `{ offer(sku: "COAT-M"${more}) { price { final { amount } } revision fingerprint } }${pad}`,
  });

describe('the answer cache under attack', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let worker: BackofficeWorker;
  let metrics: Metrics;
  const keys: Record<string, string> = {};
  const adminKey = `attack-admin-${randomUUID()}`;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps);
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    metrics = createMetrics();
    node = await startApiNode({ ...ctx.deps, metrics }, 0, '127.0.0.1');
    const client = async (name: string, channel: 'WEB' | 'CALL_CENTER', scopes: string[]) =>
      (await createChannelClient(ctx.deps.db, { name, channel, scopes }, new Date())).key;
    keys.web = await client('web', 'WEB', ['rate:100000', 'customer-tokens']);
    keys.agent = await client('agent', 'CALL_CENTER', ['rate:100000']);
    await registerAdminKey(ctx.deps.db, adminKey, 'attack admin', new Date());
  });
  afterAll(async () => {
    await node.stop(100);
    await worker.stop();
    await ctx.close();
  });

  const post = async (key: string, body: string, extra: Record<string, string> = {}) => {
    const a = await send(node.port, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...extra },
      body,
      chunked: false,
    });
    return { status: a.status, cache: a.headers['x-answer-cache'] ?? null, text: a.text };
  };

  it('answers every body it reads as the Express pipeline answers it, asked once or again', async () => {
    const q = offerQuery();
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const bodies: Array<[string, Buffer | string]> = [
      ['a query', q],
      ['a query after a byte order mark', Buffer.concat([bom, Buffer.from(q)])],
      ['a byte order mark alone', bom],
      ['two byte order marks', Buffer.concat([bom, bom, Buffer.from(q)])],
      ['whitespace and a byte order mark', Buffer.concat([Buffer.from(' '), bom, Buffer.from(q)])],
      ['null', 'null'],
      ['an empty batch', '[]'],
      ['a batch', `[${q}]`],
      ['a number', '42'],
      ['a string', '"{}"'],
      ['whitespace', ' \n\t'],
      ['an empty object', '{}'],
      ['a query with extensions', q.replace(/}$/, ',"extensions":{"a":1}}')],
      [
        'a persisted query hash',
        q.replace(/}$/, ',"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}'),
      ],
      ['duplicate keys', `{"query":"{ revision }",${q.slice(1)}`],
      ['trailing garbage', `${q}x`],
      ['a NUL after it', `${q}\u0000`],
      ['deep nesting', '['.repeat(3000) + ']'.repeat(3000)],
      ['a line separator', q.replace('revision', 'revision\u2028')],
      ...[[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0xe2, 0x82]].map(
        (bytes): [string, Buffer] => [
          `invalid UTF-8 ${bytes.join(',')}`,
          Buffer.concat([Buffer.from(q.slice(0, 20)), Buffer.from(bytes), Buffer.from(q.slice(20))]),
        ],
      ),
      ['invalid UTF-8 at the end', Buffer.concat([Buffer.from(q), Buffer.from([0xf0, 0x9f])])],
    ];
    const types = ['application/json', 'Application/JSON; Charset=UTF-8', 'application/json;charset=utf-8'];
    const accepts = [undefined, 'application/graphql-response+json', 'text/html'];
    const differences: string[] = [];
    for (const [name, body] of bodies)
      for (const type of types)
        for (const accept of accepts)
          for (const key of [keys.web!, 'ohk_web_unknown']) {
            const headers: Record<string, string> = { 'content-type': type, authorization: `Bearer ${key}` };
            if (accept) headers.accept = accept;
            const express = seen(await send(node.port, { headers, body, chunked: true }));
            // Asked twice: the second may come from memory, and must not differ either.
            for (let i = 0; i < 2; i++) {
              const fast = seen(await send(node.port, { headers, body, chunked: false }));
              if (JSON.stringify(fast) !== JSON.stringify(express))
                differences.push(
                  `${name} (${type}, ${accept ?? 'no accept'}, ${key === keys.web ? 'a' : 'no'} client): ` +
                    `${JSON.stringify(fast)} instead of ${JSON.stringify(express)}`,
                );
            }
          }
    expect(differences).toEqual([]);
  });

  it('counts answers from memory in the operation and request metrics like any other', async () => {
    const body = JSON.stringify({ query: 'query Counted { offer(sku: "COAT-M") { revision } }' });
    await until(async () => (await post(keys.web!, body)).cache === 'hit', 5_000, 'a cached answer');
    const operations = async () =>
      (await metrics.graphqlOperations.get()).values.find((v) => v.labels.operation === 'Counted')?.value ??
      0;
    const requests = async () =>
      (await metrics.httpRequests.get()).values.find(
        (v) =>
          v.metricName === 'omnihub_http_request_duration_seconds_count' &&
          v.labels.route === '/graphql' &&
          v.labels.status === '200' &&
          v.labels.method === 'POST',
      )?.value ?? 0;
    const [ops, reqs] = [await operations(), await requests()];
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push((await post(keys.web!, body)).cache);
    expect(answers.filter((c) => c === 'hit').length).toBeGreaterThan(0);
    expect([(await operations()) - ops, (await requests()) - reqs]).toEqual([10, 10]);
  });

  it('never keeps a staff read on record (admin key; call center offers) nor a partial answer', async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { displayName: 'Noor', email: `noor-${randomUUID()}@example.nl` },
      { channel: 'WEB', idempotencyKey: `noor-${randomUUID()}` },
    );
    const onRecord = async () =>
      Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from audit_log where subject = ${`customer:${customer.id}`}`.execute(
            ctx.deps.db,
          )
        ).rows[0]!.n,
      );
    const admin = offerQuery(`, customerId: "${customer.id}"`);
    const agent = JSON.stringify({
      query: `{ offers(skus: ["COAT-M"], customerId: "${customer.id}") { price { final { amount } } } }`,
    });
    const partial = JSON.stringify({
      query: '{ a: offer(sku: "COAT-M") { revision } b: offer(sku: "NO-SUCH-SKU") { revision } }',
    });
    const caches: Array<string | string[] | null> = [];
    for (let i = 0; i < 3; i++) {
      const byAdmin = await post(adminKey, admin);
      expect(JSON.parse(byAdmin.text)).toMatchObject({
        data: { offer: { price: { final: { amount: 12995 } } } },
      });
      const byAgent = await post(keys.agent!, agent);
      expect(JSON.parse(byAgent.text)).toMatchObject({
        data: { offers: [{ price: { final: { amount: 12995 } } }] },
      });
      const both = await post(keys.web!, partial);
      expect(JSON.parse(both.text)).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
      caches.push(byAdmin.cache, byAgent.cache, both.cache);
    }
    expect(caches.every((c) => c === null)).toBe(true);
    expect(await onRecord()).toBe(6);
  });

  it('holds distinct questions within bounds, whatever their documents hold beyond their bytes', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    // 4,800 comment lines around one offer: 14 KB of body (the fast path reads up to 16 KiB), but a parsed
    // document keeps every comment as a token of its own.
    const padded = (i: number) =>
      JSON.stringify({ query: `# ${i}\n${'#\n'.repeat(4800)}{ offer(sku: "COAT-M") { revision } }` });
    expect(Buffer.byteLength(padded(0))).toBeLessThanOrEqual(16 * 1024);
    await until(async () => (await post(keys.web!, padded(-1))).cache === 'hit', 5_000, 'a cached answer');
    const before = heap();
    let hits = 0;
    for (let i = 0; i < 600; i++) {
      await post(keys.web!, padded(i));
      if ((await post(keys.web!, padded(i))).cache === 'hit') hits++;
    }
    const grown = heap() - before;
    expect(hits).toBeGreaterThan(500);
    // At most the answer cache's 64 MiB and the document store's 32 MiB (estimated), and some slack; kept as
    // they were parsed, these 600 questions held over 250 MB.
    expect(grown).toBeLessThan(128 * 1024 * 1024);
  });

  it('refuses a caller the gate refuses at once, before its body has come, as Express does', async () => {
    /** The status line answered to headers and the start of a body that never comes whole, within 2 s. */
    const statusOfCutBody = (authorization: string) =>
      new Promise<string>((resolve) => {
        let out = '';
        const socket = connect(node.port, '127.0.0.1', () =>
          socket.write(
            'POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n' +
              `Authorization: ${authorization}\r\nContent-Length: 100\r\n\r\n{"query":`,
          ),
        );
        const done = () => {
          socket.destroy();
          resolve(out.split('\r\n')[0] ?? '');
        };
        const timer = setTimeout(done, 2_000);
        socket.on('error', () => undefined);
        socket.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\r\n\r\n')) {
            clearTimeout(timer);
            done();
          }
        });
      });
    expect(await statusOfCutBody('Bearer ohk_web_no-such-key')).toBe('HTTP/1.1 401 Unauthorized');
    expect(await statusOfCutBody('Basic x')).toBe('HTTP/1.1 401 Unauthorized');
    // A caller let in waits for its body, as before.
    expect(await statusOfCutBody(`Bearer ${keys.web}`)).toBe('');
  });

  it('answers pipelined requests in order (memory behind computed), survives cut uploads', async () => {
    const cached = offerQuery();
    await until(async () => (await post(keys.web!, cached)).cache === 'hit', 5_000, 'a cached answer');
    const computed = JSON.stringify({ query: `{ offers(skus: ["COAT-M"]) { revision } } # ${randomUUID()}` });
    const raw = (body: string, length = Buffer.byteLength(body)) =>
      'POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${keys.web}\r\nContent-Length: ${length}\r\n\r\n${body}`;
    const wire = await new Promise<string>((resolve, reject) => {
      const socket = connect(node.port, '127.0.0.1', () => socket.write(raw(computed) + raw(cached)));
      let out = '';
      socket.on('error', reject);
      socket.on('data', (d: Buffer) => {
        out += d.toString();
        if ((out.match(/"data"/g) ?? []).length === 2) {
          socket.destroy();
          resolve(out);
        }
      });
    });
    expect(wire.indexOf('"offers"')).toBeGreaterThan(-1);
    expect(wire.indexOf('"offers"')).toBeLessThan(wire.indexOf('"offer"'));
    expect(wire).toMatch(/x-answer-cache: hit/i);
    // Uploads cut off mid-body, and one that sends more than it announced.
    for (const cut of [raw('{"query":', 200), raw('', 16 * 1024), raw(`${cached}{"extra":1}`, cached.length)])
      await new Promise<void>((resolve) => {
        const socket = connect(node.port, '127.0.0.1', () => {
          socket.write(cut);
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
        socket.on('error', () => undefined);
      });
    expect(await post(keys.web!, cached)).toMatchObject({ status: 200, cache: 'hit' });
  });
});

describe('the answer cache of a node on a clock of its own, whose read model may stand still', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let worker: BackofficeWorker;
  let web: string;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await seedCoat(ctx.deps);
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    web = (
      await createChannelClient(
        ctx.deps.db,
        { name: 'web', channel: 'WEB', scopes: ['rate:100000', 'customer-tokens'] },
        clock.now(),
      )
    ).key;
  });
  afterAll(async () => {
    await node.stop(100);
    await worker.stop();
    await ctx.close();
  });

  const post = async (body: string, extra: Record<string, string> = {}) => {
    const a = await send(node.port, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${web}`, ...extra },
      body,
      chunked: false,
    });
    return { status: a.status, cache: a.headers['x-answer-cache'] ?? null, text: a.text };
  };
  /** Asks `body` until the node answers it from memory at `revision` or later; answers that answer. */
  const cachedAt = async (revision: number, body: string, extra: Record<string, string> = {}) => {
    let last = await post(body, extra);
    await until(
      async () => {
        last = await post(body, extra);
        const r = (JSON.parse(last.text) as { data?: { offer?: { revision: string } } }).data?.offer
          ?.revision;
        return last.cache === 'hit' && Number(r) >= revision;
      },
      10_000,
      `a cached answer at ${revision}`,
    );
    return last;
  };
  const signIn = async (customerId: string) =>
    (
      JSON.parse(
        (
          await post(
            JSON.stringify({
              query: `mutation { issueCustomerToken(customerId: "${customerId}") { token } }`,
            }),
          )
        ).text,
      ) as { data: { issueCustomerToken: { token: string } } }
    ).data.issueCustomerToken.token;

  it('answers as the node computes when a window edge has passed before its switch commits', async () => {
    await upsertPriceList(ctx.deps, 'sale', {
      name: 'Sale',
      currency: 'EUR',
      priority: 10,
      validFrom: new Date(clock.now().getTime() + 60_000),
    });
    const { revision } = await setPrice(ctx.deps, 'sale', 'COAT-M', { amount: 5000, minQuantity: 1 });
    const before = await cachedAt(revision, offerQuery());
    // The edge passes on the node's clock; the worker's switch job waits real time, so nothing commits.
    clock.advance(61_000);
    const cached = await post(offerQuery());
    const computed = await post(offerQuery('', ' '));
    expect(cached).toEqual({ ...before, cache: 'hit' });
    expect(computed).toEqual({ ...before, cache: null });
    expect(JSON.parse(cached.text)).toMatchObject({
      data: { offer: { price: { final: { amount: 12995 } } } },
    });
    // The switch commits: the kept answer goes with the revision it moved.
    expect(await runDuePriceSwitches(ctx.deps, new Date(0), journeyScheduleSources)).not.toEqual([]);
    await until(
      async () => {
        const r = await post(offerQuery());
        return r.cache === 'hit' && r.text.includes('"amount":5000');
      },
      10_000,
      'the sale price from memory',
    );
  });

  it('refuses an expired customer token before any kept answer', async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { displayName: 'Lotte', email: 'lotte@example.nl' },
      { channel: 'WEB', idempotencyKey: 'lotte' },
    );
    const token = await signIn(customer.id);
    const hers = offerQuery(`, customerId: "${customer.id}"`);
    await cachedAt(0, hers, { 'x-customer-token': token });
    clock.advance((CUSTOMER_TOKEN_TTL_SECONDS + 1) * 1000);
    const late = await post(hers, { 'x-customer-token': token });
    expect(late.cache).toBeNull();
    expect(JSON.parse(late.text)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('refuses a remembered token for another client, and a forged one, like one never seen', async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { displayName: 'Noor', email: 'noor@example.nl' },
      { channel: 'WEB', idempotencyKey: 'noor' },
    );
    const token = await signIn(customer.id);
    const hers = offerQuery(`, customerId: "${customer.id}"`);
    await cachedAt(0, hers, { 'x-customer-token': token }); // her token's signature is remembered now
    const other = (
      await createChannelClient(
        ctx.deps.db,
        { name: 'other web', channel: 'WEB', scopes: ['rate:100000', 'customer-tokens'] },
        clock.now(),
      )
    ).key;
    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const [key, presented] of [
      [other, token],
      [web, forged],
    ] as const) {
      const a = await send(node.port, {
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${key}`,
          'x-customer-token': presented,
        },
        body: hers,
        chunked: false,
      });
      expect(a.headers['x-answer-cache']).toBeUndefined();
      expect(JSON.parse(a.text)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    }
  });

  it("answers a member from memory till her points, segments, consents change; never another's", async () => {
    const enrol = async (name: string) =>
      (
        await enrollCustomer(
          ctx.deps,
          { displayName: name, email: `${name.toLowerCase()}@example.nl` },
          { channel: 'WEB', idempotencyKey: name },
        )
      ).customer.id;
    const [sara, tom] = [await enrol('Sara'), await enrol('Tom')];
    await putSegment(ctx.deps, 'sara-only', {
      name: 'Sara only',
      kind: 'RULE',
      definition: { bought: { category: 'coats', channel: 'STORE', withinDays: 90 } },
    });
    await sql`INSERT INTO segment_memberships (customer_id, segment_id, since, reason, computed_at, revision)
              VALUES (${sara}::uuid, 'sara-only', now(), 'test', now(), 0)`.execute(ctx.deps.db);
    const { revision: settled } = await setConsent(ctx.deps, tom, {
      purpose: 'PERSONALISATION',
      granted: true,
      channel: 'WEB',
    });
    const as = async (id: string) => ({ 'x-customer-token': await signIn(id) });
    const [saraSigned, tomSigned] = [await as(sara), await as(tom)];
    const [saras, toms] = [offerQuery(`, customerId: "${sara}"`), offerQuery(`, customerId: "${tom}"`)];
    await cachedAt(settled, saras, saraSigned);
    const tomsKept = await cachedAt(settled, toms, tomSigned);
    const revisionOf = (text: string) =>
      Number((JSON.parse(text) as { data: { offer: { revision: string } } }).data.offer.revision);
    // The read model stands still: nothing of hers reaches it, yet each change is in her next answer.
    await worker.stop();
    try {
      const changes = [
        () => adjustPoints(ctx.deps, { customerId: sara, points: 2_000, reason: 'tier up' }, 'sara-1'),
        () =>
          putSegment(ctx.deps, 'sara-only', {
            name: 'Sara only',
            kind: 'RULE',
            definition: { bought: { category: 'coats', channel: 'STORE', withinDays: 90 } },
            status: 'ARCHIVED',
          }),
        () => setConsent(ctx.deps, sara, { purpose: 'PROFILING', granted: true, channel: 'WEB' }),
      ];
      for (const change of changes) {
        const { revision } = await change();
        const next = await post(saras, saraSigned);
        expect(next.cache).toBeNull();
        expect(revisionOf(next.text)).toBeGreaterThanOrEqual(revision);
        // Tom's answer rests on his data alone: still his, from memory, byte for byte.
        expect(await post(toms, tomSigned)).toEqual(tomsKept);
        // Her question with his token (or his with hers) is refused, never answered from either's memory.
        const crossed = await post(saras, tomSigned);
        expect(crossed.cache).toBeNull();
        expect(crossed.text).not.toBe(tomsKept.text);
        expect(JSON.parse(crossed.text)).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
      }
    } finally {
      worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    }
    // Once the read model has her changes, her answer is kept again, at or after the last of them.
    const latest = await post(saras, saraSigned);
    expect((await cachedAt(revisionOf(latest.text), saras, saraSigned)).text).not.toContain('errors');
  });

  it('never answers a member from memory once her data changed, the read model standing still', async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { displayName: 'Eva', email: 'eva@example.nl' },
      { channel: 'WEB', idempotencyKey: 'eva' },
    );
    await upsertPromotion(ctx.deps, 'for-eva', {
      status: 'ACTIVE',
      rule: {
        label: 'For you',
        target: { customerIds: [customer.id], segments: [] },
        conditions: [{ kind: 'sku', skus: ['COAT-M'] }],
        action: { kind: 'percentOff', percentBp: 5000 },
      },
    });
    const { revision } = await setConsent(ctx.deps, customer.id, {
      purpose: 'PERSONALISATION',
      granted: true,
      channel: 'WEB',
    });
    const her = { 'x-customer-token': await signIn(customer.id) };
    const hers = offerQuery(`, customerId: "${customer.id}"`);
    const amountOf = (text: string) =>
      (JSON.parse(text) as { data: { offer: { price: { final: { amount: number } } } } }).data.offer.price
        .final.amount;
    const anyone = amountOf((await post(offerQuery('', '  '))).text);
    const personal = await cachedAt(revision, hers, her);
    expect(amountOf(personal.text)).toBe(Math.floor(anyone / 2));
    // The worker is down (or behind): the read model stands still. She withdraws her consent to personal
    // offers.
    await worker.stop();
    const withdrawn = await setConsent(ctx.deps, customer.id, {
      purpose: 'PERSONALISATION',
      granted: false,
      channel: 'WEB',
    });
    // The node computes her offer without it at once, at the revision of her change ...
    const computed = JSON.parse(
      (await post(offerQuery(`, customerId: "${customer.id}"`, ' '), her)).text,
    ) as {
      data: { offer: { price: { final: { amount: number } }; revision: string } };
    };
    expect(computed.data.offer.price.final.amount).toBe(anyone);
    expect(Number(computed.data.offer.revision)).toBeGreaterThanOrEqual(withdrawn.revision);
    // ... and so does the question asked again: never her personal price from memory.
    const again = await post(hers, her);
    expect(again.cache).toBeNull();
    expect(JSON.parse(again.text)).toEqual(computed);
  });
});
