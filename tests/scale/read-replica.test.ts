import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createReadModel,
  setPrice,
  setStockCount,
  snapshotFromDatabase,
  type ReadModel,
} from '../../backoffice-layer/index.js';
import {
  bootstrapRuntime,
  createChannelClient,
  startApiNode,
  type ApiNode,
  type Runtime,
} from '../../channel-layer/index.js';
import { enrollCustomer, journeyReadModelSections, offer } from '../../journey-layer/index.js';
import {
  createLogger,
  createReadReplica,
  loadConfig,
  withDatabaseName,
  type ReadReplica,
} from '../../shared/index.js';
import { seedCoat } from '../support/channel.js';
import { TEST_ENV } from '../support/services.js';
import { createTestContext, deleteRedisPrefix } from '../support/test-context.js';
import { httpOperation } from '../support/ws.js';
import { queryOnce, startReplicatedPostgres, type ReplicatedPostgres } from './local-servers.js';

// Readers that fall back from the read model to PostgreSQL read a streaming replica when its snapshot has
// replayed the revision they need, and the primary otherwise — with the same answers either way. A primary
// and a standby of the test's own (Debian's PostgreSQL, `pg_basebackup -R`), on free ports.
describe('a streaming read replica behind the read model', () => {
  let servers: ReplicatedPostgres;
  let rt: Runtime;
  let replica: ReadReplica;
  let withReplica: ReadModel;
  let primaryOnly: ReadModel;
  let node: ApiNode;
  let key: string;
  const redisPrefix = `trep${randomBytes(4).toString('hex')}`;
  const sku = 'COAT-M';
  const sections = journeyReadModelSections;

  beforeAll(async () => {
    servers = await startReplicatedPostgres();
    await queryOnce(servers.primaryUrl, 'CREATE DATABASE omnihub');
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: withDatabaseName(servers.primaryUrl, 'omnihub'),
      DATABASE_REPLICA_URL: withDatabaseName(servers.standbyUrl, 'omnihub'),
      REDIS_URL: process.env[TEST_ENV.redisUrl],
      OMNIHUB_REDIS_PREFIX: redisPrefix,
    });
    // Migrates the primary; the standby follows.
    rt = await bootstrapRuntime(config, { logger: createLogger('silent') });
    replica = rt.deps.replica!;
    await seedCoat(rt.deps, { amount: 12995, onHand: 5 });
    key = (await createChannelClient(rt.deps.db, { name: 'web', channel: 'WEB', scopes: [] }, new Date()))
      .key;
    // No worker: the Redis read model is never built, so every read falls back to PostgreSQL.
    withReplica = await createReadModel(rt.deps, { sections, waitMs: 0 });
    primaryOnly = await createReadModel({ ...rt.deps, replica: undefined }, { sections, waitMs: 0 });
    node = await startApiNode(rt.deps, 0, '127.0.0.1');
    await servers.caughtUp();
  }, 120_000);
  afterAll(async () => {
    await node?.stop(100);
    await withReplica?.close();
    await primaryOnly?.close();
    if (rt) {
      await deleteRedisPrefix(rt.deps.redis, redisPrefix).catch(() => undefined);
      await rt.close();
    }
    await servers?.stop();
  });

  const counts = () => ({ ...replica.counts });
  const moved = (before: ReturnType<typeof counts>) => {
    const now = counts();
    return {
      served: now.served - before.served,
      behind: now.behind - before.behind,
      unavailable: now.unavailable - before.unavailable,
    };
  };
  const httpOffer = async (minRevision: number) => {
    const a = await httpOperation(
      node.port,
      key,
      `{ offer(sku: "${sku}", minRevision: "${minRevision}") { revision fingerprint ` +
        'price { final { amount } } availability { online { available } } } }',
    );
    expect(a.errors).toBeUndefined();
    return a.data.offer as {
      revision: string;
      fingerprint: string;
      price: { final: { amount: number } };
      availability: { online: { available: number } };
    };
  };

  it('serves a fallback read from the replica once it replayed the revision, as the primary', async () => {
    const { revision } = await setPrice(rt.deps, 'base', sku, { amount: 9995, minQuantity: 1 });
    await servers.caughtUp();

    let before = counts();
    const fromReplica = await snapshotFromDatabase(rt.deps.db, [sku], {
      minRevision: revision,
      sections,
      replica,
    });
    const fromPrimary = await snapshotFromDatabase(rt.deps.db, [sku], { minRevision: revision, sections });
    expect(moved(before)).toEqual({ served: 1, behind: 0, unavailable: 0 });
    expect(fromReplica.source).toBe('replica');
    expect(fromPrimary.source).toBe('database');
    // The replica's snapshot is exactly at the revision asked for: the write is in it, and so is its price.
    expect(fromReplica.revision).toBe(revision);
    expect({ ...fromReplica, source: 'database' }).toEqual(fromPrimary);
    expect(fromReplica.skus.get(sku)?.prices.map((p) => p.amount)).toEqual([9995]);

    // The answers a channel gets: the same offer, fingerprint and revision from either.
    before = counts();
    const a = await offer(rt.deps, { sku, minRevision: revision }, { readModel: withReplica });
    const b = await offer(rt.deps, { sku, minRevision: revision }, { readModel: primaryOnly });
    expect(moved(before).served).toBe(1);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.revision).toBe(revision);
    expect(a.price.final).toBe(9995);

    // Through the API node over HTTP.
    before = counts();
    const viaHttp = await httpOffer(revision);
    expect(moved(before).served).toBe(1);
    expect(viaHttp).toMatchObject({ revision: String(revision), fingerprint: a.fingerprint });
  });

  it('reads the primary while the replica lags the revision asked for, with the same answer', async () => {
    const replayed = (await snapshotFromDatabase(rt.deps.db, [sku], { minRevision: 0, sections })).revision;
    await servers.pauseReplay();
    try {
      const { revision } = await setStockCount(rt.deps, sku, 'wh-1', { onHand: 2 });
      expect(revision).toBeGreaterThan(replayed);

      let before = counts();
      const lagging = await snapshotFromDatabase(rt.deps.db, [sku], {
        minRevision: revision,
        sections,
        replica,
      });
      expect(moved(before)).toEqual({ served: 0, behind: 1, unavailable: 0 });
      expect(lagging.source).toBe('database');
      expect(lagging.revision).toBe(revision);
      expect(lagging.skus.get(sku)?.stock.map((l) => l.onHand)).toEqual([2]);

      // What the replica has replayed it still serves, at its own revision, to readers asking no more.
      before = counts();
      const older = await snapshotFromDatabase(rt.deps.db, [sku], {
        minRevision: replayed,
        sections,
        replica,
      });
      expect(moved(before).served).toBe(1);
      expect(older).toMatchObject({ source: 'replica', revision: replayed });
      expect(older.skus.get(sku)?.stock.map((l) => l.onHand)).toEqual([5]);

      // The offer at the new revision: from the primary, as without a replica.
      const a = await offer(rt.deps, { sku, minRevision: revision }, { readModel: withReplica });
      const b = await offer(rt.deps, { sku, minRevision: revision }, { readModel: primaryOnly });
      expect(a.fingerprint).toBe(b.fingerprint);
      expect(a.revision).toBe(revision);
      expect(a.availability.online.available).toBe(2);
      before = counts();
      expect(await httpOffer(revision)).toMatchObject({
        revision: String(revision),
        fingerprint: a.fingerprint,
      });
      expect(moved(before)).toMatchObject({ served: 0, behind: 1 });

      // A member's data newer than the replica's snapshot: her offer is never priced from that older snapshot
      // (consistentInputs asks again at her revision, which the lagging replica declines).
      const { customer, revision: enrolled } = await enrollCustomer(
        rt.deps,
        { displayName: 'Ria' },
        { channel: 'WEB', idempotencyKey: 'ria' },
      );
      before = counts();
      const hers = await offer(
        rt.deps,
        { sku, customerId: customer.id, minRevision: replayed },
        {
          readModel: withReplica,
        },
      );
      const same = await offer(
        rt.deps,
        { sku, customerId: customer.id, minRevision: replayed },
        {
          readModel: primaryOnly,
        },
      );
      expect(moved(before)).toEqual({ served: 1, behind: 1, unavailable: 0 });
      expect(hers.revision).toBe(enrolled);
      expect(hers.fingerprint).toBe(same.fingerprint);
    } finally {
      await servers.resumeReplay();
    }

    // Replay resumed: the replica serves the new revision too.
    await servers.caughtUp();
    const latest = (await snapshotFromDatabase(rt.deps.db, [sku], { minRevision: 0, sections })).revision;
    const before = counts();
    const caughtUp = await snapshotFromDatabase(rt.deps.db, [sku], {
      minRevision: latest,
      sections,
      replica,
    });
    expect(moved(before).served).toBe(1);
    expect(caughtUp).toMatchObject({ source: 'replica', revision: latest });
  });

  it('reads the primary, never failing, while the replica is down; the replica once back', async () => {
    const latest = (await snapshotFromDatabase(rt.deps.db, [sku], { minRevision: 0, sections })).revision;
    const expected = await offer(rt.deps, { sku, minRevision: latest }, { readModel: primaryOnly });
    await servers.stopStandby();
    try {
      let before = counts();
      const t0 = Date.now();
      const down = await snapshotFromDatabase(rt.deps.db, [sku], { minRevision: latest, sections, replica });
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect(down).toMatchObject({ source: 'database', revision: latest });
      expect(moved(before)).toEqual({ served: 0, behind: 0, unavailable: 1 });
      // Channels see nothing of it.
      const viaHttp = await httpOffer(latest);
      expect(viaHttp.fingerprint).toBe(expected.fingerprint);
      // While it rests after the failure, reads do not wait on it.
      before = counts();
      const t1 = Date.now();
      for (let i = 0; i < 5; i++)
        await snapshotFromDatabase(rt.deps.db, [sku], { minRevision: latest, sections, replica });
      expect(Date.now() - t1).toBeLessThan(2_000);
      expect(moved(before)).toEqual({ served: 0, behind: 0, unavailable: 5 });
    } finally {
      await servers.startStandby();
    }
    await servers.caughtUp();
    // The runtime's replica rests 5 s after a failure; then it is asked again, and answers.
    const deadline = Date.now() + 15_000;
    let back = await snapshotFromDatabase(rt.deps.db, [sku], { minRevision: latest, sections, replica });
    while (back.source !== 'replica' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      back = await snapshotFromDatabase(rt.deps.db, [sku], { minRevision: latest, sections, replica });
    }
    expect(back).toMatchObject({ source: 'replica', revision: latest });
  }, 60_000);

  it('never reads a "replica" that is not a copy of the primary', async () => {
    // Another hub's database (this test run's own, on the machine's PostgreSQL): it holds the same tables,
    // and revisions of its own.
    const other = await createTestContext();
    const stranger = createReadReplica(other.databaseUrl, { retryAfterMs: 0 });
    try {
      const latest = (await snapshotFromDatabase(rt.deps.db, [sku], { minRevision: 0, sections })).revision;
      const read = await snapshotFromDatabase(rt.deps.db, [sku], {
        minRevision: 0,
        sections,
        replica: stranger,
      });
      expect(read).toMatchObject({ source: 'database', revision: latest });
      expect(stranger.counts).toEqual({ served: 0, behind: 0, unavailable: 1 });
    } finally {
      await stranger.close();
      await other.close();
    }
  });
});
