/**
 * The console's channel mirror over real HTTP, graphql-ws, PostgreSQL, Redis and a worker: four panes that
 * are exactly what a real web (signed in as her), app, store terminal and call-center client answer as
 * `offer` (same fingerprint at one revision), her loyalty in each, the verdict; the console alone may ask, on
 * record once; the live version pushes when a price changes, all four panes turning to one new fingerprint.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { setPrice, startBackofficeWorker, type BackofficeWorker } from '../../backoffice-layer/index.js';
import { startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { adjustPoints, journeyWorkerOptions } from '../../journey-layer/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';
import { givenChannelClients, givenMember, givenWarehouseAndTwoStores } from './access-fixtures.js';

const SKU = 'MIRROR-COAT';
type Pane = {
  channel: string;
  offer: {
    price: { final: { amount: number } };
    availability: { atLocation: { location: { id: string } } | null };
    revision: string;
    fingerprint: string;
  } | null;
  loyalty: { tier: string; points: number; nextTier: string | null; pointsToNextTier: number | null } | null;
  revision: string;
  fingerprint: string;
  error: string | null;
};
type Mirror = { panes: Pane[]; identical: boolean; revision: string };
type Answer = {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions: { code: string } }>;
};

const MIRROR_FIELDS = `panes { channel revision fingerprint error
  offer { price { final { amount } } availability { atLocation { location { id } } } revision fingerprint }
  loyalty { tier points nextTier pointsToNextTier } }
  identical revision`;
const MIRROR = `query($s: ID!, $c: ID, $l: ID, $m: Revision) {
  channelMirror(sku: $s, customerId: $c, locationId: $l, minRevision: $m) { ${MIRROR_FIELDS} } }`;
const OFFER = `query($s: ID!, $c: ID, $l: ID, $m: Revision) {
  offer(sku: $s, customerId: $c, locationId: $l, minRevision: $m) { revision fingerprint } }`;

describe('the channel mirror', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let worker: BackofficeWorker;
  let clients: Record<string, { id: string; key: string }>;
  let anna: string;
  /** Her customer token as each app that signed her in holds it. */
  const tokens: Record<string, string> = {};

  const gql = async (
    who: string,
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
  ): Promise<Answer> => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${clients[who]!.key}`,
        ...(token ? { 'x-customer-token': token } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Answer;
  };
  const mirror = async (variables: Record<string, unknown>): Promise<Mirror> => {
    const r = await gql('console', MIRROR, variables);
    expect(r.errors).toBeUndefined();
    return r.data!.channelMirror as Mirror;
  };

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await givenWarehouseAndTwoStores(ctx, {
      sku: SKU,
      name: 'Jas',
      category: 'coats',
      amount: 12995,
      onHand: 4,
    });
    clients = await givenChannelClients(ctx, [
      ['console', 'CONSOLE', null],
      ['web', 'WEB', null],
      ['app', 'APP', null],
      ['store', 'STORE', 'ams-01'],
      ['agent', 'CALL_CENTER', null],
    ]);
    anna = await givenMember(ctx, 'Anna Mirror', 'anna.mirror@example.nl');
    await adjustPoints(ctx.deps, { customerId: anna, points: 120, reason: 'welcome' }, randomUUID());
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    for (const app of ['web', 'app']) {
      const issued = await gql(app, 'mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }', {
        c: anna,
      });
      tokens[app] = (issued.data!.issueCustomerToken as { token: string }).token;
    }
  });
  afterAll(async () => {
    await node?.stop(100);
    await worker?.stop();
    await ctx?.close();
  });

  it('shows what each channel answers (what its real clients get) and that they agree', async () => {
    const m = await mirror({ s: SKU, c: anna, l: 'utr-01' });
    expect(m.panes.map((p) => p.channel)).toEqual(['WEB', 'APP', 'STORE', 'CALL_CENTER']);
    expect(m.identical).toBe(true);
    for (const p of m.panes) {
      expect(p.error).toBeNull();
      expect(p.offer!.price.final.amount).toBeGreaterThan(0);
      expect(p.offer!.availability.atLocation!.location.id).toBe('utr-01');
      expect(p.fingerprint).toBe(p.offer!.fingerprint);
      expect(p.revision).toBe(m.revision);
      // Her loyalty as each channel reads it.
      expect(p.loyalty).toEqual(m.panes[0]!.loyalty);
      expect(p.loyalty!.points).toBe(120);
    }
    // The same question asked by a real client of each channel at the mirror's revision: one fingerprint.
    const v = { s: SKU, c: anna, l: 'utr-01', m: m.revision };
    const real = [
      await gql('web', OFFER, v, tokens.web),
      await gql('app', OFFER, v, tokens.app),
      await gql('store', OFFER, v),
      await gql('agent', OFFER, v),
    ];
    real.forEach((r, i) => {
      expect(r.errors).toBeUndefined();
      expect((r.data!.offer as { fingerprint: string }).fingerprint).toBe(m.panes[i]!.fingerprint);
    });
  });

  it('asks at the first store when none is named, and anonymously without a customer', async () => {
    const m = await mirror({ s: SKU });
    expect(m.identical).toBe(true);
    for (const p of m.panes) {
      expect(p.offer!.availability.atLocation!.location.id).toBe('ams-01');
      expect(p.loyalty).toBeNull();
    }
  });

  it('is the console’s alone, on record once per read, and refuses a wrong question whole', async () => {
    for (const who of ['web', 'app', 'store', 'agent']) {
      const r = await gql(who, MIRROR, { s: SKU });
      expect(r.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    }
    const before = await sql<{ action: string; actor: string }>`
      SELECT action, actor FROM audit_log WHERE subject = ${`customer:${anna}`} ORDER BY id`.execute(
      ctx.deps.db,
    );
    await mirror({ s: SKU, c: anna });
    const after = await sql<{ action: string; actor: string }>`
      SELECT action, actor FROM audit_log WHERE subject = ${`customer:${anna}`} ORDER BY id`.execute(
      ctx.deps.db,
    );
    // One row: the console's own act. The panes' checks write nothing in a channel's name.
    expect(after.rows.slice(before.rows.length)).toEqual([
      { action: 'mirror', actor: `client:${clients.console!.id}` },
    ]);
    const unknown = await gql('console', MIRROR, { s: 'NO-SUCH-SKU' });
    expect(unknown.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });

  it('pushes live: a price change turns all four panes to the same new fingerprint', async () => {
    const client: Client = createClient({
      url: `ws://127.0.0.1:${node.port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${clients.console!.key}` },
      retryAttempts: 0,
    });
    const values: Mirror[] = [];
    const errors: unknown[] = [];
    const stop = client.subscribe<{ channelMirrorChanged: Mirror }>(
      {
        query: `subscription($s: ID!, $c: ID) {
          channelMirrorChanged(sku: $s, customerId: $c) { ${MIRROR_FIELDS} } }`,
        variables: { s: SKU, c: anna },
      },
      {
        next: (v) => values.push(v.data!.channelMirrorChanged),
        error: (e) => errors.push(e),
        complete: () => undefined,
      },
    );
    try {
      await until(async () => values.length >= 1, 10_000, 'the first mirror');
      const first = values[0]!;
      expect(first.identical).toBe(true);
      await setPrice(ctx.deps, 'base', SKU, { amount: 9995, minQuantity: 1 });
      await until(
        async () =>
          values.some((m) =>
            m.panes.every((p) => p.offer?.price.final.amount !== first.panes[0]!.offer!.price.final.amount),
          ),
        15_000,
        'the new price in every pane',
      );
      const changed = values.find((m) =>
        m.panes.every((p) => p.offer?.price.final.amount !== first.panes[0]!.offer!.price.final.amount),
      )!;
      expect(changed.identical).toBe(true);
      expect(new Set(changed.panes.map((p) => p.fingerprint)).size).toBe(1);
      expect(changed.panes[0]!.fingerprint).not.toBe(first.panes[0]!.fingerprint);
      expect(Number(changed.revision)).toBeGreaterThan(Number(first.revision));
      expect(errors).toEqual([]);
    } finally {
      stop();
      await client.dispose();
    }
  });

  it('refuses the live mirror to any other channel', async () => {
    const client: Client = createClient({
      url: `ws://127.0.0.1:${node.port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${clients.agent!.key}` },
      retryAttempts: 0,
    });
    try {
      const error = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: `subscription { channelMirrorChanged(sku: "${SKU}") { identical } }` },
          { next: resolve, error: resolve, complete: () => resolve(null) },
        );
      });
      // Refused: an error (as a result's errors or the subscription's), never a mirror.
      expect(JSON.stringify(error)).toContain('FORBIDDEN');
      expect(JSON.stringify(error)).not.toContain('identical":');
    } finally {
      await client.dispose();
    }
  });
});
