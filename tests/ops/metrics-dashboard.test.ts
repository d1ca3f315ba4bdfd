/**
 * The Grafana dashboard shipped in docs/ cannot drift from the hub: every metric it queries is one the hub
 * declares, every panel asks the Prometheus data source the operator picks, and the panels an operator needs
 * are there.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { createMetrics } from '../../shared/index.js';

const Target = z.object({
  expr: z.string().min(1),
  refId: z.string(),
  datasource: z.object({ type: z.literal('prometheus'), uid: z.literal('${datasource}') }),
});
const Panel = z.object({
  id: z.number(),
  title: z.string().min(1),
  type: z.string(),
  datasource: z.object({ type: z.literal('prometheus'), uid: z.literal('${datasource}') }),
  targets: z.array(Target).min(1),
});
const Variable = z.object({
  name: z.string(),
  type: z.string(),
  query: z.union([z.string(), z.object({ query: z.string() })]).optional(),
});
const Dashboard = z.object({
  title: z.string(),
  uid: z.string(),
  panels: z.array(Panel).min(1),
  templating: z.object({ list: z.array(Variable) }),
});

const dashboard = Dashboard.parse(
  JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')),
);
const declared = new Set(createMetrics({ defaultMetrics: true }).names);
/** The hub's metric a queried series belongs to: a histogram's `_bucket`, `_count` and `_sum` are its own. */
const metricOf = (series: string) =>
  declared.has(series) ? series : series.replace(/_(bucket|count|sum)$/, '');
const queries = [
  ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ...dashboard.templating.list.flatMap((v) =>
    v.type === 'query' && v.query
      ? [{ where: `variable $${v.name}`, expr: typeof v.query === 'string' ? v.query : v.query.query }]
      : [],
  ),
];

describe('docs/grafana-dashboard.json', () => {
  it('queries only metrics the hub declares, and each query at least one of them', () => {
    const unknown = queries.flatMap(({ where, expr }) =>
      [...expr.matchAll(/\bomnihub_[a-z0-9_]+/g)]
        .map((m) => m[0])
        .filter((s) => !declared.has(metricOf(s)))
        .map((s) => `${where}: ${s}`),
    );
    expect(unknown).toEqual([]);
    expect(queries.filter(({ expr }) => !/\bomnihub_[a-z0-9_]+/.test(expr)).map((q) => q.where)).toEqual([]);
  });

  it('takes its Prometheus data source from a variable that every panel uses', () => {
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    // Parsed above: every panel and every target names `${datasource}`.
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });

  it('shows what an operator needs to see propagation and traffic', () => {
    const queried = (metric: string) => queries.some(({ expr }) => expr.includes(metric));
    for (const metric of [
      'omnihub_committed_revision',
      'omnihub_read_model_revision',
      'omnihub_outbox_unpublished',
      'omnihub_outbox_relayed_total',
      'omnihub_graphql_operations_total',
      'omnihub_rate_limited_total',
      'omnihub_http_request_duration_seconds_bucket',
    ]) {
      expect({ metric, queried: queried(metric) }).toEqual({ metric, queried: true });
    }
    const latency = queries
      .filter(({ expr }) => expr.includes('omnihub_commit_to_visible_seconds_bucket'))
      .map(({ expr }) => /histogram_quantile\((0\.\d+)/.exec(expr)?.[1]);
    expect(latency).toEqual(expect.arrayContaining(['0.5', '0.99']));
  });
});
