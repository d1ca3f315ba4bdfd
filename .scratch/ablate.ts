// Scratch: PostgreSQL CPU per reservation on a hot SKU, with ablations.
import { readFileSync } from 'node:fs';
import { reserveStock, setStockCount, ReservationQueue } from '../backoffice-layer/index.js';
import { closedLoop, createBenchDatabase } from '../bench/support.js';
import { upsertLocation } from '../backoffice-layer/index.js';

const variant = process.argv[2] ?? 'base';
const N = Number(process.argv[3] ?? 3000);
const bench = await createBenchDatabase('ablate', { poolSize: 20 });
const { deps } = bench;
const cpu = async () => {
  const pids = (await deps.pool.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)).rows.map((r) => r.pid as number);
  let t = 0;
  for (const p of pids) {
    try { const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' '); t += Number(f[11]) + Number(f[12]); } catch {}
  }
  return t * 10; // ms (100 Hz)
};
try {
  await upsertLocation(deps, 'wh', { name: 'W', kind: 'WAREHOUSE', fulfilsOnline: true });
  await deps.pool.query(`INSERT INTO products (sku, name, category, attributes, vat_rate_bp, status, revision, created_at, updated_at) VALUES ('HOT','Hot','b','{}',2100,'ACTIVE',1,now(),now())`);
  await deps.pool.query(`INSERT INTO stock_levels (sku, location_id, on_hand, reserved, safety_stock, revision, updated_at) VALUES ('HOT','wh',0,0,0,1,now())`).catch((e) => console.log(String(e)));
  await setStockCount(deps, 'HOT', 'wh', { onHand: 50_000_000 });
  const sqls: Record<string, string> = {
    fk: 'ALTER TABLE reservation_lines DROP CONSTRAINT reservation_lines_reservation_id_fkey',
    trig: 'ALTER TABLE reservation_lines DISABLE TRIGGER USER; ALTER TABLE reservations DISABLE TRIGGER USER',
    ledger: "ALTER TABLE stock_movements DISABLE TRIGGER ALL",
  };
  for (const v of variant.split('+')) if (sqls[v]) await deps.pool.query(sqls[v]!);
  const q = new ReservationQueue();
  const d = { ...deps, reservationQueue: q };
  let n = 0;
  await closedLoop(16, 1000, async (l, i) => { await reserveStock(d, { lines: [{ sku: 'HOT', locationId: 'wh', quantity: 1 }], ttlSeconds: 3600, channel: 'WEB' }, `w-${l}-${i}`); });
  const c0 = await cpu(); const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let inflight = 0;
    const go = () => { while (inflight < 16 && n < N) { inflight++; const k = n++; reserveStock(d, { lines: [{ sku: 'HOT', locationId: 'wh', quantity: 1 }], ttlSeconds: 3600, channel: 'WEB' }, `x-${k}`).finally(() => { inflight--; if (n >= N && inflight === 0) resolve(); else go(); }); } };
    go();
  });
  const c1 = await cpu(); const t1 = performance.now();
  console.log(`${variant}: ${N} reservations in ${(t1 - t0).toFixed(0)} ms = ${(N / (t1 - t0) * 1000).toFixed(0)}/s; PG CPU ${((c1 - c0) / N * 1000).toFixed(0)} µs per reservation`);
} finally {
  await bench.close();
}
