/**
 * Reading a customer's timeline: newest first, a keyset page at a time (only cursors it issued), a kinds
 * filter, the newest revision; 10,000 interactions paged to the end on the timeline index; pruning by age.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CamelCasePlugin, Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import type { HubTables } from '../../../channel-layer/index.js';
import {
  listTimeline,
  pruneTimeline,
  type InteractionView,
  type TimelinePage,
} from '../../../journey-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  type BackofficeTestContext,
} from '../../support/backoffice.js';
import { refusal } from './refusal.js';

const KINDS = ['PRODUCT_VIEWED', 'CART_UPDATED', 'STORE_VISIT', 'ORDER_PLACED', 'POINTS'] as const;

describe('reading the timeline', () => {
  const clock = new ManualClock('2026-12-01T10:00:00Z');
  let ctx: BackofficeTestContext;
  let member: () => Promise<string>;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    member = newMembers(ctx, 'reader');
  });
  afterAll(async () => {
    await ctx.close();
  });

  /**
   * `count` interactions for her, three to an instant (so the id breaks ties), one second apart going back
   * from `newest`, kinds in turn, revisions 1…count from the oldest.
   */
  const fill = async (customerId: string, count: number, newest = '2026-11-30T00:00:00Z'): Promise<void> => {
    await sql`INSERT INTO customer_interactions
        (id, customer_id, kind, channel, summary, actor, source, occurred_at, revision)
      SELECT gen_random_uuid(), ${customerId}::uuid, (${sql.lit(`{${KINDS.join(',')}}`)}::text[])[1 + n % 5],
        'WEB', 'Viewed something', 'system', 'test:' || ${customerId} || ':' || n,
        ${newest}::timestamptz - ((n / 3) * interval '1 second'), ${count} - n
      FROM generate_series(0, ${count - 1}) AS n`.execute(ctx.deps.db);
  };
  /** Every page from the start. */
  const walk = async (
    customerId: string,
    first: number,
    kinds?: readonly (typeof KINDS)[number][],
  ): Promise<{ items: InteractionView[]; pages: TimelinePage[] }> => {
    const pages: TimelinePage[] = [];
    let after: string | null = null;
    do {
      const page: TimelinePage = await listTimeline(ctx.deps.db, customerId, { first, after, kinds });
      pages.push(page);
      after = page.hasNextPage ? page.endCursor : null;
    } while (after);
    return { items: pages.flatMap((p) => p.items), pages };
  };
  /** The order the timeline promises: newest first, then id descending. */
  const expectNewestFirst = (items: readonly InteractionView[]): void => {
    for (let i = 1; i < items.length; i++) {
      const [a, b] = [items[i - 1]!, items[i]!];
      expect(a.at > b.at || (a.at === b.at && a.id > b.id)).toBe(true);
    }
  };

  it('pages newest first with stable cursors, filters by kind, answers the newest revision', async () => {
    const her = await member();
    const empty = await listTimeline(ctx.deps.db, her, { first: 10 });
    expect(empty).toEqual({ customerId: her, items: [], endCursor: null, hasNextPage: false, revision: 0 });
    await fill(her, 23);
    const { items, pages } = await walk(her, 5);
    expect(pages.map((p) => p.items.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.map((p) => p.hasNextPage)).toEqual([true, true, true, true, false]);
    expect(new Set(items.map((i) => i.id)).size).toBe(23);
    expectNewestFirst(items);
    expect(pages.every((p) => p.revision === 23 && p.customerId === her)).toBe(true);
    expect(items[0]).toMatchObject({
      at: '2026-11-30T00:00:00.000Z',
      channel: 'WEB',
      summary: 'Viewed something',
    });

    const stores = await walk(her, 2, ['STORE_VISIT', 'POINTS']);
    expect(stores.items.map((i) => i.kind).sort()).toEqual(
      items
        .filter((i) => i.kind === 'STORE_VISIT' || i.kind === 'POINTS')
        .map((i) => i.kind)
        .sort(),
    );
    expect(stores.items.map((i) => i.id)).toEqual(
      items.filter((i) => ['STORE_VISIT', 'POINTS'].includes(i.kind)).map((i) => i.id),
    );
    // An empty filter is no filter.
    expect((await listTimeline(ctx.deps.db, her, { first: 200, kinds: [] })).items).toHaveLength(23);
  });

  it('takes only cursors it issued, `first` 1–200 and known kinds; NOT_FOUND for nobody', async () => {
    const her = await member();
    await fill(her, 3);
    const page = await listTimeline(ctx.deps.db, her, { first: 1 });
    const decoded = Buffer.from(page.endCursor!, 'base64url').toString();
    const bad = [
      'not-a-cursor',
      Buffer.from(decoded.replace('timeline', 'orders')).toString('base64url'),
      Buffer.from(`${decoded}|x`).toString('base64url'),
      Buffer.from(decoded.replace(/\|[^|]+$/, '|42')).toString('base64url'),
      `${page.endCursor!}=`,
    ];
    for (const after of bad) {
      const e = await refusal(listTimeline(ctx.deps.db, her, { first: 5, after }));
      expect([after, e.code]).toEqual([after, 'BAD_USER_INPUT']);
    }
    for (const first of [0, 201, 1.5, Number.NaN])
      expect((await refusal(listTimeline(ctx.deps.db, her, { first }))).code).toBe('BAD_USER_INPUT');
    const kind = await refusal(listTimeline(ctx.deps.db, her, { first: 5, kinds: ['SHOUTED' as 'NOTE'] }));
    expect(kind.code).toBe('BAD_USER_INPUT');
    expect(
      (await refusal(listTimeline(ctx.deps.db, '00000000-0000-4000-8000-000000000000', { first: 5 }))).code,
    ).toBe('NOT_FOUND');
    expect((await refusal(listTimeline(ctx.deps.db, 'nobody', { first: 5 }))).code).toBe('NOT_FOUND');
    // Her cursor on her timeline pages on.
    expect((await listTimeline(ctx.deps.db, her, { first: 5, after: page.endCursor })).items).toHaveLength(2);
  });

  it('pages 10,000 interactions to the end, each page an index range, never all of hers', async () => {
    const her = await member();
    // Among everyone else's: 1,000 other customers with 20 interactions each, over the same hours.
    await sql`WITH c AS (
        INSERT INTO customers (id, revision, created_at, updated_at)
        SELECT gen_random_uuid(), 0, now(), now() FROM generate_series(1, 1000) RETURNING id)
      INSERT INTO customer_interactions
        (id, customer_id, kind, channel, summary, actor, source, occurred_at, revision)
      SELECT gen_random_uuid(), c.id, 'POINTS', 'WEB', 'Earned points', 'system',
        'crowd:' || c.id || ':' || n,
        '2026-11-30T00:00:00Z'::timestamptz - n * interval '167 seconds', n
      FROM c, generate_series(1, 20) AS n`.execute(ctx.deps.db);
    await fill(her, 10_000);
    await sql`ANALYZE customer_interactions`.execute(ctx.deps.db);
    const started = performance.now();
    const { items, pages } = await walk(her, 200);
    const elapsed = performance.now() - started;
    expect(pages).toHaveLength(50);
    expect(items).toHaveLength(10_000);
    expect(new Set(items.map((i) => i.id)).size).toBe(10_000);
    expectNewestFirst(items);
    expect(pages.every((p) => p.revision === 10_000)).toBe(true);
    // Far below what scanning and sorting her rows for each of 50 pages would take on a shared machine.
    expect(elapsed).toBeLessThan(10_000);

    // The plan of a later page: an index range from the cursor (the timeline index; with her a large share
    // of the table, as here, the planner may walk the age index back from the cursor instead), stopping at
    // the page's end — never a scan, nor a sort, of all her interactions.
    const queries: CompiledQuery[] = [];
    const watched = new Kysely<HubTables>({
      dialect: new PostgresDialect({ pool: ctx.deps.pool }),
      plugins: [new CamelCasePlugin()],
      log: (e) => {
        if (e.level === 'query') queries.push(e.query);
      },
    });
    await listTimeline(watched, her, { first: 50, after: pages[20]!.endCursor, kinds: ['POINTS'] });
    // The page's own query: the newest revision is read beside it (in parallel, so either may log first).
    const page = queries.find((q) => /order by/i.test(q.sql) && !/\bmax\(/i.test(q.sql))!;
    const plan = await ctx.deps.pool.query(`EXPLAIN (FORMAT JSON) ${page.sql}`, [...page.parameters]);
    const text = JSON.stringify(plan.rows[0]);
    const top = (plan.rows[0] as { 'QUERY PLAN': Array<{ Plan: { 'Node Type': string } }> })[
      'QUERY PLAN'
    ][0]!;
    expect(top.Plan['Node Type']).toBe('Limit');
    expect(text).toMatch(/"Node Type":"Index Scan".*"Index Name":"customer_interactions_(timeline|age)_idx"/);
    for (const whole of ['"Node Type":"Sort"', 'Seq Scan', 'Bitmap']) expect(text).not.toContain(whole);
  });

  it('prunes interactions older than the cut-off, in batches, oldest first', async () => {
    const her = await member();
    await fill(her, 30, '2026-10-01T00:00:10Z'); // 2026-10-01 00:00:01 … 00:00:10
    const cutOff = new Date('2026-10-01T00:00:05Z');
    const before = await ctx.deps.db
      .selectFrom('customerInteractions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('occurredAt', '<', cutOff)
      .executeTakeFirstOrThrow();
    expect(Number(before.n)).toBe(12);
    const rounds: number[] = [];
    for (;;) {
      const n = await pruneTimeline(ctx.deps.db, cutOff, 4);
      rounds.push(n);
      if (n < 4) break;
    }
    expect(rounds).toEqual([4, 4, 4, 0]);
    const left = await walk(her, 200);
    expect(left.items).toHaveLength(18);
    expect(left.items.every((i) => i.at >= cutOff.toISOString())).toBe(true);
    expect(await pruneTimeline(ctx.deps.db, cutOff)).toBe(0);
  });
});
