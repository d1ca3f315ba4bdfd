import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from 'graphql-ws';
import type { HubTables } from '../../channel-layer/index.js';
import { customerDataRevisions } from '../../journey-layer/index.js';
import { createDatabase, createRedis, withDatabaseName } from '../../shared/index.js';
import { runCli, waitForOutput, type CliProcess } from '../ops/cli-process.js';
import { TEST_ENV } from '../support/services.js';
import { deleteRedisPrefix } from '../support/test-context.js';
import { httpOperation, watch, wsClient } from '../support/ws.js';
import { queryOnce, startPgBouncer, type PgBouncer } from './local-servers.js';

/** The migration lock's key (shared/database/migrate.ts), as pg_locks shows a bigint advisory key. */
const MIGRATION_LOCK_KEY = 7_401_355_120;

interface OfferPush {
  offerChanged: { revision: string; price: { final: { amount: number } }; availability: Availability };
}
interface Availability {
  online: { available: number };
}

// Every feature with PgBouncer in transaction mode between the hub and PostgreSQL: an API node and a worker
// (`omnihub api`, `omnihub worker`, as deployed) whose DATABASE_URL is the pooler — four server connections
// shared by all their clients — and whose DATABASE_DIRECT_URL reaches PostgreSQL itself, for the relay's
// LISTEN and the migrations' advisory lock. They start on an empty database and migrate it together.
describe('the hub behind PgBouncer in transaction mode', () => {
  const adminUrl = process.env[TEST_ENV.adminUrl]!;
  const redisUrl = process.env[TEST_ENV.redisUrl]!;
  const databaseName = `omnihub_t_${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString('hex')}`;
  const directUrl = withDatabaseName(adminUrl, databaseName);
  const redisPrefix = `tpgb${randomBytes(4).toString('hex')}`;
  const ADMIN_KEY = 'pooled-hub-admin-key-0123456789';
  let bouncer: PgBouncer;
  let api: CliProcess;
  let worker: CliProcess;
  let port: number;
  let key: string;
  let ws: Client | undefined;

  const admin = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`http://127.0.0.1:${port}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        ...(body !== undefined ? { 'content-type': contentType } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const a = await httpOperation(port, key, query, variables);
    expect(a.errors).toBeUndefined();
    return a.data;
  };
  /** Transactions PgBouncer has run for the hub's database so far. */
  const pooledTransactions = async () => {
    const rows = await bouncer.admin<{ database: string; total_xact_count: string }>('SHOW STATS');
    return Number(rows.find((r) => r.database === databaseName)?.total_xact_count ?? 0);
  };

  beforeAll(async () => {
    await queryOnce(adminUrl, `CREATE DATABASE "${databaseName}"`);
    // Through a pooler the hub's statement timeout cannot travel in the startup packet (PgBouncer ignores it,
    // see the README's "Scaling out"): it is the database's setting instead.
    await queryOnce(adminUrl, `ALTER DATABASE "${databaseName}" SET statement_timeout = '30s'`);
    bouncer = await startPgBouncer(directUrl, { poolSize: 4 });
    const env = {
      DATABASE_URL: bouncer.url,
      DATABASE_DIRECT_URL: directUrl,
      REDIS_URL: redisUrl,
      OMNIHUB_REDIS_PREFIX: redisPrefix,
      OMNIHUB_ADMIN_KEY: ADMIN_KEY,
      OMNIHUB_HOST: '127.0.0.1',
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
    };
    // Both at once on the empty database: the migrations' advisory lock lets one of them apply everything.
    api = runCli(['api'], { ...env, PORT: '0' });
    worker = runCli(['worker'], env);
    port = Number((await waitForOutput(api, /listening:\s+http:\/\/[^\s]*:(\d+)/, 90_000))[1]);
    await waitForOutput(worker, /Omnihub worker ready/, 90_000);
    const client = await admin('POST', '/clients', { name: 'web shop', channel: 'WEB' });
    expect(client.status).toBeLessThan(300);
    key = client.body.key as string;
  }, 180_000);

  afterAll(async () => {
    await ws?.dispose();
    for (const p of [api, worker].filter(Boolean)) {
      p.child.kill('SIGTERM');
      await Promise.race([p.exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    }
    await bouncer?.stop();
    await queryOnce(adminUrl, `DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`).catch(
      () => undefined,
    );
    const redis = createRedis(redisUrl);
    await deleteRedisPrefix(redis, redisPrefix).catch(() => undefined);
    redis.disconnect();
  });

  it('migrated through the direct connection, and left no session lock behind', async () => {
    const [migrated] = await queryOnce<{ n: string }>(
      directUrl,
      'SELECT count(*) AS n FROM schema_migrations',
    );
    expect(Number(migrated!.n)).toBeGreaterThan(10);
    const locks = await queryOnce(
      directUrl,
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory'
         AND ((classid::bigint << 32) | objid::bigint) = $1`,
      [MIGRATION_LOCK_KEY],
    );
    expect(locks).toEqual([]);
    // A pooled connection has the hub's statement timeout all the same.
    const [timeout] = await queryOnce<{ statement_timeout: string }>(bouncer.url, 'SHOW statement_timeout');
    expect(timeout!.statement_timeout).toBe('30s');
  });

  it('listens for the outbox on a direct connection, not on one of the pooler’s', async () => {
    const listening = await queryOnce<{ application_name: string; client_port: number }>(
      directUrl,
      `SELECT application_name, client_port FROM pg_stat_activity
        WHERE datname = current_database() AND query = 'LISTEN omnihub_outbox'`,
    );
    expect(listening.map((l) => l.application_name)).toEqual(['omnihub-direct']);
    const pooled = await bouncer.admin<{ local_port: number }>('SHOW SERVERS');
    expect(pooled.map((s) => Number(s.local_port))).not.toContain(listening[0]!.client_port);
  });

  it('writes, reads, pushes and imports with the pooler in the path', async () => {
    const before = await pooledTransactions();
    // The catalogue through the admin API.
    let catalogued = 0;
    for (const [path, body] of [
      ['/locations/wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true }],
      ['/price-lists/base', { name: 'Base', currency: 'EUR', priority: 0 }],
      ['/products/COAT-M', { name: 'Jas', category: 'coats', vatRate: 21, attributes: {}, status: 'ACTIVE' }],
      ['/price-lists/base/prices/COAT-M', { amount: 12995 }],
      ['/stock/COAT-M/wh-1', { onHand: 10 }],
    ] as const) {
      const put = await admin('PUT', path, body);
      expect({ path, status: put.status }).toEqual({ path, status: 200 });
      catalogued = Math.max(catalogued, Number(put.body.revision));
    }
    // The worker applies the catalogue to the read model on its own time (a loaded machine: later), and a
    // subscription has no minRevision: read the offer at the catalogue's revision first, as a client would.
    await gql('query($r: Revision) { offer(sku: "COAT-M", minRevision: $r) { revision } }', {
      r: String(catalogued),
    });

    // A subscriber on the API node: the current offer at once, then a push for every change below.
    ws = wsClient(port, key);
    const sub = watch<OfferPush>(
      ws,
      'subscription { offerChanged(sku: "COAT-M") { revision price { final { amount } } ' +
        'availability { online { available } } } }',
    );
    await sub.first;
    expect(sub.errors).toBeUndefined();
    const pushed = async (revision: number): Promise<OfferPush['offerChanged']> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        // A push may carry an error instead (UNAVAILABLE while the machine is loaded): the next one counts.
        const hit = sub.values.find((v) => v && Number(v.offerChanged.revision) >= revision);
        if (hit) return hit.offerChanged;
        if (Date.now() > deadline)
          throw new Error(
            `no push at revision ${revision}: ` +
              JSON.stringify({ values: sub.values, errors: sub.pushErrors }),
          );
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    // A price change: pushed, and read at its revision.
    const price = await admin('PUT', '/price-lists/base/prices/COAT-M', { amount: 9995 });
    expect(price.status).toBe(200);
    expect((await pushed(price.body.revision)).price.final.amount).toBe(9995);
    const read = await gql(
      'query($r: Revision) { offer(sku: "COAT-M", minRevision: $r) { revision price { final { amount } } } }',
      { r: String(price.body.revision) },
    );
    expect(read.offer.price.final.amount).toBe(9995);

    // A reservation, then an order on it.
    const reservation = (
      await gql(
        'mutation($k: String!) { reserveStock(input: { lines: [{ sku: "COAT-M", quantity: 2, ' +
          'locationId: "wh-1" }] }, idempotencyKey: $k) { id status revision } }',
        { k: 'cart-1' },
      )
    ).reserveStock;
    expect(reservation.status).toBe('ACTIVE');
    expect((await pushed(Number(reservation.revision))).availability.online.available).toBe(8);
    const order = (
      await gql(
        'mutation($in: PlaceOrderInput!, $k: String!) { placeOrder(input: $in, idempotencyKey: $k) ' +
          '{ id total { amount } revision } }',
        { in: { reservationId: reservation.id, lines: [{ sku: 'COAT-M', quantity: 2 }] }, k: 'order-1' },
      )
    ).placeOrder;
    expect(order.total.amount).toBe(2 * 9995);

    // Sixteen callers at once on four server connections: every one answered.
    const burst = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        httpOperation(
          port,
          key,
          'mutation($k: String!) { reserveStock(input: { lines: [{ sku: "COAT-M", quantity: 1, ' +
            'locationId: "wh-1" }], ttlSeconds: 60 }, idempotencyKey: $k) { id } }',
          { k: `burst-${i}` },
        ),
      ),
    );
    const codes = burst.map((b) => b.errors?.[0]?.extensions.code ?? 'OK');
    // Eight units were left: eight reservations, eight refusals for want of stock — never a server error.
    expect(codes.filter((c) => c === 'OK')).toHaveLength(8);
    expect(codes.filter((c) => c !== 'OK')).toEqual(Array(8).fill('INSUFFICIENT_STOCK'));

    // A stock import, streamed as CSV.
    const csv = 'sku,locationId,onHand\nCOAT-M,wh-1,40\n';
    const imported = await admin('POST', '/imports?kind=stock', csv, 'text/csv');
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ status: 'COMPLETED', changedRows: 1, errorRows: 0 });
    const [, last] = imported.body.revisions as [number, number];
    const afterImport = await pushed(last);
    const [level] = await queryOnce<{ on_hand: number; reserved: number }>(
      directUrl,
      `SELECT on_hand, reserved FROM stock_levels WHERE sku = 'COAT-M' AND location_id = 'wh-1'`,
    );
    expect(level!.on_hand).toBe(40);
    expect(afterImport.availability.online.available).toBe(level!.on_hand - level!.reserved);
    sub.stop();

    // All of it went through PgBouncer.
    expect((await pooledTransactions()) - before).toBeGreaterThan(30);
  }, 90_000);

  it("reads members' data revisions through the pooler, many callers on its few connections", async () => {
    // The answer cache's freshness read calls a function whose plan PostgreSQL keeps per server connection
    // (no prepared statement, which transaction pooling would send to another connection).
    const enrolled = (await gql(
      'mutation($k: String!) { enrollCustomer(input: { displayName: "Pien" }, idempotencyKey: $k) { id } }',
      { k: `pien-${redisPrefix}` },
    )) as { enrollCustomer: { id: string } };
    const ids = [enrolled.enrollCustomer.id, '00000000-0000-4000-8000-000000000000'];
    const pooled = createDatabase<HubTables>(bouncer.url, { max: 20 });
    const direct = createDatabase<HubTables>(directUrl, { max: 1 });
    try {
      const expected = await customerDataRevisions({ db: direct.db }, ids);
      expect([...expected.keys()]).toEqual([ids[0]]);
      const answers = await Promise.all(
        Array.from({ length: 200 }, () => customerDataRevisions({ db: pooled.db }, ids)),
      );
      for (const a of answers) expect(a).toEqual(expected);
    } finally {
      await pooled.close();
      await direct.close();
    }
  });

  it('serves the read model the worker keeps, at the revision every write committed', async () => {
    // The worker's read model (fed by the relay, woken by its LISTEN) reaches the committed revision, and
    // the API node answers from it: no event was lost on the way.
    const [committed] = await queryOnce<{ n: string }>(
      directUrl,
      'SELECT max(revision)::text AS n FROM outbox',
    );
    const deadline = Date.now() + 10_000;
    let served = '';
    while (served !== committed!.n && Date.now() < deadline) {
      served = ((await gql('{ revision }')) as { revision: string }).revision;
      if (served !== committed!.n) await new Promise((r) => setTimeout(r, 50));
    }
    expect(served).toBe(committed!.n);
  });
});
