import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  promiseDelivery,
  runDuePriceSwitches,
  setStockCount,
  startBackofficeWorker,
  type BackofficeWorker,
} from '../../backoffice-layer/index.js';
import { demoFulfilment } from '../../backoffice-layer/seed/demo-fulfilment.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { journeyWorkerOptions } from '../../journey-layer/index.js';
import { journeyScheduleSources } from '../../journey-layer/pricing/read-model-sections.js';
import { ManualClock } from '../../shared/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';
import { graphqlClient } from '../support/channel.js';
import { watch, wsClient } from '../support/ws.js';
import { givenPromiseShop, PROMISE_SKU, STORE_ONLY_SKU } from '../support/promise-shop.js';

// Issue 12, "must show": the delivery promise across a cut-off and a weekend with a controllable clock — the
// four channels (web, app, a store terminal, the call center) on two API nodes answer the same promise and
// fingerprint at every revision; the promise switches at the cut-off instant, when its switch revision
// commits (as scheduled prices do); it changes when the last unit at the warehouse moves. Amsterdam is UTC+1
// in December; the demo's settings: warehouse cut-off 22:00 Monday to Saturday, NL one carrier day, stores
// shipping from store with click & collect.

const PROMISE = 'method from { id name kind } orderBefore deliverBy readyBy reason';
const QUERY = `query($skus: [ID!]!, $lines: [QuoteLineInput!]!) {
  offers(skus: $skus, postcode: "1012 AB", countryCode: "NL") {
    sku revision fingerprint delivery { ${PROMISE} }
  }
  utrecht: offer(sku: "${PROMISE_SKU}", locationId: "utr-01") { revision fingerprint delivery { ${PROMISE} } }
  quote(input: { lines: $lines, fulfilment: { method: DELIVERY, postcode: "1012 AB", countryCode: "NL" } }) {
    revision fingerprint delivery { ${PROMISE} }
  }
}`;

interface PromiseView {
  method: string;
  from: { id: string };
  orderBefore: string;
  deliverBy: string | null;
  readyBy: string | null;
  reason: string;
}
interface Answered {
  revision: string;
  fingerprint: string;
  delivery: PromiseView[];
}
interface Answer {
  offers: Array<Answered & { sku: string }>;
  utrecht: Answered;
  quote: Answered;
}

describe('the delivery promise in every channel (issue 12)', () => {
  const clock = new ManualClock('2026-12-03T20:59:00.000Z'); // Thursday 21:59 in Amsterdam
  let ctx: BackofficeTestContext;
  let worker: BackofficeWorker;
  const nodes: ApiNode[] = [];
  const channels: Array<{ name: string; ask: (node: number) => Promise<Answer> }> = [];
  /** Every answer seen, by revision: what it said (all channels, all nodes). */
  const byRevision = new Map<string, Set<string>>();
  let latestSwitchRevision = 0;
  let probeKey = '';
  let storeKey = '';

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await givenPromiseShop(ctx.deps);
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    nodes.push(await startApiNode(ctx.deps, 0, '127.0.0.1'), await startApiNode(ctx.deps, 0, '127.0.0.1'));
    for (const [channel, locationId] of [
      ['WEB', undefined],
      ['APP', undefined],
      ['STORE', 'ams-01'],
      ['CALL_CENTER', undefined],
    ] as const) {
      const { key } = await createChannelClient(
        ctx.deps.db,
        { name: channel, channel, ...(locationId ? { locationId } : {}), scopes: ['rate:100000'] },
        new Date(),
      );
      probeKey ||= key;
      if (channel === 'STORE') storeKey = key;
      channels.push({
        name: channel,
        ask: async (node) => {
          const { data, errors } = await graphqlClient(nodes[node]!.port, key)(QUERY, {
            skus: [PROMISE_SKU, STORE_ONLY_SKU],
            lines: [{ sku: PROMISE_SKU, quantity: 1 }],
          });
          expect(errors).toBeUndefined();
          return data as Answer;
        },
      });
    }
  }, 60_000);
  afterAll(async () => {
    for (const n of nodes) await n.stop(0);
    await worker?.stop();
    await ctx?.close();
  });

  /** The hub's latest revision, once both nodes' read models have reached it. */
  async function settled(): Promise<number> {
    const latest = Number(
      (
        await ctx.deps.db
          .selectFrom('outbox')
          .select((eb) => eb.fn.max('revision').as('r'))
          .executeTakeFirst()
      )?.r ?? 0,
    );
    await until(
      async () => {
        const seen = await Promise.all(
          nodes.map(async (n) => {
            const { data } = await graphqlClient(n.port, probeKey)('{ revision }');
            return Number((data as { revision: string } | undefined)?.revision ?? -1);
          }),
        );
        return seen.every((r) => r >= latest);
      },
      10_000,
      `both API nodes at revision ${latest}`,
    );
    return latest;
  }

  /**
   * Records each part of an answer (the quote, the two offers, Utrecht's offer) by the revision it names. One
   * document's fields are each answered at the read model's revision when it is read, so while switches
   * commit
   * they may straddle two revisions; what must hold is that one question at one revision has one answer.
   */
  function record(a: Answer): void {
    const parts: Array<[string, Answered]> = [
      ['quote', a.quote],
      ['offer 0', a.offers[0]!],
      ['offer 1', a.offers[1]!],
      ['utrecht', a.utrecht],
    ];
    for (const [name, part] of parts) {
      const key = `${part.revision} ${name}`;
      if (!byRevision.has(key)) byRevision.set(key, new Set());
      byRevision.get(key)!.add(JSON.stringify(part));
    }
  }

  /**
   * Every channel asks on both nodes: all answers agree (revision, fingerprint, promise) — recorded by
   * revision — and one channel's answer is returned.
   */
  async function everyChannel(): Promise<Answer> {
    const answers = await Promise.all(channels.flatMap((c) => [c.ask(0), c.ask(1)]));
    answers.forEach(record);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    return answers[0]!;
  }

  /**
   * Moves the clock to `iso` and runs what the worker's delayed switch job runs, while every channel keeps
   * asking on both nodes (each answer recorded by revision, so the revisions in between are seen too); waits
   * for both nodes to reach the hub's latest revision.
   */
  async function at(iso: string, opts: { commitSwitches?: boolean } = {}): Promise<void> {
    clock.set(iso);
    if (opts.commitSwitches !== false) {
      let asking = true;
      const readers = channels.map(async (c, i) => {
        for (let n = i; asking; n++) record(await c.ask(n % 2));
      });
      try {
        await runDuePriceSwitches(ctx.deps, new Date('2026-12-01T00:00:00Z'), journeyScheduleSources);
        await settled();
      } finally {
        asking = false;
        await Promise.all(readers);
      }
      const last = await ctx.deps.db
        .selectFrom('scheduleSwitches')
        .select(['at', 'revision'])
        .orderBy('at', 'desc')
        .executeTakeFirstOrThrow();
      latestSwitchRevision = last.revision;
    }
    await settled();
  }

  const delivered = (a: Answer) => a.offers[0]!.delivery.find((p) => p.method === 'DELIVERY');

  it('switches at the cut-off and over the weekend, alike in every channel at every revision', async () => {
    await at('2026-12-03T20:59:00.000Z');
    const thursday = await everyChannel();
    expect(delivered(thursday)).toEqual({
      method: 'DELIVERY',
      from: { id: 'wh-1', name: 'Warehouse Tilburg', kind: 'WAREHOUSE' },
      orderBefore: '2026-12-03T21:00:00.000Z',
      deliverBy: '2026-12-04T22:59:59.999Z',
      readyBy: null,
      reason: 'order before 22:00 today, delivered Friday 4 December',
    });
    expect(thursday.quote.delivery).toEqual([delivered(thursday)]);
    expect(thursday.utrecht.delivery[0]).toMatchObject({
      method: 'PICKUP',
      orderBefore: '2026-12-03T21:00:00.000Z',
      reason: 'order before 22:00 today, ready for pickup at Utrecht from 12:00 tomorrow',
    });

    // A store terminal watching the offer to that postcode (over WebSocket, on the other node).
    const socket = wsClient(nodes[1]!.port, storeKey);
    const watching = watch<{ offerChanged: Answered }>(
      socket,
      `subscription { offerChanged(sku: "${PROMISE_SKU}", postcode: "1012 AB", countryCode: "NL") {
        revision fingerprint delivery { ${PROMISE} } } }`,
    );
    await watching.first;
    expect(watching.values[0]!.offerChanged.fingerprint).toBe(thursday.offers[0]!.fingerprint);

    // 22:00 has passed on every node's clock, but the switch has not committed: one revision, one answer —
    // the promise of 21:59, still.
    await at('2026-12-03T21:00:00.005Z', { commitSwitches: false });
    const pending = await everyChannel();
    expect(pending.quote.revision).toBe(thursday.quote.revision);
    expect(pending.quote.fingerprint).toBe(thursday.quote.fingerprint);

    // The switch commits at the cut-off instant itself; from its revision on, every channel promises Monday.
    await at('2026-12-03T21:00:00.005Z');
    const switches = await ctx.deps.db.selectFrom('scheduleSwitches').select(['at', 'revision']).execute();
    expect(switches.map((s) => s.at.toISOString())).toContain('2026-12-03T21:00:00.000Z');
    const afterCutOff = await everyChannel();
    expect(Number(afterCutOff.quote.revision)).toBeGreaterThanOrEqual(latestSwitchRevision);
    expect(delivered(afterCutOff)).toMatchObject({
      orderBefore: '2026-12-04T21:00:00.000Z',
      deliverBy: '2026-12-07T22:59:59.999Z',
      reason: 'order before 22:00 tomorrow, delivered Monday 7 December',
    });
    expect(afterCutOff.quote.fingerprint).not.toBe(thursday.quote.fingerprint);
    expect(afterCutOff.offers[0]!.fingerprint).not.toBe(thursday.offers[0]!.fingerprint);
    // The subscriber hears of the switch: the new promise is pushed, nothing changed in price or stock.
    await until(
      async () =>
        watching.values.some((v) => v.offerChanged.fingerprint === afterCutOff.offers[0]!.fingerprint),
      10_000,
      'the promise pushed at the cut-off',
    );
    watching.stop();
    await socket.dispose();

    // The weekend: Saturday before and after the warehouse's cut-off, then Sunday (the warehouse ships on
    // no Sunday). Each instant's promise is the pure promise of that instant, in every channel.
    const warehouse = demoFulfilment([{ id: 'wh-1', kind: 'WAREHOUSE' }]).settings['wh-1']!;
    const zone = demoFulfilment([]).shippingZones[0]!;
    let previous = afterCutOff;
    for (const [iso, orderBefore] of [
      ['2026-12-05T20:59:00.000Z', '2026-12-05T21:00:00.000Z'], // Saturday 21:59
      ['2026-12-05T21:00:00.000Z', '2026-12-07T21:00:00.000Z'], // Saturday 22:00: Monday's cut-off next
      ['2026-12-06T11:00:00.000Z', '2026-12-07T21:00:00.000Z'], // Sunday noon
    ] as const) {
      await at(iso);
      const answer = await everyChannel();
      const expected = promiseDelivery({
        now: new Date(iso),
        from: { id: 'wh-1', name: 'Warehouse Tilburg', settings: warehouse },
        zone,
      })!;
      expect(delivered(answer)).toEqual({
        method: 'DELIVERY',
        from: { id: 'wh-1', name: 'Warehouse Tilburg', kind: 'WAREHOUSE' },
        orderBefore,
        deliverBy: expected.deliverBy!.toISOString(),
        readyBy: null,
        reason: expected.reason,
      });
      expect(Number(answer.quote.revision)).toBeGreaterThan(Number(previous.quote.revision));
      expect(answer.quote.fingerprint).not.toBe(previous.quote.fingerprint);
      previous = answer;
    }
    expect(delivered(previous)!.reason).toBe('order before 22:00 tomorrow, delivered Tuesday 8 December');

    // The last unit at the warehouse is sold elsewhere: the promise moves to the Amsterdam store, which
    // ships from store (open on Sunday, its 17:00 cut-off), in every channel at that revision.
    const gone = await setStockCount(ctx.deps, PROMISE_SKU, 'wh-1', { onHand: 0 });
    await settled();
    const moved = await everyChannel();
    expect(Number(moved.quote.revision)).toBeGreaterThanOrEqual(gone.revision);
    expect(delivered(moved)).toMatchObject({
      from: { id: 'ams-01', name: 'Amsterdam', kind: 'STORE' },
      orderBefore: '2026-12-06T16:00:00.000Z',
    });
    expect(moved.quote.delivery.map((p) => p.from.id)).toEqual(['ams-01']);
    // Utrecht's pickup by transfer has no warehouse unit left to come from.
    expect(moved.utrecht.delivery).toEqual([]);
    // The price did not move, the promise did: so did the fingerprint.
    expect(moved.offers[0]!.fingerprint).not.toBe(previous.offers[0]!.fingerprint);

    // Every revision any channel saw had one answer.
    const split = [...byRevision].filter(([, said]) => said.size > 1).map(([revision]) => revision);
    expect(split).toEqual([]);
    expect(new Set([...byRevision.keys()].map((k) => k.split(' ')[0])).size).toBeGreaterThanOrEqual(6);
  }, 90_000);
});
