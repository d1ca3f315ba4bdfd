import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { pino } from 'pino';
import {
  createReadModel,
  readModelKeys,
  rebuildReadModel,
  ReadModelRebuildInterrupted,
  setPrice,
  setStockCount,
  startReadModelMaintenance,
  upsertLocation,
  upsertPriceList,
  verifyReadModel,
  type ReadModel,
} from '../../../backoffice-layer/index.js';
import { createDatabase, currentRevision, type Logger } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  testProduct,
  until,
  type BackofficeTestContext,
} from '../../support/backoffice.js';
import { dropDatabase, dumpAndRestore, restoreInto } from '../../support/dump.js';
import { flushRedisPrefix } from '../../support/test-context.js';

// C8 (QUALITY.md): the read model serves only the database it was built from.

const SKU = 'SRC-COAT-M';
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** A logger that keeps what it writes, to see what the hub said. */
function recordingLogger(): { logger: Logger; lines: () => Array<{ level: number; msg: string }> } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (s: string) => {
        lines.push(s);
      },
    },
  );
  return { logger, lines: () => lines.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

async function hub(redisPrefix: string): Promise<BackofficeTestContext> {
  const ctx = await createBackofficeTestContext({ redisPrefix });
  cleanups.push(() => ctx.close());
  return ctx;
}

/** A store, a base price list and one coat at `amount` with stock `onHand`; returns the revision reached. */
async function givenCoat(ctx: BackofficeTestContext, amount: number, onHand: number): Promise<number> {
  await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
  await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
  await testProduct(ctx, SKU);
  await setPrice(ctx.deps, 'base', SKU, { amount, minQuantity: 1 });
  return (await setStockCount(ctx.deps, SKU, 'ams-01', { onHand })).revision;
}

async function reader(ctx: BackofficeTestContext): Promise<ReadModel> {
  const rm = await createReadModel(ctx.deps, { waitMs: 50 });
  cleanups.push(() => rm.close());
  return rm;
}

const answer = async (rm: ReadModel, minRevision?: number) => {
  const s = await rm.getSnapshot([SKU], { minRevision });
  const view = s.skus.get(SKU);
  return {
    source: s.source,
    revision: s.revision,
    amount: view?.prices[0]?.amount ?? null,
    onHand: view?.stock[0]?.onHand ?? null,
  };
};

/**
 * The answer once the reader serves the rebuilt model again (a reader learns of a rebuild by a notice, or at
 * its next fetch).
 */
const fromReadModel = async (rm: ReadModel) => {
  await until(
    async () => (await answer(rm)).source === 'read-model',
    5000,
    'answers from the rebuilt read model',
  );
  return answer(rm);
};

const maintain = (ctx: BackofficeTestContext, logger: Logger) => {
  const m = startReadModelMaintenance({ ...ctx.deps, logger }, { everyMs: 50 });
  cleanups.push(() => m.stop());
  return m;
};

describe('read model: belongs to the database it was built from', () => {
  it(
    'a fresh database under the same Redis: the old state is never served, it is discarded and ' +
      'rebuilt, and revisions never go backwards',
    async () => {
      const prefix = `t${randomBytes(5).toString('hex')}`;
      const old = await hub(prefix);
      await givenCoat(old, 2795, 7);
      for (let i = 0; i < 30; i++) await setStockCount(old.deps, SKU, 'ams-01', { onHand: 8 + i });
      const built = await rebuildReadModel(old.deps);
      const oldReader = await reader(old);
      expect(await answer(oldReader)).toEqual({
        source: 'read-model',
        revision: built.revision,
        amount: 2795,
        onHand: 37,
      });

      // Another database (rm -rf .omnihub && npm start), same Redis and prefix; its revisions are far behind.
      const fresh = await hub(prefix);
      const freshRevision = await givenCoat(fresh, 2595, 3);
      expect(freshRevision).toBeLessThan(built.revision);
      const freshReader = await reader(fresh);
      // Before any worker ran: the other database's state is not served, not even at a revision it claims.
      expect(await answer(freshReader)).toMatchObject({ source: 'database', amount: 2595, onHand: 3 });
      expect(await answer(freshReader, freshRevision)).toMatchObject({
        source: 'database',
        revision: freshRevision,
        amount: 2595,
      });

      const log = recordingLogger();
      maintain(fresh, log.logger);
      await until(
        async () => (await verifyReadModel(fresh.deps)).length === 0,
        15_000,
        'the read model rebuilt from the fresh database',
      );
      expect(log.lines().some((l) => l.level >= 50 && /another database/.test(l.msg))).toBe(true);
      const now = await fromReadModel(freshReader);
      expect(now).toMatchObject({ source: 'read-model', amount: 2595, onHand: 3 });
      // A reader that saw revision N of this Redis never sees a smaller one afterwards.
      expect(now.revision).toBeGreaterThan(built.revision);
      expect(await currentRevision(fresh.deps.db)).toBeGreaterThan(built.revision);
      // A price written now shows at once, with minRevision.
      const { revision } = await setPrice(fresh.deps, 'base', SKU, { amount: 2495, minQuantity: 1 });
      expect(await answer(freshReader, revision)).toMatchObject({ revision, amount: 2495 });
      // And the old hub's readers no longer take the new database's model for theirs.
      expect(await answer(oldReader)).toMatchObject({ source: 'database', amount: 2795, onHand: 37 });
    },
  );

  it(
    'a restored dump (an older copy of the same database) under the same Redis: never served ' +
      'ahead, rebuilt, revisions move on',
    async () => {
      const prefix = `t${randomBytes(5).toString('hex')}`;
      const live = await hub(prefix);
      await givenCoat(live, 2795, 7);
      const backup = await dumpAndRestore(live.databaseUrl); // the nightly backup, at 27,95
      cleanups.push(() => dropDatabase(backup.databaseName));
      await setPrice(live.deps, 'base', SKU, { amount: 3295, minQuantity: 1 });
      for (let i = 0; i < 10; i++) await setStockCount(live.deps, SKU, 'ams-01', { onHand: 20 + i });
      const built = await rebuildReadModel(live.deps);
      expect(await answer(await reader(live))).toMatchObject({
        source: 'read-model',
        amount: 3295,
        onHand: 29,
      });

      // The database is lost and the backup restored; the hub comes back on it with the same Redis.
      const handle = createDatabase(backup.databaseUrl, { max: 4 });
      cleanups.push(() => handle.close());
      const restored: BackofficeTestContext = {
        ...live,
        deps: { ...live.deps, db: handle.db, pool: handle.pool },
      };
      const restoredRevision = await currentRevision(handle.db);
      expect(restoredRevision).toBeLessThan(built.revision);
      const rm = await reader(restored);
      expect(await answer(rm)).toMatchObject({ source: 'database', amount: 2795, onHand: 7 });

      const log = recordingLogger();
      maintain(restored, log.logger);
      await until(
        async () => (await verifyReadModel(restored.deps)).length === 0,
        15_000,
        'the read model rebuilt from the restored database',
      );
      expect(log.lines().some((l) => l.level >= 50)).toBe(true);
      const now = await fromReadModel(rm);
      expect(now).toMatchObject({ source: 'read-model', amount: 2795, onHand: 7 });
      expect(now.revision).toBeGreaterThan(built.revision);
    },
  );

  it(
    'a backup restored in place and written past the read model again (same identity, revisions ' +
      'reused): detected by its anchor, never served',
    async () => {
      const prefix = `t${randomBytes(5).toString('hex')}`;
      const live = await hub(prefix);
      await givenCoat(live, 8995, 3);
      const backup = await dumpAndRestore(live.databaseUrl); // taken a few transactions back
      cleanups.push(() => dropDatabase(backup.databaseName));
      await setStockCount(live.deps, SKU, 'ams-01', { onHand: 1111 });
      await setPrice(live.deps, 'base', SKU, { amount: 7777, minQuantity: 1 });
      const built = await rebuildReadModel(live.deps);
      expect(await answer(await reader(live))).toMatchObject({
        source: 'read-model',
        amount: 7777,
        onHand: 1111,
      });

      // The backup goes back into the same database (same identity), and traffic writes past the model's
      // revision again.
      await restoreInto(backup.databaseUrl, live.databaseUrl);
      await upsertLocation(live.deps, 'rtm-01', { name: 'Rotterdam', kind: 'STORE', fulfilsOnline: false });
      for (let i = 0; i < 4; i++) await testProduct(live, `SRC-OTHER-${i}`);
      expect(await currentRevision(live.deps.db)).toBeGreaterThan(built.revision);
      const rm = await reader(live);
      expect(await answer(rm)).toMatchObject({ source: 'database', amount: 8995, onHand: 3 });

      const log = recordingLogger();
      maintain(live, log.logger);
      await until(
        async () =>
          (await verifyReadModel(live.deps)).length === 0 &&
          (await live.deps.redis.get(readModelKeys(live.redisPrefix).built)) !== null,
        15_000,
        'the read model rebuilt',
      );
      expect(log.lines().some((l) => l.level >= 50 && /does not hold/.test(l.msg))).toBe(true);
      expect(await fromReadModel(rm)).toMatchObject({ source: 'read-model', amount: 8995, onHand: 3 });
    },
  );

  it(
    'a read model ahead of its own database (what a point-in-time recovery leaves) is not ' +
      'trusted, and is rebuilt past it',
    async () => {
      const ctx = await hub(`t${randomBytes(5).toString('hex')}`);
      await givenCoat(ctx, 2795, 7);
      const built = await rebuildReadModel(ctx.deps);
      // Same identity, but the model claims revisions this database has not reached (they were lost with the
      // recovery).
      const ahead = built.revision + 40;
      await ctx.deps.redis.set(readModelKeys(ctx.redisPrefix).watermark, String(ahead));
      const rm = await reader(ctx);
      expect(await answer(rm)).toMatchObject({ source: 'database', revision: built.revision });
      const log = recordingLogger();
      maintain(ctx, log.logger);
      // The model built before is still there until maintenance finds it ahead: wait for that finding first,
      // then for the model rebuilt after it.
      const foundAhead = () => log.lines().some((l) => l.level >= 50 && /ahead of its database/.test(l.msg));
      await until(async () => foundAhead(), 15_000, 'the read model found ahead of its database');
      await until(
        async () =>
          (await ctx.deps.redis.get(readModelKeys(ctx.redisPrefix).built)) !== null &&
          (await verifyReadModel(ctx.deps)).length === 0 &&
          (await answer(rm)).source === 'read-model',
        15_000,
        'the rebuilt read model',
      );
      const now = await fromReadModel(rm);
      expect(now).toMatchObject({ source: 'read-model', amount: 2795 });
      expect(now.revision).toBeGreaterThan(ahead);
    },
  );

  it(
    'Redis lost during a rebuild: the rebuild does not claim a complete model, and the guardian ' +
      'builds it whole',
    async () => {
      const ctx = await hub(`t${randomBytes(5).toString('hex')}`);
      await givenCoat(ctx, 2795, 7);
      await sql`INSERT INTO products
        (sku, name, category, attributes, vat_rate_bp, status, revision, created_at, updated_at)
      SELECT 'SRC-BULK-' || i, 'Bulk', 'coats', '{}', 2100, 'ACTIVE', 1, now(), now()
      FROM generate_series(1, 4000) i`.execute(ctx.deps.db);
      const keys = readModelKeys(ctx.redisPrefix);
      const rebuilding = rebuildReadModel(ctx.deps, [], { pageSize: 5 });
      await until(
        async () => (await ctx.deps.redis.exists(keys.product('SRC-BULK-1'))) === 1,
        10_000,
        'the rebuild under way',
      );
      await flushRedisPrefix(ctx.deps.redis, ctx.redisPrefix);
      await expect(rebuilding).rejects.toBeInstanceOf(ReadModelRebuildInterrupted);
      expect(await ctx.deps.redis.get(keys.built)).toBeNull();
      expect(await verifyReadModel(ctx.deps)).toMatchObject([{ section: 'source', actual: null }]);

      maintain(ctx, recordingLogger().logger);
      await until(
        async () => (await verifyReadModel(ctx.deps)).length === 0,
        15_000,
        'the read model whole again',
      );
    },
  );
});
