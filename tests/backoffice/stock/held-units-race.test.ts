/**
 * A client's held-units limit holds however its reservations race: concurrent reservations of one client,
 * in one group commit, in separate lanes and through separate reservation queues (as separate API nodes
 * would send them), never hold more than the limit together; each refused one is RATE_LIMITED and leaves
 * nothing behind (no reservation, no reserved unit, no idempotency key).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ReservationQueue,
  reserveStock,
  unitsHeldBy,
  type ReserveDeps,
} from '../../../backoffice-layer/index.js';
import { DomainError } from '../../../shared/index.js';
import { ManualClock } from '../../support/test-context.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue } from './fixtures.js';

const SKUS = ['COAT-M', 'COAT-L', 'SOCK-1', 'SOCK-2', 'CAP-1', 'CAP-2'];

describe('a client’s held units under concurrent reservations', () => {
  let ctx: BackofficeTestContext;
  const clock = new ManualClock('2026-06-01T10:00:00Z');
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await givenCatalogue(ctx, SKUS, ['wh-1'], Object.fromEntries(SKUS.map((s) => [`${s}@wh-1`, 1_000])));
  });
  afterAll(async () => {
    await ctx.close();
  });

  /** Reserves `quantity` of `sku` for `clientId`, limited to `max` held units, through `deps`' queue. */
  const reserve = (deps: ReserveDeps, clientId: string, sku: string, quantity: number, max: number) =>
    reserveStock(
      deps,
      { lines: [{ sku, locationId: 'wh-1', quantity }], ttlSeconds: 600, clientId },
      `${clientId}:${randomUUID()}`,
      { maxHeldUnits: max },
    );
  /** Settles every call; answers the units granted and the refusals' codes. */
  const outcome = async (calls: Array<Promise<unknown>>) => {
    const settled = await Promise.allSettled(calls);
    const codes = settled.flatMap((s) =>
      s.status === 'rejected' ? [s.reason instanceof DomainError ? s.reason.code : String(s.reason)] : [],
    );
    return { granted: settled.filter((s) => s.status === 'fulfilled').length, codes };
  };
  const db = () => ctx.deps.db;
  const activeUnits = async (clientId: string) =>
    Number(
      (
        await db()
          .selectFrom('reservationLines')
          .innerJoin('reservations', 'reservations.id', 'reservationLines.reservationId')
          .select((eb) => eb.fn.sum<string>('quantity').as('n'))
          .where('status', '=', 'ACTIVE')
          .where('clientId', '=', clientId)
          .executeTakeFirst()
      )?.n ?? 0,
    );
  const keysOf = async (clientId: string) =>
    (await db().selectFrom('idempotencyKeys').select('key').where('key', 'like', `${clientId}:%`).execute())
      .length;

  it('grants exactly the limit when 30 one-unit reservations of one client arrive at once', async () => {
    const client = randomUUID();
    const r = await outcome(Array.from({ length: 30 }, () => reserve(ctx.deps, client, 'COAT-M', 1, 5)));
    expect(r.granted).toBe(5);
    expect(r.codes).toEqual(Array(25).fill('RATE_LIMITED'));
    expect(await activeUnits(client)).toBe(5);
    expect(await keysOf(client)).toBe(5);
  });

  it('holds the limit across lanes and across queues of separate nodes, with its details', async () => {
    const client = randomUUID();
    // Four queues, as four API nodes: their groups commit in separate transactions at the same time.
    const nodes: ReserveDeps[] = Array.from({ length: 4 }, () => ({
      ...ctx.deps,
      reservationQueue: new ReservationQueue(),
    }));
    const calls = Array.from({ length: 60 }, (_, i) =>
      reserve(nodes[i % nodes.length]!, client, SKUS[i % SKUS.length]!, 1, 7),
    );
    const settled = await Promise.allSettled(calls);
    const granted = settled.filter((s) => s.status === 'fulfilled').length;
    expect(granted).toBeLessThanOrEqual(7);
    expect(await activeUnits(client)).toBe(granted);
    expect(await keysOf(client)).toBe(granted);
    const refusals = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    expect(refusals).toHaveLength(60 - granted);
    for (const e of refusals) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('RATE_LIMITED');
      expect((e as DomainError).details).toMatchObject({ maxHeldUnits: 7 });
    }
    // Nothing is held back for nothing: once the racing is over, what is left up to the limit is granted.
    const more = await outcome(
      Array.from({ length: 7 - granted }, (_, i) => reserve(ctx.deps, client, SKUS[i]!, 1, 7)),
    );
    expect(more.codes).toEqual([]);
    expect(await activeUnits(client)).toBe(7);
    await expect(reserve(ctx.deps, client, 'CAP-1', 1, 7)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { heldUnits: 7, maxHeldUnits: 7 },
    });
    // The stock itself: every reserved unit belongs to a granted reservation.
    const reserved = await db()
      .selectFrom('stockLevels')
      .select((eb) => eb.fn.sum<string>('reserved').as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(reserved.n)).toBe(5 + 7);
    expect(await unitsHeldBy(db(), client, clock.now())).toBe(7);
  });

  it('limits each client on its own in one group; a request counts all its lines', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const calls = [
      reserve(ctx.deps, a, 'SOCK-2', 3, 4),
      reserve(ctx.deps, b, 'SOCK-2', 3, 4),
      reserve(ctx.deps, a, 'SOCK-2', 2, 4), // 3 + 2 > 4
      reserve(ctx.deps, b, 'SOCK-2', 1, 4), // 3 + 1 = 4
      reserve(ctx.deps, a, 'SOCK-2', 1, 4), // 3 + 1 = 4
    ];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(await activeUnits(a)).toBe(4);
    expect(await activeUnits(b)).toBe(4);
  });
});
