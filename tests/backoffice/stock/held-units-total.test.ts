/**
 * The units a channel client holds, kept as a running total (client_held_units): it follows every way a
 * reservation starts and ends, it never counts a reservation past its expiry, and folding the rows of ended
 * database backends changes nothing it answers.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import pg from 'pg';
import {
  commitReservation,
  expireReservation,
  foldHeldUnits,
  releaseReservation,
  reserveStock,
  unitsHeldBy,
} from '../../../backoffice-layer/index.js';
import { ManualClock } from '../../support/test-context.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue } from './fixtures.js';

const WEB = randomUUID();
const APP = randomUUID();

describe('the units a client holds, as a running total', () => {
  let ctx: BackofficeTestContext;
  const clock = new ManualClock('2026-06-01T10:00:00Z');
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await givenCatalogue(ctx, ['COAT-M', 'SOCK-1'], ['wh-1', 'ams-01'], {
      'COAT-M@wh-1': 1_000,
      'SOCK-1@wh-1': 1_000,
      'SOCK-1@ams-01': 1_000,
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  const held = async (clientId: string) => await unitsHeldBy(ctx.deps.db, clientId, clock.now());
  /** What the client holds, summed from its reservations themselves (what the total must equal). */
  const summed = async (clientId: string) => {
    const r = await ctx.deps.db
      .selectFrom('reservationLines')
      .innerJoin('reservations', 'reservations.id', 'reservationLines.reservationId')
      .select((eb) => eb.fn.sum<string>('quantity').as('n'))
      .where('status', '=', 'ACTIVE')
      .where('clientId', '=', clientId)
      .where('expiresAt', '>', clock.now())
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  };
  const rows = async (clientId: string) =>
    (
      await ctx.deps.db
        .selectFrom('clientHeldUnits')
        .select('backendPid')
        .where('clientId', '=', clientId)
        .execute()
    ).length;
  const reserve = (
    clientId: string | undefined,
    key: string,
    lines: Array<[string, string, number]>,
    ttl = 600,
  ) =>
    reserveStock(
      ctx.deps,
      {
        lines: lines.map(([sku, locationId, quantity]) => ({ sku, locationId, quantity })),
        ttlSeconds: ttl,
        ...(clientId ? { clientId } : {}),
      },
      key,
    );

  it('adds a reservation’s lines, per client, and leaves reservations without a client out', async () => {
    await reserve(WEB, 'web-1', [
      ['COAT-M', 'wh-1', 2],
      ['SOCK-1', 'wh-1', 3],
      ['SOCK-1', 'ams-01', 1],
    ]);
    await reserve(APP, 'app-1', [['COAT-M', 'wh-1', 4]]);
    await reserve(undefined, 'admin-1', [['COAT-M', 'wh-1', 7]]);
    expect(await held(WEB)).toBe(6);
    expect(await held(APP)).toBe(4);
    // A replay is the same reservation: counted once.
    await reserve(WEB, 'web-1', [
      ['COAT-M', 'wh-1', 2],
      ['SOCK-1', 'wh-1', 3],
      ['SOCK-1', 'ams-01', 1],
    ]);
    expect(await held(WEB)).toBe(6);
  });

  it('takes a reservation off when it is released, committed to an order or expired', async () => {
    const a = await reserve(WEB, 'web-2', [['COAT-M', 'wh-1', 5]]);
    const b = await reserve(WEB, 'web-3', [['SOCK-1', 'wh-1', 2]]);
    const c = await reserve(WEB, 'web-4', [['COAT-M', 'wh-1', 1]], 60);
    expect(await held(WEB)).toBe(6 + 5 + 2 + 1);

    await releaseReservation(ctx.deps, a.reservation.id);
    expect(await held(WEB)).toBe(9);
    await commitReservation(
      ctx.deps,
      {
        reservationId: b.reservation.id,
        currency: 'EUR',
        lines: [{ sku: 'SOCK-1', locationId: 'wh-1', quantity: 2, unitAmount: 500, lineAmount: 1000 }],
      },
      'order-b',
    );
    expect(await held(WEB)).toBe(7);

    // Past its expiry it no longer counts, before the expiry job has ended it …
    clock.advance(61_000);
    expect(await held(WEB)).toBe(6);
    expect(await summed(WEB)).toBe(6);
    // … nor after.
    expect(await expireReservation(ctx.deps, c.reservation.id)).toBe(true);
    expect(await held(WEB)).toBe(6);
    expect(await held(APP)).toBe(4);
  });

  it('stays equal to the reservations’ own sum through concurrent reservations and releases', async () => {
    const made = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        reserve(i % 3 === 0 ? APP : WEB, `burst-${i}`, [['SOCK-1', i % 2 ? 'wh-1' : 'ams-01', 1 + (i % 4)]]),
      ),
    );
    await Promise.all(
      made.filter((_, i) => i % 2 === 0).map((m) => releaseReservation(ctx.deps, m.reservation.id)),
    );
    for (const client of [WEB, APP]) expect(await held(client)).toBe(await summed(client));
    // Every unit of the burst that was not released: 1..4 by turns, odd positions kept.
    const kept = made.map((_, i) => i).filter((i) => i % 2 === 1);
    expect((await held(WEB)) + (await held(APP))).toBe(6 + 4 + kept.reduce((n, i) => n + 1 + (i % 4), 0));
  });

  it('folds the rows of backends that ended into one, and answers the same', async () => {
    const before = await held(WEB);
    // A change made on a connection of its own, which then ends: its backend's row is left behind.
    const own = new pg.Client({ connectionString: ctx.databaseUrl });
    await own.connect();
    const r = await reserve(WEB, 'web-own', [['COAT-M', 'wh-1', 3]]);
    await own.query(`UPDATE reservations SET status = 'RELEASED' WHERE id = $1`, [r.reservation.id]);
    const { rows: pid } = await own.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await own.end();
    const ownRow = () =>
      ctx.deps.db
        .selectFrom('clientHeldUnits')
        .select('units')
        .where('clientId', '=', WEB)
        .where('backendPid', '=', pid[0]!.pid)
        .executeTakeFirst();
    expect(Number((await ownRow())?.units)).toBe(-3);
    expect(await held(WEB)).toBe(before);

    // Its backend is gone once PostgreSQL has noticed the disconnect.
    for (let i = 0; i < 50 && (await ownRow()); i++) {
      await foldHeldUnits(ctx.deps.db);
      if (await ownRow()) await new Promise((res) => setTimeout(res, 100));
    }
    expect(await ownRow()).toBeUndefined();
    expect(await held(WEB)).toBe(before);
    expect(await held(WEB)).toBe(await summed(WEB));
    // Only row 0 and the rows of backends still connected are left.
    const left = await ctx.deps.db
      .selectFrom('clientHeldUnits')
      .select('backendPid')
      .where('clientId', '=', WEB)
      .where('backendPid', '<>', 0)
      .execute();
    const { rows: alive } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity`.execute(ctx.deps.db);
    const pids = new Set(alive.map((a) => a.pid));
    expect(left.filter((l) => !pids.has(l.backendPid))).toEqual([]);
    expect(await rows(WEB)).toBe(left.length + 1);
  });
});
