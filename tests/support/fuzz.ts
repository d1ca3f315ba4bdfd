import { expect } from '@jest/globals';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { AdminClient, BackofficeTestContext } from './backoffice.js';

/**
 * A fingerprint of everything a write could touch: row counts of the source-of-truth tables and the last
 * revision.
 */
export async function databaseState(ctx: BackofficeTestContext): Promise<Record<string, number>> {
  const r = await sql<Record<string, number>>`
    SELECT (SELECT count(*) FROM products)::int AS products,
           (SELECT count(*) FROM locations)::int AS locations,
           (SELECT count(*) FROM price_lists)::int AS price_lists,
           (SELECT count(*) FROM prices)::int AS prices,
           (SELECT count(*) FROM price_history)::int AS price_history,
           (SELECT count(*) FROM stock_levels)::int AS stock_levels,
           (SELECT count(*) FROM stock_movements)::int AS stock_movements,
           (SELECT count(*) FROM reservations)::int AS reservations,
           (SELECT count(*) FROM orders)::int AS orders,
           (SELECT count(*) FROM idempotency_keys)::int AS idempotency_keys,
           (SELECT count(*) FROM outbox)::int AS outbox,
           (SELECT coalesce(max(revision), 0) FROM outbox)::int AS revision,
           (SELECT coalesce(sum(on_hand + reserved + safety_stock), 0) FROM stock_levels)::int AS units
  `.execute(ctx.deps.db);
  return r.rows[0]!;
}

/**
 * Hostile values: wrong types, negatives, huge numbers, fractions, oversized strings, injection-looking text.
 */
export const hostile = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constant(-1),
  fc.constant(0),
  fc.constant(1.5),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.constant(1e300),
  fc.constant(-2_147_483_649),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.constant('x'.repeat(5000)),
  fc.constant("'; DROP TABLE products; --"),
  fc.constant('NaN'),
  fc.constant({}),
  fc.constant([]),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.constant('2026-13-45T99:00:00Z'),
  fc.constant('../../etc/passwd'),
  fc.constant('\u0000'),
);

/** A valid body with one field replaced by a hostile value, a field removed, or an unknown field added. */
export function mutated(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), hostile).map(([k, v]) => ({ ...valid, [k]: v })),
    fc.constantFrom(...keys).map((k) => {
      const { [k]: _drop, ...rest } = valid;
      return rest;
    }),
    fc
      .tuple(fc.string({ minLength: 1, maxLength: 10 }), hostile)
      .map(([k, v]) => ({ ...valid, [`x${k}`]: v })),
    hostile,
  );
}

export interface FuzzCase {
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
}

/**
 * QUALITY B1: every request answers 4xx with a problem+json `code` — never a 5xx — and leaves the database
 * exactly as it was. Requests must all be invalid (the generator's job); a 2xx fails the property.
 */
export async function assertAllRejected(
  ctx: BackofficeTestContext,
  api: AdminClient,
  cases: fc.Arbitrary<FuzzCase>,
  numRuns = 150,
): Promise<void> {
  const before = await databaseState(ctx);
  await fc.assert(
    fc.asyncProperty(cases, async (c) => {
      const res =
        c.raw !== undefined
          ? await api.request(c.method, c.path, c.raw, { 'content-type': 'application/json' })
          : await api.request(c.method, c.path, c.body);
      if (res.status < 400 || res.status >= 500)
        throw new Error(
          `${c.method} ${c.path} ${JSON.stringify(c.body ?? c.raw)?.slice(0, 300)} → ` +
            `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
        );
      expect(res.contentType).toContain('application/problem+json');
      expect(typeof res.body.code).toBe('string');
      expect(typeof res.body.detail === 'string' || typeof res.body.title === 'string').toBe(true);
    }),
    { numRuns },
  );
  expect(await databaseState(ctx)).toEqual(before);
}

/** Malformed JSON texts: truncated, wrong syntax, deep nesting, oversized. */
export const malformedJson = fc.oneof(
  fc.constant('{'),
  fc.constant('{"name": }'),
  fc.constant('[1,2'),
  fc.constant('nul'),
  fc.constant('{"a":1}}'),
  fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
  fc.constant(`{"name":"${'x'.repeat(1_100_000)}"}`),
  fc.string({ maxLength: 30 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);
