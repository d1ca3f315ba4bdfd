/**
 * Members' data revisions for the answer cache, read for many hits at once: every caller gets a read begun
 * after it asked (a change committed before it asked is always seen), and callers arriving together share
 * one PostgreSQL round trip.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { CustomerFreshness } from '../../channel-layer/graphql/customer-freshness.js';
import { adjustPoints, enrollCustomer, mergeCustomers } from '../../journey-layer/index.js';
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
    for (const name of ['Anouk', 'Bram', 'Chris']) {
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
