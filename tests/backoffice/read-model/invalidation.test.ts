import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyEvent,
  createReadModel,
  readModelConsumer,
  readModelKeys,
  rebuildReadModel,
  toEnvelope,
  upsertProduct,
  type ReadModelChange,
} from '../../../backoffice-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

describe('read model: in-process caches on several API nodes', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  /**
   * What the event worker does, in outbox order: applies every event to the read-model consumer (once each).
   */
  const applyAll = async (): Promise<string[][]> => {
    const rows = await ctx.deps.db.selectFrom('outbox').selectAll().orderBy('position').execute();
    const consumer = readModelConsumer(ctx.deps);
    const out: string[][] = [];
    for (const row of rows) {
      const event = toEnvelope(row);
      out.push(await applyEvent(ctx.deps.db, [consumer], event, new Date()));
    }
    return out;
  };
  const nextNotice = (
    rm: Awaited<ReturnType<typeof createReadModel>>,
    sku: string,
  ): Promise<ReadModelChange> =>
    new Promise((resolve) => {
      const off = rm.onChange((c) => {
        if (c.skus?.includes(sku)) {
          off();
          resolve(c);
        }
      });
    });

  it('serves from memory, and one change notice drops the stale entry on every node at once', async () => {
    const first = await upsertProduct(ctx.deps, 'INV-1', {
      name: 'Old name',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await rebuildReadModel(ctx.deps);
    await applyAll();
    const a = await createReadModel(ctx.deps, { waitMs: 1000 });
    const b = await createReadModel(ctx.deps, { waitMs: 1000 });
    try {
      for (const rm of [a, b]) {
        const snap = await rm.getSnapshot(['INV-1'], { minRevision: first.revision });
        expect(snap.source).toBe('read-model');
        expect(snap.skus.get('INV-1')?.product.name).toBe('Old name');
      }

      // Change Redis behind the nodes' backs (no notice): both keep answering from memory, proving the cache
      // is used.
      const key = readModelKeys(ctx.redisPrefix).product('INV-1');
      const stored = JSON.parse((await ctx.deps.redis.get(key))!) as { rev: number; v: { name: string } };
      await ctx.deps.redis.set(
        key,
        JSON.stringify({ rev: stored.rev, v: { ...stored.v, name: 'Not announced' } }),
      );
      for (const rm of [a, b])
        expect((await rm.getSnapshot(['INV-1'])).skus.get('INV-1')?.product.name).toBe('Old name');
      await ctx.deps.redis.set(key, JSON.stringify(stored));

      // A real change, applied by the read-model consumer: its notice reaches both nodes, which drop the
      // entry.
      const second = await upsertProduct(ctx.deps, 'INV-1', {
        name: 'New name',
        category: 'coats',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      const noticed = Promise.all([nextNotice(a, 'INV-1'), nextNotice(b, 'INV-1')]);
      // Only the new event is applied now; the earlier ones were applied before.
      const applied = await applyAll();
      expect(applied.filter((a) => a.length > 0)).toEqual([['read-model']]);
      expect(applied.at(-1)).toEqual(['read-model']);
      const notices = await noticed;
      expect(notices.map((n) => n.revision)).toEqual([second.revision, second.revision]);
      for (const rm of [a, b]) {
        // No minRevision: what makes the new name visible is the invalidation, not a wait for a revision.
        const snap = await rm.getSnapshot(['INV-1']);
        expect(snap.source).toBe('read-model');
        expect(snap.skus.get('INV-1')?.product.name).toBe('New name');
        expect(snap.revision).toBeGreaterThanOrEqual(second.revision);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
