import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { sql } from 'kysely';
import { inlineParameters } from '../../shared/database/inline-sql.js';
import { runWrite } from '../../shared/index.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.close();
});

// Statements that travel with BEGIN or COMMIT carry their parameters as literals: PostgreSQL must read
// exactly the values it would have received as parameters.
describe('parameters written as literals', () => {
  const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\u0000'));
  const value = fc.record({
    t: text,
    ts: fc.array(fc.option(text, { nil: null }), { maxLength: 6 }),
    n: fc.integer(),
    ns: fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { maxLength: 6 }),
    b: fc.boolean(),
    at: fc.date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('2200-01-01T00:00:00Z'),
      noInvalidDate: true,
    }),
    j: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    nothing: fc.constant(null),
  });

  it('reads back every value as the parameterised statement does (property-based)', async () => {
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        const q = sql<
          Record<string, unknown>
        >`SELECT ${v.t}::text AS t, ${v.ts}::text[] AS ts, ${v.n}::int8 AS n, ${v.ns}::int[] AS ns,
        ${v.b}::boolean AS b, ${v.at}::timestamptz AS at, ${v.j}::jsonb AS j, ${v.nothing}::text AS nothing,
        ${v.t} = ${v.t} AS same`;
        const compiled = q.compile(ctx.deps.db);
        const inlined = inlineParameters(compiled);
        expect(inlined).not.toBeNull();
        const asParameters = await q.execute(ctx.deps.db);
        const asLiterals = await sql<Record<string, unknown>>`${sql.raw(inlined!)}`.execute(ctx.deps.db);
        expect(asLiterals.rows).toEqual(asParameters.rows);
      }),
      { numRuns: 150 },
    );
  });

  it('declines what it cannot write, so the statement goes with its parameters', () => {
    expect(inlineParameters({ sql: 'SELECT $1', parameters: [Buffer.from('x')] })).toBeNull();
    expect(inlineParameters({ sql: 'SELECT $1', parameters: ['a\u0000b'] })).toBeNull();
    expect(inlineParameters({ sql: 'SELECT $1', parameters: [Number.NaN] })).toBeNull();
    expect(inlineParameters({ sql: 'SELECT $1', parameters: [[{ nested: 'object' }]] })).toBeNull();
    expect(inlineParameters({ sql: 'SELECT $2', parameters: ['only one'] })).toBeNull();
    expect(
      inlineParameters({
        sql: 'SELECT $1, $10',
        parameters: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', "it's"],
      }),
    ).toBe("SELECT 'a', 'it''s'");
  });

  it('commits a write whose tail went with COMMIT, and rolls back one that failed before it', async () => {
    const { revision } = await runWrite(
      ctx.deps,
      async (w) => {
        await w.tx
          .insertInto('locations')
          .values({
            id: 'obrien-1',
            name: 'O\'Brien "and" backslash \\',
            kind: 'STORE',
            fulfilsOnline: false,
            revision: 0,
            createdAt: w.now,
            updatedAt: w.now,
          })
          .execute();
        w.atRevisionSql((rev) => sql`UPDATE locations SET revision = ${rev} WHERE id = ${'obrien-1'}`);
        w.emit({
          type: 'location.changed',
          aggregateType: 'location',
          aggregateId: 'obrien-1',
          payload: { note: 'it\'s \\ "quoted"' },
        });
      },
      { idempotency: { scope: 'test', key: "k'ey", request: { a: "b'c" } } },
    );
    const row = await ctx.deps.db
      .selectFrom('locations')
      .select(['name', 'revision'])
      .where('id', '=', 'obrien-1')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'O\'Brien "and" backslash \\', revision });
    const out = await ctx.deps.db
      .selectFrom('outbox')
      .select('payload')
      .where('revision', '=', revision)
      .executeTakeFirstOrThrow();
    expect(out.payload).toEqual({ note: 'it\'s \\ "quoted"' });
    const replay = await runWrite(
      ctx.deps,
      async () => {
        throw new Error('must not run');
      },
      { idempotency: { scope: 'test', key: "k'ey", request: { a: "b'c" } } },
    );
    expect(replay).toMatchObject({ replayed: true, revision });

    await expect(
      runWrite(
        ctx.deps,
        async (w) => {
          await w.tx
            .insertInto('locations')
            .values({
              id: 'never',
              name: 'Never',
              kind: 'STORE',
              fulfilsOnline: false,
              revision: 0,
              createdAt: w.now,
              updatedAt: w.now,
            })
            .execute();
          w.atRevisionSql(() => sql`UPDATE locations SET revision = -1 WHERE id = ${'never'} AND 1 / 0 = 1`);
          w.emit({ type: 'location.changed', aggregateType: 'location', aggregateId: 'never', payload: {} });
        },
        { idempotency: { scope: 'test', key: 'failing', request: {} } },
      ),
    ).rejects.toThrow();
    expect(
      await ctx.deps.db.selectFrom('locations').select('id').where('id', '=', 'never').execute(),
    ).toEqual([]);
    expect(
      await ctx.deps.db.selectFrom('idempotencyKeys').select('key').where('key', '=', 'failing').execute(),
    ).toEqual([]);
    // The connection went back to the pool usable: the next write on it commits.
    const after = await runWrite(ctx.deps, async (w) => {
      w.emit({ type: 'location.changed', aggregateType: 'location', aggregateId: 'x', payload: {} });
    });
    expect(after.revision).toBeGreaterThan(revision);
  });
});
