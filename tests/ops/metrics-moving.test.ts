/**
 * The metrics an operator watches move with the work: a hub shaped like `omnihub start` (an API node and a
 * worker in one process, one registry) is scraped on /metrics with the metrics token before and after admin
 * writes and GraphQL operations, and every metric it declares shows what happened — revisions equal to the
 * committed one, the outbox relayed and empty, commit → visible observed, operations by name and code,
 * refusals by reason, routes by pattern.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerAdminKey } from '../../backoffice-layer/index.js';
import {
  createChannelClient,
  startApiNode,
  startWorkerNode,
  type ApiNode,
  type WorkerNode,
} from '../../channel-layer/index.js';
import { createMetrics } from '../../shared/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';
import { seedCoat } from '../support/channel.js';
import { httpOperation } from '../support/ws.js';

const TOKEN = 'moving-metrics-token-0123456789';
const ADMIN_KEY = 'moving-metrics-admin-key-0123456789';

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (what prom-client writes: no timestamps). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The samples of one scrape, with a way to read one series (summed over the series that match `labels`). */
interface Scrape {
  samples: Sample[];
  /** The sum of `name`'s series whose labels include `labels`; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

describe('metrics that move', () => {
  let ctx: BackofficeTestContext;
  let api: ApiNode;
  let worker: WorkerNode;
  let key: string;
  let slowKey: string;

  const scrape = async (): Promise<Scrape> => {
    const res = await fetch(`http://127.0.0.1:${api.port}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const samples = parseExposition(await res.text());
    return {
      samples,
      value: (name, labels = {}) => {
        const hits = samples.filter(
          (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        );
        return hits.length === 0 ? undefined : hits.reduce((sum, s) => sum + s.value, 0);
      },
    };
  };
  const admin = async (
    method: string,
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: { revision?: number } }> => {
    const res = await fetch(`http://127.0.0.1:${api.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { revision?: number } };
  };
  /**
   * Waits until both read models serve the committed revision and the outbox is empty; returns that scrape.
   */
  const settled = async (atLeast: number): Promise<Scrape> => {
    let last: Scrape | undefined;
    await until(
      async () => {
        last = await scrape();
        const committed = last.value('omnihub_committed_revision') ?? -1;
        return (
          committed >= atLeast &&
          last.value('omnihub_read_model_revision', { role: 'api' }) === committed &&
          last.value('omnihub_read_model_revision', { role: 'worker' }) === committed &&
          last.value('omnihub_outbox_unpublished') === 0
        );
      },
      15_000,
      `revision ${atLeast} visible on /metrics`,
    );
    return last!;
  };

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps);
    await registerAdminKey(ctx.deps.db, ADMIN_KEY, 'metrics', new Date());
    key = (await createChannelClient(ctx.deps.db, { name: 'web', channel: 'WEB', scopes: [] }, new Date()))
      .key;
    slowKey = (
      await createChannelClient(ctx.deps.db, { name: 'slow', channel: 'WEB', scopes: ['rate:1'] }, new Date())
    ).key;
    // As `omnihub start` runs them: one process, one registry in the deps, both roles feeding it.
    const deps = {
      ...ctx.deps,
      metrics: createMetrics({ defaultMetrics: true }),
      config: { ...ctx.deps.config, metricsToken: TOKEN },
    };
    api = await startApiNode(deps, 0, '127.0.0.1');
    worker = await startWorkerNode(deps);
  });
  afterAll(async () => {
    await api?.stop(100);
    await worker?.stop();
    await ctx.close();
  });

  it('moves every metric the hub declares with writes, operations and refusals', async () => {
    const seeded = Number((await httpOperation(api.port, key, '{ revision }')).data.revision);
    const before = await settled(seeded);

    // Writes through the admin API: a price change and a stock count.
    const price = await admin('PUT', '/admin/v1/price-lists/base/prices/COAT-M', { amount: 11995 });
    const stock = await admin('PUT', '/admin/v1/stock/COAT-M/wh-1', { onHand: 7 });
    expect([price.status, stock.status]).toEqual([200, 200]);
    const committed = Math.max(price.body.revision!, stock.body.revision!);
    expect(committed).toBeGreaterThan(seeded);

    // Operations: one answered, one refused by the hub, and a client over its rate of one a second.
    const ok = await httpOperation(
      api.port,
      key,
      `query CoatOffer { offer(sku: "COAT-M", locationId: "wh-1", minRevision: "${committed}") ` +
        `{ revision } }`,
    );
    expect(ok.data?.offer.revision).toBe(String(committed));
    const refused = await httpOperation(
      api.port,
      key,
      'query AheadOfTheHub { offer(sku: "COAT-M", minRevision: "999999999") { revision } }',
    );
    expect(refused.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const burst = await Promise.all(
      Array.from({ length: 8 }, () => httpOperation(api.port, slowKey, 'query Ping { revision }')),
    );
    expect(burst.filter((a) => a.errors?.[0]?.extensions.code === 'RATE_LIMITED').length).toBeGreaterThan(0);

    const after = await settled(committed);
    // Revisions: committed in PostgreSQL, reached by the worker's Redis model, served by the API node — all
    // equal.
    expect(after.value('omnihub_committed_revision')).toBe(committed);
    expect(after.value('omnihub_read_model_revision', { role: 'worker' })).toBe(committed);
    expect(after.value('omnihub_read_model_revision', { role: 'api' })).toBe(committed);
    // The outbox: both events relayed, nothing left behind; the read model applied them. (The seed's events
    // may still be on their way at the first scrape — the worker's first start rebuilt the model from
    // PostgreSQL — so a series may be absent then.)
    const moved = (name: string, labels?: Record<string, string>) =>
      (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
    expect(moved('omnihub_outbox_relayed_total')).toBeGreaterThanOrEqual(2);
    expect(after.value('omnihub_outbox_unpublished')).toBe(0);
    expect(moved('omnihub_events_applied_total', { consumer: 'read-model' })).toBeGreaterThanOrEqual(2);
    // Commit → visible: each new revision observed once.
    expect(moved('omnihub_commit_to_visible_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(after.value('omnihub_commit_to_visible_seconds_bucket', { le: '+Inf' })).toBe(
      after.value('omnihub_commit_to_visible_seconds_count'),
    );
    // GraphQL operations by name, type and code.
    expect(
      after.value('omnihub_graphql_operations_total', {
        operation: 'CoatOffer',
        type: 'query',
        code: 'OK',
        transport: 'http',
      }),
    ).toBe(1);
    expect(
      after.value('omnihub_graphql_operations_total', {
        operation: 'AheadOfTheHub',
        type: 'query',
        code: 'BAD_USER_INPUT',
      }),
    ).toBe(1);
    expect(
      after.value('omnihub_graphql_operations_total', { code: 'OK', operation: 'Ping' }),
    ).toBeGreaterThan(0);
    // The gate's refusals count too, before any operation is resolved: one per refused request.
    expect(
      after.value('omnihub_graphql_operations_total', {
        operation: 'unknown',
        code: 'RATE_LIMITED',
        transport: 'http',
      }),
    ).toBe(burst.filter((a) => a.errors?.[0]?.extensions.code === 'RATE_LIMITED').length);
    // Refusals by reason: the gate's per-client rate.
    expect(after.value('omnihub_rate_limited_total', { reason: 'client-rate' })).toBeGreaterThan(0);
    // Routes by pattern or mount: GraphQL as /graphql, the admin routes as their patterns, never a raw path.
    const routes = new Set(
      after.samples
        .filter((s) => s.name === 'omnihub_http_request_duration_seconds_count')
        .map((s) => s.labels.route),
    );
    expect(routes).toEqual(
      new Set([
        '/metrics',
        '/graphql',
        '/admin/v1/price-lists/:id/prices/:sku',
        '/admin/v1/stock/:sku/:locationId',
      ]),
    );
    expect(
      after.value('omnihub_http_request_duration_seconds_count', { route: '/graphql', status: '429' }),
    ).toBeGreaterThan(0);
  });

  it(
    "serves a lone worker's metrics on its metrics listener, and an API-only node shows no " +
      'worker gauges',
    async () => {
      const config = { ...ctx.deps.config, metricsPort: 0, metricsHost: '127.0.0.1' };
      const lone = await startWorkerNode({ ...ctx.deps, config }, { serveMetrics: true });
      const apiOnly = await startApiNode(
        { ...ctx.deps, config: { ...ctx.deps.config, metricsToken: TOKEN } },
        0,
        '127.0.0.1',
      );
      try {
        const read = async (url: string, headers: Record<string, string> = {}) =>
          parseExposition(await (await fetch(url, { headers })).text());
        const committed = Number((await httpOperation(api.port, key, '{ revision }')).data.revision);
        let samples: Sample[] = [];
        await until(
          async () => {
            samples = await read(`http://127.0.0.1:${lone.metricsPort!}/metrics`);
            return samples.some(
              (s) =>
                s.name === 'omnihub_read_model_revision' &&
                s.labels.role === 'worker' &&
                s.value === committed,
            );
          },
          15_000,
          "the lone worker's read-model revision",
        );
        const names = new Set(samples.map((s) => s.name));
        for (const name of [
          'omnihub_committed_revision',
          'omnihub_outbox_unpublished',
          'omnihub_outbox_relayed_total',
          'omnihub_commit_to_visible_seconds_count',
        ])
          expect({ name, shown: names.has(name) }).toEqual({ name, shown: true });
        expect(
          samples.filter((s) => s.name === 'omnihub_read_model_revision').map((s) => s.labels.role),
        ).toEqual(['worker']);

        const fromApi = await read(`http://127.0.0.1:${apiOnly.port}/metrics`, {
          authorization: `Bearer ${TOKEN}`,
        });
        expect(fromApi.some((s) => s.name === 'omnihub_outbox_unpublished')).toBe(false);
        expect(
          fromApi.filter((s) => s.name === 'omnihub_read_model_revision').map((s) => s.labels.role),
        ).toEqual(['api']);
      } finally {
        await apiOnly.stop(100);
        await lone.stop();
      }
    },
  );

  it('counts unknown keys refused per address by the key guard', async () => {
    // Last in the file: from now on this address may not look up a channel key it presents for a minute.
    const before =
      (await scrape()).value('omnihub_rate_limited_total', { reason: 'client-unknown-keys' }) ?? 0;
    const codes: string[] = [];
    for (let i = 0; i < 32; i++)
      codes.push(
        (await httpOperation(api.port, `unknown-${randomBytes(12).toString('hex')}`, '{ revision }'))
          .errors?.[0]?.extensions.code ?? 'OK',
      );
    expect(codes.at(-1)).toBe('RATE_LIMITED');
    const after =
      (await scrape()).value('omnihub_rate_limited_total', { reason: 'client-unknown-keys' }) ?? 0;
    expect(after - before).toBe(codes.filter((c) => c === 'RATE_LIMITED').length);
  });
});
