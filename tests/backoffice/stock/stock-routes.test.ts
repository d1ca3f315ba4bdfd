import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { assertAllRejected, hostile, malformedJson, mutated, type FuzzCase } from '../../support/fuzz.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../../support/backoffice.js';
import { givenCatalogue } from './fixtures.js';

describe('stock admin routes', () => {
  let ctx: BackofficeTestContext;
  let api: AdminClient;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    api = await startAdminApi(ctx);
    await givenCatalogue(ctx, ['COAT-M'], ['wh-1', 'ams-01'], { 'COAT-M@wh-1': 10 });
  });
  afterAll(async () => {
    await api.close();
    await ctx.close();
  });

  it('counts, moves, shows and reserves stock over HTTP', async () => {
    const count = await api.request('PUT', '/admin/v1/stock/COAT-M/ams-01', { onHand: 4, safetyStock: 1 });
    expect(count.status).toBe(200);
    expect(count.body.level).toMatchObject({ onHand: 4, available: 3 });
    const stale = await api.request('PUT', '/admin/v1/stock/COAT-M/ams-01', {
      onHand: 6,
      expectedRevision: count.body.revision - 1,
    });
    expect(stale).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
    const moved = await api.request(
      'POST',
      '/admin/v1/stock/movements',
      { movements: [{ kind: 'TRANSFER', sku: 'COAT-M', from: 'wh-1', to: 'ams-01', quantity: 2 }] },
      { 'idempotency-key': 'mv-1' },
    );
    expect(moved.status).toBe(200);
    const levels = await api.request('GET', '/admin/v1/stock/COAT-M');
    expect(
      levels.body.levels.map((l: { locationId: string; onHand: number; available: number }) => [
        l.locationId,
        l.onHand,
        l.available,
      ]),
    ).toEqual([
      ['ams-01', 6, 5],
      ['wh-1', 8, 8],
    ]);
    const tooMuch = await api.request(
      'POST',
      '/admin/v1/reservations',
      { lines: [{ sku: 'COAT-M', locationId: 'ams-01', quantity: 6 }] },
      { 'idempotency-key': 'r-1' },
    );
    expect(tooMuch).toMatchObject({
      status: 409,
      body: { code: 'INSUFFICIENT_STOCK', requested: 6, available: 5 },
    });
    const r = await api.request(
      'POST',
      '/admin/v1/reservations',
      { lines: [{ sku: 'COAT-M', locationId: 'ams-01', quantity: 5 }], ttlSeconds: 60 },
      { 'idempotency-key': 'r-2' },
    );
    expect(r.status).toBe(201);
    expect(
      (await api.request('GET', `/admin/v1/reservations/${r.body.reservation.id}`)).body.reservation.status,
    ).toBe('ACTIVE');
    expect(
      (await api.request('POST', `/admin/v1/reservations/${r.body.reservation.id}/release`)).body.reservation
        .status,
    ).toBe('RELEASED');
    expect(
      (await api.request('GET', '/admin/v1/reservations/00000000-0000-4000-8000-000000000000')).status,
    ).toBe(404);
  });

  it(
    'B1: every malformed, wrong-typed, negative, huge or unknown input is a 4xx problem and ' +
      'writes nothing',
    async () => {
      const header = { 'idempotency-key': 'fuzz' };
      const movement = { kind: 'RECEIPT', sku: 'COAT-M', locationId: 'wh-1', quantity: 1 };
      const line = { sku: 'COAT-M', locationId: 'wh-1', quantity: 1 };
      const cases: fc.Arbitrary<FuzzCase & { headers?: Record<string, string> }> = fc
        .oneof(
          mutated({ onHand: 5, safetyStock: 1 })
            .filter((b) => !validCount(b))
            .map((body) => ({ method: 'PUT', path: '/admin/v1/stock/COAT-M/wh-1', body })),
          fc
            .constantFrom(
              '/admin/v1/stock/NOPE/wh-1',
              '/admin/v1/stock/COAT-M/nowhere',
              '/admin/v1/stock/bad%20sku/wh-1',
            )
            .map((path) => ({ method: 'PUT', path, body: { onHand: 1 } })),
          fc.constant({ method: 'PUT', path: '/admin/v1/stock/COAT-M/wh-1', body: { onHand: 100_000_001 } }),
          mutated(movement)
            .map((m) => ({ method: 'POST', path: '/admin/v1/stock/movements', body: { movements: [m] } }))
            .filter((c) => !validMovement((c.body as { movements: unknown[] }).movements[0])),
          fc
            .oneof(
              hostile,
              fc.constant({ movements: [] }),
              fc.constant({ movements: Array.from({ length: 501 }, () => movement) }),
            )
            .map((body) => ({ method: 'POST', path: '/admin/v1/stock/movements', body })),
          fc.constant({
            method: 'POST',
            path: '/admin/v1/stock/movements',
            body: { movements: [{ kind: 'TRANSFER', sku: 'COAT-M', from: 'wh-1', to: 'wh-1', quantity: 1 }] },
          }),
          fc.constant({
            method: 'POST',
            path: '/admin/v1/stock/movements',
            body: {
              movements: [
                { kind: 'ADJUSTMENT', sku: 'COAT-M', locationId: 'wh-1', delta: -1_000, reason: 'x' },
              ],
            },
          }),
          mutated(line)
            .map((l) => ({ method: 'POST', path: '/admin/v1/reservations', body: { lines: [l] } }))
            .filter((c) => !validLine((c.body as { lines: unknown[] }).lines[0])),
          fc.constant({
            method: 'POST',
            path: '/admin/v1/reservations',
            body: { lines: [{ ...line, quantity: 10_000 }] },
          }),
          fc.constant({
            method: 'POST',
            path: '/admin/v1/reservations',
            body: { lines: [{ ...line, sku: 'UNKNOWN' }] },
          }),
          fc.constant({
            method: 'POST',
            path: '/admin/v1/reservations',
            body: { lines: [line], ttlSeconds: 0 },
          }),
          malformedJson.map((raw) => ({ method: 'POST', path: '/admin/v1/reservations', raw })),
          fc
            .constantFrom('nope', '123', '00000000-0000-4000-8000-000000000000')
            .map((id) => ({ method: 'POST', path: `/admin/v1/reservations/${id}/release` })),
        )
        .map((c) => ({ ...c, headers: header }));
      await assertAllRejected(
        ctx,
        { ...api, request: (m, p, b) => api.request(m, p, b, header) },
        cases,
        300,
      );
    },
  );
});

function validCount(b: unknown): boolean {
  const o = b as Record<string, unknown>;
  const units = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100_000_000;
  return (
    !!o &&
    typeof o === 'object' &&
    !Array.isArray(o) &&
    units(o.onHand) &&
    (o.safetyStock === undefined || units(o.safetyStock)) &&
    Object.keys(o).every((k) => ['onHand', 'safetyStock'].includes(k))
  );
}
function validMovement(b: unknown): boolean {
  const o = b as Record<string, unknown>;
  return (
    !!o &&
    typeof o === 'object' &&
    !Array.isArray(o) &&
    o.kind === 'RECEIPT' &&
    o.sku === 'COAT-M' &&
    o.locationId === 'wh-1' &&
    Number.isInteger(o.quantity) &&
    (o.quantity as number) >= 1 &&
    (o.quantity as number) <= 100_000_000 &&
    Object.keys(o).every((k) => ['kind', 'sku', 'locationId', 'quantity'].includes(k))
  );
}
function validLine(b: unknown): boolean {
  const o = b as Record<string, unknown>;
  return (
    !!o &&
    typeof o === 'object' &&
    !Array.isArray(o) &&
    o.sku === 'COAT-M' &&
    o.locationId === 'wh-1' &&
    Number.isInteger(o.quantity) &&
    (o.quantity as number) >= 1 &&
    (o.quantity as number) <= 10 &&
    Object.keys(o).every((k) => ['sku', 'locationId', 'quantity'].includes(k))
  );
}
