/**
 * Attacks on a channel client's held-units limit (scope `held-units:<n>`) through GraphQL on two API nodes
 * over one database: many concurrent multi-line, multi-SKU reservations of one client mixed with releases,
 * replays of the same idempotency key, expired reservations and a limit changed mid-flight. Never more than
 * the limit held; every refusal RATE_LIMITED; a refused call leaves nothing behind; other clients unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { KEY_CACHE_MS } from '../../shared/key-guard.js';
import { ManualClock } from '../support/test-context.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { graphqlClient, type GraphqlError } from '../support/channel.js';
import { givenCatalogue } from '../backoffice/stock/fixtures.js';

const SKUS = ['HU-1', 'HU-2', 'HU-3', 'HU-4', 'HU-5', 'HU-6'];
type Line = { sku: string; locationId: string; quantity: number };
type Reply = { data?: unknown; errors?: GraphqlError[] };

/** A small deterministic generator, so a failing run can be repeated. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('held units through two API nodes under attack', () => {
  let ctx: BackofficeTestContext;
  let nodes: ApiNode[];
  const clock = new ManualClock('2026-12-01T10:00:00Z');
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await givenCatalogue(ctx, SKUS, ['wh-1'], Object.fromEntries(SKUS.map((s) => [`${s}@wh-1`, 100_000])));
    // Two nodes on the same database, each with its own reservation queue (as two processes would have).
    nodes = [
      await startApiNode({ ...ctx.deps }, 0, '127.0.0.1'),
      await startApiNode({ ...ctx.deps }, 0, '127.0.0.1'),
    ];
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop(100);
    await ctx.close();
  });

  const db = () => ctx.deps.db;
  /** A new client with these held units (and a rate nothing here reaches): its id and a caller per node. */
  const newClient = async (name: string, heldUnits?: number) => {
    const scopes = ['rate:100000', ...(heldUnits === undefined ? [] : [`held-units:${heldUnits}`])];
    const { id, key } = await createChannelClient(db(), { name, channel: 'WEB', scopes }, clock.now());
    return { id, via: nodes.map((n) => graphqlClient(n.port, key)) };
  };
  const RESERVE =
    'mutation($lines: [ReserveLineInput!]!, $k: String!, $ttl: Int) { reserveStock(input: { lines: $lines, ' +
    'ttlSeconds: $ttl }, idempotencyKey: $k) { id status lines { quantity } } }';
  const reserve = (
    gql: (q: string, v?: Record<string, unknown>) => Promise<Reply>,
    lines: Line[],
    k: string,
    ttl = 600,
  ) => gql(RESERVE, { lines, k, ttl });
  const release = (gql: (q: string, v?: Record<string, unknown>) => Promise<Reply>, id: string) =>
    gql('mutation($id: ID!) { releaseReservation(id: $id) { status } }', { id });
  const idOf = (r: Reply) => (r.data as { reserveStock: { id: string } } | undefined)?.reserveStock.id;
  const codeOf = (r: Reply) => r.errors?.[0]?.extensions.code;
  /** Units the client holds now: its ACTIVE, unexpired reservation lines (by the test's clock). */
  const held = async (clientId: string) =>
    Number(
      (
        await sql<{ n: string | null }>`
          SELECT sum(l.quantity) AS n FROM reservations r JOIN reservation_lines l ON l.reservation_id = r.id
          WHERE r.client_id = ${clientId}::uuid AND r.status = 'ACTIVE'
            AND r.expires_at > ${clock.now()}`.execute(db())
      ).rows[0]?.n ?? 0,
    );
  const reservationsOf = async (clientId: string) =>
    (await db().selectFrom('reservations').select('id').where('clientId', '=', clientId).execute()).map(
      (r) => r.id,
    );
  const keysOf = async (clientId: string) =>
    (
      await db().selectFrom('idempotencyKeys').select('key').where('key', 'like', `${clientId}:%`).execute()
    ).map((r) => r.key.slice(clientId.length + 1));
  /** Every reserved unit of every level belongs to an ACTIVE reservation line. */
  const stockAgreesWithReservations = async () => {
    const r = await sql<{ levels: string; lines: string }>`
      SELECT (SELECT sum(reserved) FROM stock_levels) AS levels,
             (SELECT coalesce(sum(l.quantity), 0) FROM reservations r
                JOIN reservation_lines l ON l.reservation_id = r.id
               WHERE r.status = 'ACTIVE') AS lines`.execute(db());
    expect(Number(r.rows[0]!.levels)).toBe(Number(r.rows[0]!.lines));
  };
  /** Random lines: 1–4 lines over the SKUs (a SKU may repeat), 1–3 units each. */
  const randomLines = (next: () => number): Line[] =>
    Array.from({ length: 1 + Math.floor(next() * 4) }, () => ({
      sku: SKUS[Math.floor(next() * SKUS.length)]!,
      locationId: 'wh-1',
      quantity: 1 + Math.floor(next() * 3),
    }));

  it('120 racing multi-line reservations of one client on two nodes hold at most the limit', async () => {
    const a = await newClient('racer', 25);
    const b = await newClient('bystander');
    const next = rng(7);
    const asks = Array.from({ length: 120 }, (_, i) => ({ lines: randomLines(next), k: `race-${i}` }));
    const bystanders = Array.from({ length: 30 }, (_, i) =>
      reserve(b.via[i % 2]!, [{ sku: SKUS[i % SKUS.length]!, locationId: 'wh-1', quantity: 2 }], `b-${i}`),
    );
    const replies = await Promise.all(asks.map((q, i) => reserve(a.via[i % 2]!, q.lines, q.k)));
    const others = await Promise.all(bystanders);

    const codes = replies.flatMap((r) => (r.errors ? [codeOf(r)] : []));
    expect(codes.filter((c) => c !== 'RATE_LIMITED')).toEqual([]);
    const granted = asks.filter((_, i) => !replies[i]!.errors);
    expect(granted.length).toBeGreaterThan(0);
    const grantedUnits = granted.reduce((n, q) => n + q.lines.reduce((m, l) => m + l.quantity, 0), 0);
    expect(grantedUnits).toBeLessThanOrEqual(25);
    expect(await held(a.id)).toBe(grantedUnits);
    // A refused call leaves nothing: only the granted keys and reservations exist.
    expect((await keysOf(a.id)).sort()).toEqual(granted.map((q) => q.k).sort());
    expect((await reservationsOf(a.id)).sort()).toEqual(replies.flatMap((r) => idOf(r) ?? []).sort());
    for (const r of replies.filter((x) => x.errors))
      expect(r.errors![0]!.extensions).toMatchObject({ maxHeldUnits: 25 });
    // The other client's reservations in the same moment all succeed.
    expect(others.map((r) => r.errors ?? null)).toEqual(Array(30).fill(null));
    await stockAgreesWithReservations();
  });

  it('a replay at the limit is answered as before, racing on both nodes; new ones are refused', async () => {
    const a = await newClient('replayer', 10);
    const first = await Promise.all([
      reserve(a.via[0]!, [{ sku: 'HU-1', locationId: 'wh-1', quantity: 4 }], 'r-1'),
      reserve(
        a.via[1]!,
        [
          { sku: 'HU-2', locationId: 'wh-1', quantity: 3 },
          { sku: 'HU-2', locationId: 'wh-1', quantity: 3 }, // the same SKU twice: 6 units
        ],
        'r-2',
      ),
    ]);
    expect(first.map(codeOf)).toEqual([undefined, undefined]);
    expect(await held(a.id)).toBe(10);
    const ids = first.map(idOf);
    const again = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 4 === 3
          ? reserve(a.via[i % 2]!, [{ sku: 'HU-3', locationId: 'wh-1', quantity: 1 }], `new-${i}`)
          : i % 2 === 0
            ? reserve(a.via[i % 2]!, [{ sku: 'HU-1', locationId: 'wh-1', quantity: 4 }], 'r-1')
            : reserve(
                a.via[i % 2]!,
                [
                  { sku: 'HU-2', locationId: 'wh-1', quantity: 3 },
                  { sku: 'HU-2', locationId: 'wh-1', quantity: 3 },
                ],
                'r-2',
              ),
      ),
    );
    again.forEach((r, i) => {
      if (i % 4 === 3) expect(codeOf(r)).toBe('RATE_LIMITED');
      else expect(idOf(r)).toBe(ids[i % 2 === 0 ? 0 : 1]);
    });
    expect(await held(a.id)).toBe(10);
    expect((await keysOf(a.id)).sort()).toEqual(['r-1', 'r-2']);
    // The same key with another body is a CONFLICT, not a RATE_LIMITED and not the old answer.
    expect(codeOf(await reserve(a.via[1]!, [{ sku: 'HU-1', locationId: 'wh-1', quantity: 5 }], 'r-1'))).toBe(
      'CONFLICT',
    );
  });

  it('one new key on both nodes at once, room for one: one reservation, every copy told its id', async () => {
    for (let round = 0; round < 10; round++) {
      const a = await newClient(`twin-${round}`, 3);
      const lines = [{ sku: SKUS[round % SKUS.length]!, locationId: 'wh-1', quantity: 3 }];
      const replies = await Promise.all([
        reserve(a.via[0]!, lines, 'twin'),
        reserve(a.via[1]!, lines, 'twin'),
        reserve(a.via[0]!, lines, 'twin'),
        reserve(a.via[1]!, [{ sku: 'HU-6', locationId: 'wh-1', quantity: 1 }], 'other'),
      ]);
      const twins = replies.slice(0, 3);
      // Either the twin won (all three told its one id, the other refused) or the other did (all three
      // refused, RATE_LIMITED): never two holds, never a twin answered two ways.
      if (idOf(twins[0]!) ?? idOf(twins[1]!) ?? idOf(twins[2]!)) {
        expect(twins.map((r) => r.errors ?? null)).toEqual([null, null, null]);
        expect(new Set(twins.map(idOf)).size).toBe(1);
        expect(codeOf(replies[3]!)).toBe('RATE_LIMITED');
        expect(await held(a.id)).toBe(3);
        expect(await keysOf(a.id)).toEqual(['twin']);
      } else {
        expect(twins.map(codeOf)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
        expect(replies[3]!.errors).toBeUndefined();
        expect(await held(a.id)).toBe(1);
        expect(await keysOf(a.id)).toEqual(['other']);
      }
    }
  });

  it('releases racing reservations: never past the limit, every refusal RATE_LIMITED', async () => {
    const a = await newClient('releaser', 12);
    const next = rng(11);
    const start = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        reserve(a.via[i % 2]!, [{ sku: SKUS[i]!, locationId: 'wh-1', quantity: 2 }], `keep-${i}`),
      ),
    );
    const ids = start.map((r) => idOf(r)!);
    expect(await held(a.id)).toBe(12);
    const calls: Array<Promise<Reply>> = [];
    const newOnes: Array<{ k: string; units: number; at: number }> = [];
    for (let i = 0; i < 60; i++) {
      if (i % 10 === 0 && ids.length > 0) calls.push(release(a.via[i % 2]!, ids.shift()!));
      else {
        const lines = randomLines(next);
        newOnes.push({ k: `mix-${i}`, units: lines.reduce((n, l) => n + l.quantity, 0), at: calls.length });
        calls.push(reserve(a.via[i % 2]!, lines, `mix-${i}`));
      }
    }
    const replies = await Promise.all(calls);
    for (const r of replies) if (r.errors) expect(codeOf(r)).toBe('RATE_LIMITED');
    expect(await held(a.id)).toBeLessThanOrEqual(12);
    const grantedKeys = newOnes.filter((n) => !replies[n.at]!.errors).map((n) => n.k);
    expect((await keysOf(a.id)).filter((k) => k.startsWith('mix-')).sort()).toEqual(grantedKeys.sort());
    await stockAgreesWithReservations();
  });

  it('expired reservations not yet swept do not count, however the new ones race', async () => {
    const a = await newClient('expirer', 10);
    const first = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        reserve(a.via[i % 2]!, [{ sku: SKUS[i]!, locationId: 'wh-1', quantity: 2 }], `old-${i}`, 60),
      ),
    );
    expect(first.map((r) => r.errors ?? null)).toEqual(Array(5).fill(null));
    expect(codeOf(await reserve(a.via[0]!, [{ sku: 'HU-1', locationId: 'wh-1', quantity: 1 }], 'x'))).toBe(
      'RATE_LIMITED',
    );
    clock.advance(61_000);
    // Still ACTIVE in the database (no expiry job runs here), but past their expiry.
    expect(
      await db()
        .selectFrom('reservations')
        .select('id')
        .where('clientId', '=', a.id)
        .where('status', '=', 'ACTIVE')
        .execute(),
    ).toHaveLength(5);
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        reserve(
          a.via[i % 2]!,
          [{ sku: SKUS[i % SKUS.length]!, locationId: 'wh-1', quantity: 1 }],
          `new-${i}`,
        ),
      ),
    );
    expect(replies.filter((r) => !r.errors)).toHaveLength(10);
    expect(replies.flatMap((r) => (r.errors ? [codeOf(r)] : []))).toEqual(Array(20).fill('RATE_LIMITED'));
    expect(await held(a.id)).toBe(10);
    // A replay of an expired reservation's key is still answered as before (no new hold).
    const replay = await reserve(
      a.via[1]!,
      [{ sku: SKUS[0]!, locationId: 'wh-1', quantity: 2 }],
      'old-0',
      60,
    );
    expect(idOf(replay)).toBe(idOf(first[0]!));
    expect(await held(a.id)).toBe(10);
  });

  it('a limit lowered mid-flight: the old one is never passed, the new one holds once read', async () => {
    const a = await newClient('shrinker', 30);
    const one = (i: number, p: string) =>
      reserve(a.via[i % 2]!, [{ sku: SKUS[i % SKUS.length]!, locationId: 'wh-1', quantity: 1 }], `${p}-${i}`);
    const early = Array.from({ length: 20 }, (_, i) => one(i, 'early'));
    await sql`UPDATE channel_clients SET scopes = ARRAY['rate:100000', 'held-units:8']
              WHERE id = ${a.id}::uuid`.execute(db());
    clock.advance(KEY_CACHE_MS + 1);
    const late = Array.from({ length: 20 }, (_, i) => one(i, 'late'));
    const replies = [...(await Promise.all(early)), ...(await Promise.all(late))];
    for (const r of replies) if (r.errors) expect(codeOf(r)).toBe('RATE_LIMITED');
    expect(await held(a.id)).toBeLessThanOrEqual(30);
    // Every late reservation was granted under the new limit: together they hold at most 8.
    expect(replies.slice(20).filter((r) => !r.errors).length).toBeLessThanOrEqual(8);
    // Now the client holds at least 8: the next is refused with the new limit in its details.
    if ((await held(a.id)) >= 8) {
      const r = await one(99, 'after');
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', maxHeldUnits: 8 });
    }
    // Raised again: room opens at once once read.
    await sql`UPDATE channel_clients SET scopes = ARRAY['rate:100000', 'held-units:100']
              WHERE id = ${a.id}::uuid`.execute(db());
    clock.advance(KEY_CACHE_MS + 1);
    expect((await one(100, 'raised')).errors).toBeUndefined();
  });

  it('a single request past the limit on its own is RATE_LIMITED and leaves nothing', async () => {
    const a = await newClient('greedy', 5);
    const r = await reserve(
      a.via[0]!,
      [
        { sku: 'HU-1', locationId: 'wh-1', quantity: 3 },
        { sku: 'HU-2', locationId: 'wh-1', quantity: 3 },
      ],
      'greedy',
    );
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', heldUnits: 0, maxHeldUnits: 5 });
    expect(await keysOf(a.id)).toEqual([]);
    expect(await reservationsOf(a.id)).toEqual([]);
  });
});
