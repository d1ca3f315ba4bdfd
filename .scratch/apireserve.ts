import http from 'node:http';
import { setStockCount, upsertLocation } from '../backoffice-layer/index.js';
import { createChannelClient } from '../channel-layer/index.js';
import { createBenchDatabase, hubEnv, omnihubArgs, postGraphql, startChild, percentile, closedLoop } from '../bench/support.js';
const bench = await createBenchDatabase('apires', { poolSize: 8 });
const { deps } = bench;
await upsertLocation(deps, 'wh', { name: 'W', kind: 'WAREHOUSE', fulfilsOnline: true });
await deps.pool.query(`INSERT INTO products (sku, name, category, attributes, vat_rate_bp, status, revision, created_at, updated_at) VALUES ('HOT-1','Hot','b','{}',2100,'ACTIVE',1,now(),now())`);
await setStockCount(deps, 'HOT-1', 'wh', { onHand: 50_000_000 });
await deps.pool.query(`ALTER DATABASE ${(await deps.pool.query('select current_database() d')).rows[0].d} SET log_min_duration_statement = 0`);
await deps.pool.query(`ALTER DATABASE ${(await deps.pool.query('select current_database() d')).rows[0].d} SET log_line_prefix = '%m [%p] %d '`).catch(()=>{});
const hub = await startChild(omnihubArgs('api'), hubEnv(bench, { PORT: '0', ...(process.env.EXTRA ? JSON.parse(process.env.EXTRA) : {}) }));
const { key } = await createChannelClient(deps.db, { name: 'bench', channel: 'WEB', scopes: ['rate:999999999', 'held-units:999999999'] }, new Date());
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const mut = process.argv[2] === 'offer' ? null : 'mutation($k: String!) { reserveStock(input: { lines: [{ sku: "HOT-1", quantity: 1, locationId: "wh" }], ttlSeconds: 3600 }, idempotencyKey: $k) { id revision } }';
let n = 0;
const one = async () => {
  const body = mut ? JSON.stringify({ query: mut, variables: { k: `k-${n++}` } }) : JSON.stringify({ query: '{ offer(sku: "HOT-1") { sku revision } }' });
  const t = performance.now();
  const { status, text } = await postGraphql(agent, hub.port, key, body);
  if (status !== 200 || text.includes('"errors"')) throw new Error(text.slice(0, 300));
  return performance.now() - t;
};
for (let i = 0; i < 20; i++) await one();
const seq: number[] = [];
for (let i = 0; i < 3; i++) seq.push(await one());
console.log('sequential p50', percentile(seq, 50).toFixed(2), 'p99', percentile(seq, 99).toFixed(2));
for (const c of [16]) {
  const r = await closedLoop(c, 8000, async () => { await one(); });
  console.log(c, 'callers', JSON.stringify(r).slice(0, 300));
}
const m = await (await fetch(`http://127.0.0.1:${hub.port}/metrics`, { headers: { authorization: "Bearer mtok-123456789012345678901234" } })).text();
console.log(m.split('\n').filter((l) => /_sum|_count/.test(l) && !/nodejs|process_/.test(l)).join('\n'));
hub.child.kill();
await bench.close();
