/**
 * Members' data revisions for the answer cache, read for many hits at once: every caller gets a read begun
 * after it asked (a change committed before it asked is always seen), and callers arriving together share
 * one PostgreSQL round trip.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CamelCasePlugin, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { CustomerFreshness } from '../../channel-layer/graphql/customer-freshness.js';
import {
  adjustPoints,
  customerDataRevisions,
  enrollCustomer,
  mergeCustomers,
  putSegment,
  setConsent,
} from '../../journey-layer/index.js';
import type { HubTables } from '../../channel-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

describe('customer freshness reads', () => {
  let ctx: BackofficeTestContext;
  let reads = 0;
  let db: Kysely<HubTables>;
  const people: string[] = [];
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    // The same pool through a Kysely instance that counts the queries it sends.
    db = new Kysely<HubTables>({
      dialect: new PostgresDialect({ pool: ctx.deps.pool }),
      plugins: [new CamelCasePlugin()],
      log: () => {
        reads++;
      },
    });
    for (const name of ['Anouk', 'Bram', 'Chris', 'Dana', 'Emre']) {
      const { customer } = await enrollCustomer(
        ctx.deps,
        { displayName: name, email: `${name.toLowerCase()}@example.nl` },
        { channel: 'WEB', idempotencyKey: name },
      );
      people.push(customer.id);
    }
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('answers the newest revision of a customer, of several, and null for nobody known', async () => {
    const freshness = new CustomerFreshness({ db });
    const [a, b] = people as [string, string];
    const { revision } = await adjustPoints(
      ctx.deps,
      { customerId: a, points: 50, reason: 'welcome' },
      'p-1',
    );
    expect(await freshness.revisionOf([a])).toBe(revision);
    expect(await freshness.revisionOf([b])).toBeLessThan(revision);
    expect(await freshness.revisionOf([b, a])).toBe(revision);
    expect(await freshness.revisionOf([randomUUID()])).toBeNull();
  });

  it('shares one read among callers arriving together, never one begun before a caller asked', async () => {
    const freshness = new CustomerFreshness({ db });
    const before = reads;
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => freshness.revisionOf([people[i % people.length]!])),
    );
    // The first caller starts a read at once; every later one joins the next, which starts when it answers.
    expect(reads - before).toBeLessThanOrEqual(2);
    expect(answers.every((r) => typeof r === 'number')).toBe(true);

    // A change committed while a read runs is not in that read, but in the one every later caller waits for.
    const [, , c] = people as [string, string, string];
    const first = freshness.revisionOf([c]);
    const { revision } = await adjustPoints(ctx.deps, { customerId: c, points: 5, reason: 'late' }, 'p-2');
    const after = freshness.revisionOf([c]);
    expect(await after).toBe(revision);
    expect(await first).toBeLessThanOrEqual(revision);
  });

  it('follows a profile into the one it was merged into', async () => {
    const freshness = new CustomerFreshness({ db });
    const [a, b] = people as [string, string];
    const merged = await mergeCustomers(ctx.deps, { survivorId: a, mergedId: b }, 'ADMIN');
    const { revision } = await adjustPoints(ctx.deps, { customerId: a, points: 7, reason: 'after' }, 'p-3');
    expect(await freshness.revisionOf([b])).toBe(Math.max(revision, merged.revision));
  });

  // What `customer_data_revisions` (the function the read calls, whose plan PostgreSQL keeps) must answer:
  // the query it replaced, planned anew for each read.
  const reference = async (ids: readonly string[]) => {
    const r = await sql<{ id: string; revision: number | null }>`
      WITH RECURSIVE chain(root, id, hops) AS (
        SELECT id, id, 0 FROM customers WHERE id = ANY(${[...ids]}::uuid[])
        UNION
        SELECT chain.root, c.merged_into, chain.hops + 1 FROM customers c JOIN chain ON c.id = chain.id
        WHERE c.merged_into IS NOT NULL AND chain.hops < 10
      )
      SELECT chain.root::text AS id, greatest(max(c.revision), max(l.revision), max(s.revision)) AS revision
        FROM chain
        LEFT JOIN customers c ON c.id = chain.id
        LEFT JOIN loyalty_accounts l ON l.customer_id = chain.id
        LEFT JOIN LATERAL (
          SELECT max(d.revision) AS revision FROM segment_memberships m
            JOIN segment_definitions d ON d.id = m.segment_id
           WHERE m.customer_id = chain.id
        ) s ON true
       GROUP BY chain.root`.execute(ctx.deps.db);
    return new Map(r.rows.flatMap((row) => (row.revision === null ? [] : [[row.id, row.revision] as const])));
  };

  it('sees each change of her data at its revision, only hers: consent, points, segment, merge', async () => {
    const [, , , d, e] = people as [string, string, string, string, string];
    const ids = [...people, randomUUID()];
    const check = async () => {
      const revisions = await customerDataRevisions({ db: ctx.deps.db }, ids);
      expect(revisions).toEqual(await reference(ids));
      return revisions;
    };
    /** Her data's revision moves to the change's; everyone else's stays where it was. */
    const seen = async (change: { revision: number }, before: Map<string, number>) => {
      const after = await check();
      expect(after.get(d)).toBe(change.revision);
      for (const id of people) if (id !== d) expect(after.get(id)).toBe(before.get(id));
      return after;
    };
    let now = await check();
    now = await seen(
      await setConsent(ctx.deps, d, { purpose: 'PERSONALISATION', granted: true, channel: 'WEB' }),
      now,
    );
    // Points (and the tier they bring: both are her loyalty account).
    now = await seen(
      await adjustPoints(ctx.deps, { customerId: d, points: 900, reason: 'bonus' }, 'p-d'),
      now,
    );
    // A segment she is in is archived: her prices change with it, so her revision follows its definition.
    await putSegment(ctx.deps, 'dana-only', {
      name: 'Dana only',
      kind: 'RULE',
      definition: { bought: { category: 'coats', channel: 'STORE', withinDays: 90 } },
    });
    await sql`INSERT INTO segment_memberships (customer_id, segment_id, since, reason, computed_at, revision)
              VALUES (${d}::uuid, 'dana-only', now(), 'test', now(), 0)`.execute(ctx.deps.db);
    now = await check();
    now = await seen(
      await putSegment(ctx.deps, 'dana-only', {
        name: 'Dana only',
        kind: 'RULE',
        definition: { bought: { category: 'coats', channel: 'STORE', withinDays: 90 } },
        status: 'ARCHIVED',
      }),
      now,
    );
    // Merged into Dana, Emre's answers follow Dana's data (and Dana's never follow his).
    const merged = await mergeCustomers(ctx.deps, { survivorId: d, mergedId: e }, 'ADMIN');
    now = await check();
    expect(now.get(e)).toBe(merged.revision);
    const later = await adjustPoints(ctx.deps, { customerId: d, points: 5, reason: 'after' }, 'p-d2');
    now = await check();
    expect(now.get(e)).toBe(later.revision);
    expect(now.get(d)).toBe(later.revision);
    // Many at once, in the order asked or not: the same answers.
    expect(await customerDataRevisions({ db: ctx.deps.db }, [...ids].reverse())).toEqual(now);
  });

  it('passes a failed read to every caller that joined it, and reads again for the next', async () => {
    // A database nobody listens on: every read fails (ECONNREFUSED).
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none' });
    const broken = new Kysely<HubTables>({ dialect: new PostgresDialect({ pool }) });
    const freshness = new CustomerFreshness({ db: broken });
    const failed = await Promise.allSettled(people.map((p) => freshness.revisionOf([p])));
    expect(failed.map((f) => f.status)).toEqual(people.map(() => 'rejected'));
    await expect(freshness.revisionOf([people[0]!])).rejects.toBeDefined();
    await broken.destroy();
  });
});
