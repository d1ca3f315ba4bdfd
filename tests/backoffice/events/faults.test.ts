import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  createReadModel,
  setPrice,
  setStockCount,
  upsertPriceList,
  verifyReadModel,
} from '../../../backoffice-layer/index.js';
import { runWrite } from '../../../shared/index.js';
import { flushRedisPrefix } from '../../support/test-context.js';
import {
  createBackofficeTestContext,
  testProduct,
  until,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

// F1 and F2 (QUALITY.md): real worker child processes (tests/support/worker-process.ts) against this file's
// database.

describe('faults', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await sql`CREATE TABLE test_effects (id bigserial PRIMARY KEY, event_id uuid NOT NULL)`.execute(
      ctx.deps.db,
    );
  });
  afterAll(async () => {
    await ctx.close();
  });

  const startWorker = (): { child: ChildProcess; ready: Promise<void> } => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/worker-process.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: ctx.databaseUrl,
        REDIS_URL: ctx.redisUrl,
        OMNIHUB_REDIS_PREFIX: ctx.redisPrefix,
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('worker ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
    ready.catch(() => undefined);
    return { child, ready };
  };
  const kill = async (child: ChildProcess) => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  const givenWarehouse = async () => {
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await runWrite(ctx.deps, async (w) => {
      w.atRevision(async (tx, revision) => {
        await tx
          .insertInto('locations')
          .values({
            id: 'wh-1',
            name: 'Warehouse',
            kind: 'WAREHOUSE',
            fulfilsOnline: true,
            revision,
            createdAt: w.now,
            updatedAt: w.now,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      });
      w.emit({
        type: 'location.changed',
        aggregateType: 'location',
        aggregateId: 'wh-1',
        payload: { location: { id: 'wh-1', name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true } },
      });
    });
    for (let i = 0; i < 15; i++) await testProduct(ctx, `F1-${i}`);
  };
  const everyEventOnce = async (): Promise<{ events: number; effects: number; duplicates: number }> => {
    const r = await sql<{ events: number; effects: number; duplicates: number }>`
      SELECT (SELECT count(*) FROM outbox)::int AS events,
             (SELECT count(*) FROM test_effects)::int AS effects,
             (SELECT count(*) FROM (SELECT event_id FROM test_effects GROUP BY event_id
                                    HAVING count(*) > 1) d)::int
               AS duplicates`.execute(ctx.deps.db);
    return r.rows[0]!;
  };

  /**
   * Waits until every outbox event took effect — as long as the worker makes progress (a loaded machine is
   * slow, not stuck); fails when no event took effect for 15 s (or after 90 s in all), saying what is stuck
   * and what BullMQ holds for it.
   */
  const untilEveryEventApplied = async (what: string, worker: ChildProcess): Promise<void> => {
    let last = -1;
    let progressAt = Date.now();
    const started = Date.now();
    await until(
      async () => {
        const s = await everyEventOnce();
        if (s.effects !== last) {
          last = s.effects;
          progressAt = Date.now();
        }
        if (s.effects >= s.events) return true;
        if (Date.now() - progressAt > 15_000 || Date.now() - started > 90_000)
          throw new Error(
            `timed out waiting for ${what} (${s.effects} of ${s.events} applied, none for ` +
              `${Math.round((Date.now() - progressAt) / 1000)} s)`,
          );
        return false;
      },
      95_000,
      what,
    ).catch(async (e: unknown) => {
      const stuck = await sql<{
        id: string;
        publishedAt: Date | null;
      }>`SELECT o.id, o.published_at FROM outbox o
         WHERE NOT EXISTS (SELECT 1 FROM test_effects t WHERE t.event_id = o.id)
         ORDER BY o.position LIMIT 5`.execute(ctx.deps.db);
      const states = await Promise.all(
        stuck.rows.map(async (r) => {
          const job = await ctx.deps.queues.events.getJob(r.id);
          return (
            `${r.id} published=${r.publishedAt?.toISOString() ?? 'no'} ` +
            `job=${job ? await job.getState() : 'none'} attempts=${job?.attemptsMade ?? '-'} ` +
            `stalled=${job?.stalledCounter ?? '-'} delay=${job?.delay ?? '-'} ` +
            `failed=${job?.failedReason ?? '-'}`
          );
        }),
      );
      throw new Error(
        `${(e as Error).message}; stuck: ${states.join(' | ')}; worker alive=${worker.exitCode === null}`,
      );
    });
  };

  it(
    'F1: a worker killed mid-job again and again still applies every event exactly once, and the ' +
      'read model equals a rebuild',
    async () => {
      await givenWarehouse();
      let writing = true;
      let writes = 0;
      const writer = (async () => {
        while (writing) {
          const sku = `F1-${writes % 15}`;
          await testProduct(ctx, sku);
          await setPrice(ctx.deps, 'base', sku, { amount: 1000 + writes, minQuantity: 1 });
          await setStockCount(ctx.deps, sku, 'wh-1', { onHand: writes % 40 });
          writes++;
          // A steady trickle (≈ 150 events/s at most) that the slowed test consumer can drain within the
          // test's time.
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      for (let kill_ = 0; kill_ < 5; kill_++) {
        const w = startWorker();
        await w.ready;
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 400));
        await kill(w.child);
      }
      writing = false;
      await writer;
      expect(writes).toBeGreaterThan(20);
      const last = startWorker();
      try {
        await last.ready;
        await untilEveryEventApplied('every event applied', last.child);
        const s = await everyEventOnce();
        expect(s.duplicates).toBe(0);
        expect(s.effects).toBe(s.events);
        await until(
          async () => (await verifyReadModel(ctx.deps)).length === 0,
          10_000,
          'read model equal to a rebuild',
        );
      } finally {
        await kill(last.child);
      }
    },
    150_000,
  ); // six worker processes start one after another: slow on a loaded machine

  it(
    'F2: Redis loses everything: reads fall back to PostgreSQL ' + 'with no error, nothing committed is lost',
    async () => {
      await givenWarehouse();
      const w = startWorker();
      const rm = await createReadModel(ctx.deps, { waitMs: 100 });
      try {
        await w.ready;
        let writing = true;
        let lastRevision = 0;
        const errors: unknown[] = [];
        const writer = (async () => {
          for (let i = 0; writing; i++) {
            lastRevision = (await setStockCount(ctx.deps, `F1-${i % 15}`, 'wh-1', { onHand: 100 + i }))
              .revision;
            // ≈ 200 events/s at most: drained within the test's time
            await new Promise((r) => setTimeout(r, 4));
          }
        })();
        const reader = (async () => {
          while (writing) {
            const min = lastRevision;
            try {
              const snap = await rm.getSnapshot(['F1-1', 'F1-2'], { minRevision: min });
              if (snap.revision < min) errors.push(new Error(`answered ${snap.revision} < ${min}`));
            } catch (e) {
              errors.push(e);
            }
            // answers from memory resolve without I/O: let the writer run
            await new Promise((r) => setImmediate(r));
          }
        })();
        await new Promise((r) => setTimeout(r, 500));
        // what FLUSHALL does to this hub, in one step
        await flushRedisPrefix(ctx.deps.redis, ctx.redisPrefix);
        await new Promise((r) => setTimeout(r, 1500));
        writing = false;
        await Promise.all([writer, reader]);
        expect(errors).toEqual([]);
        await untilEveryEventApplied('every event applied after the flush', w.child);
        expect((await everyEventOnce()).duplicates).toBe(0);
        await until(
          async () => (await verifyReadModel(ctx.deps)).length === 0,
          15_000,
          'read model equal to a rebuild',
        );
        const snap = await rm.getSnapshot(['F1-1'], { minRevision: lastRevision });
        expect(snap.revision).toBeGreaterThanOrEqual(lastRevision);
      } finally {
        await rm.close();
        await kill(w.child);
      }
    },
    120_000,
  );
});
