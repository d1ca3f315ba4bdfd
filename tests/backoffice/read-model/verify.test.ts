import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyEvent,
  readModelConsumer,
  rebuildReadModel,
  toEnvelope,
  verifyReadModel,
} from '../../../backoffice-layer/index.js';
import {
  createBackofficeTestContext,
  testProduct,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

describe('verifyReadModel compares what readers are served', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(
    'a product with no price yet is not a difference (no prices section is served as no prices); ' +
      'a wrong one is',
    async () => {
      await rebuildReadModel(ctx.deps);
      await testProduct(ctx, 'VER-NO-PRICE');
      const consumer = readModelConsumer(ctx.deps);
      for (const row of await ctx.deps.db.selectFrom('outbox').selectAll().orderBy('position').execute()) {
        await applyEvent(ctx.deps.db, [consumer], toEnvelope(row), new Date());
      }
      expect(await verifyReadModel(ctx.deps)).toEqual([]);
      await ctx.deps.db
        .updateTable('products')
        .set({ name: 'Changed behind the hub' })
        .where('sku', '=', 'VER-NO-PRICE')
        .execute();
      expect(await verifyReadModel(ctx.deps)).toMatchObject([{ sku: 'VER-NO-PRICE', section: 'product' }]);
    },
  );
});
