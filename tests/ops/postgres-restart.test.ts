import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyStockMovements,
  upsertLocation,
  upsertProduct,
  verifyStockLedger,
  loadSnapshotFromDatabase,
} from '../../backoffice-layer/index.js';
import {
  createDatabase,
  migrate,
  startEmbeddedPostgres,
  systemClock,
  type DatabaseHandle,
  type EmbeddedPostgresHandle,
} from '../../shared/index.js';
import type { HubTables } from '../../channel-layer/index.js';

// QUALITY F3: PostgreSQL restarts under load → requests end quickly with UNAVAILABLE, nothing is
// half-written, and the pool recovers by itself. A PostgreSQL of the test's own (embedded), so stopping it
// disturbs nobody else.
describe('PostgreSQL restart under load (F3)', () => {
  const dataDir = `.omnihub/f3-${randomBytes(4).toString('hex')}`;
  const port = 56000 + Math.floor(Math.random() * 3000);
  let pg: EmbeddedPostgresHandle;
  let handle: DatabaseHandle<HubTables>;
  beforeAll(async () => {
    pg = await startEmbeddedPostgres({ dataDir, port });
    handle = createDatabase<HubTables>(pg.url, { max: 8, connectionTimeoutMs: 1500 });
    await migrate(handle.pool);
    const deps = { db: handle.db, clock: systemClock };
    await upsertProduct(deps, 'COAT-M', {
      name: 'Jas',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await upsertLocation(deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
  }, 120_000);
  afterAll(async () => {
    await handle.close().catch(() => undefined);
    await pg.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'answers UNAVAILABLE quickly while it is down, loses and half-writes nothing, and recovers ' +
      'by itself',
    async () => {
      const deps = { db: handle.db, clock: systemClock };
      let running = true;
      let ok = 0;
      let n = 0;
      const failures: Array<{ code: string; ms: number }> = [];
      const loop = async (write: boolean) => {
        while (running) {
          const t0 = Date.now();
          try {
            if (write) {
              await applyStockMovements(
                deps,
                { movements: [{ kind: 'RECEIPT', sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }] },
                `f3-${n++}`,
              );
              ok++;
            } else {
              await loadSnapshotFromDatabase(handle.db, ['COAT-M']);
            }
          } catch (e) {
            failures.push({ code: (e as { code?: string }).code ?? String(e), ms: Date.now() - t0 });
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      };
      const loops = [loop(true), loop(true), loop(true), loop(false), loop(false)];
      // Writes go through before the restart (at least 700 ms of them, and six: a loaded machine is slower).
      await new Promise((r) => setTimeout(r, 700));
      for (const until = Date.now() + 10_000; ok <= 5 && Date.now() < until;)
        await new Promise((r) => setTimeout(r, 50));
      const okBefore = ok;
      await pg.stop();
      await new Promise((r) => setTimeout(r, 1500));
      const failuresWhileDown = failures.length;
      pg = await startEmbeddedPostgres({ dataDir, port });
      const deadline = Date.now() + 20_000;
      const okAtRestart = ok;
      while (ok <= okAtRestart + 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      running = false;
      await Promise.all(loops);

      expect(okBefore).toBeGreaterThan(5);
      expect(failuresWhileDown).toBeGreaterThan(0);
      expect(ok).toBeGreaterThan(okAtRestart + 5); // the pool recovered by itself
      expect(new Set(failures.map((f) => f.code))).toEqual(new Set(['UNAVAILABLE']));
      expect(Math.max(...failures.map((f) => f.ms))).toBeLessThan(5000);
      // All or nothing: the level equals its ledger, and holds every acknowledged receipt (plus at most the
      // ones whose commit was in flight when the connection dropped).
      expect(await verifyStockLedger(handle.db)).toEqual([]);
      const level = await handle.db
        .selectFrom('stockLevels')
        .select('onHand')
        .where('sku', '=', 'COAT-M')
        .executeTakeFirstOrThrow();
      expect(level.onHand).toBeGreaterThanOrEqual(ok);
      expect(level.onHand).toBeLessThanOrEqual(ok + failures.length);
    },
    90_000,
  );
});
