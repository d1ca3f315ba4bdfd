/**
 * What keeps /metrics safe to scrape: a gauge read that fails or hangs never fails nor stalls the scrape, and
 * the GraphQL operation counter's labels stay bounded whatever names clients send.
 */
import { ApolloServer } from '@apollo/server';
import { describe, expect, it } from '@jest/globals';
import { MAX_LABELLED_OPERATIONS, operationCounter } from '../../channel-layer/graphql/metrics-plugin.js';
import { createMetrics, SCRAPE_READ_TIMEOUT_MS } from '../../shared/index.js';

describe('scraping gauges read at scrape time', () => {
  it(
    'answers within the read timeout when a read hangs or fails, keeping the last value and ' +
      'counting the failure',
    async () => {
      const metrics = createMetrics();
      let answer: () => Promise<number> = async () => 41;
      metrics.sample('committedRevision', () => answer());
      expect(await metrics.registry.metrics()).toMatch(/^omnihub_committed_revision 41$/m);

      answer = () => new Promise<number>(() => undefined); // PostgreSQL never answers
      const started = Date.now();
      const text = await metrics.registry.metrics();
      expect(Date.now() - started).toBeLessThan(SCRAPE_READ_TIMEOUT_MS + 2_000);
      expect(text).toMatch(/^omnihub_committed_revision 41$/m);
      expect(text).toMatch(/^omnihub_metrics_read_failures_total\{metric="omnihub_committed_revision"\} 1$/m);

      answer = async () => {
        throw new Error('connection refused');
      };
      expect(await metrics.registry.metrics()).toMatch(
        /^omnihub_metrics_read_failures_total\{metric="omnihub_committed_revision"\} 2$/m,
      );
    },
  );

  it(
    'shows a sampled gauge only while something samples it, ' + 'and a series answering null not at all',
    async () => {
      const metrics = createMetrics();
      expect(await metrics.registry.metrics()).not.toContain('omnihub_outbox_unpublished');
      expect(metrics.names).toEqual(
        expect.arrayContaining([
          'omnihub_outbox_unpublished',
          'omnihub_read_model_revision',
          'omnihub_committed_revision',
        ]),
      );

      let served: number | null = 7;
      const stopApi = metrics.sample('readModelRevision', () => served, { role: 'api' });
      const stopWorker = metrics.sample('readModelRevision', async () => 9, { role: 'worker' });
      let text = await metrics.registry.metrics();
      expect(text).toMatch(/^omnihub_read_model_revision\{role="api"\} 7$/m);
      expect(text).toMatch(/^omnihub_read_model_revision\{role="worker"\} 9$/m);
      served = null; // the node reads through PostgreSQL: it serves nothing from its read model
      text = await metrics.registry.metrics();
      expect(text).not.toMatch(/\{role="api"\}/);
      stopWorker();
      expect(await metrics.registry.metrics()).not.toMatch(/\{role="worker"\}/);
      stopApi();
      expect(await metrics.registry.metrics()).not.toContain('omnihub_read_model_revision');
    },
  );
});

describe('GraphQL operation labels', () => {
  it(
    'labels by name, type and code, folds names past the bound, malformed and anonymous ones, ' +
      'and labels no name before validation',
    async () => {
      const metrics = createMetrics();
      const server = new ApolloServer({
        typeDefs: 'type Query { a: Int, fails: Int } type Mutation { b: Int }',
        resolvers: {
          Query: {
            a: () => 1,
            fails: () => {
              throw new Error('boom');
            },
          },
          Mutation: { b: () => 2 },
        },
        plugins: [operationCounter(metrics.graphqlOperations).plugin],
      });
      await server.start();
      try {
        const run = (query: string, operationName?: string) =>
          server.executeOperation({ query, ...(operationName ? { operationName } : {}) });
        const count = async (labels: Record<string, string>) =>
          (await metrics.graphqlOperations.get()).values
            .filter((v) =>
              Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
            )
            .reduce((s, v) => s + v.value, 0);

        await run('query First { a }');
        await run('mutation Change { b }');
        await run('{ a }');
        await run('query Broken { nope }');
        await run('query { a');
        await run('query One { a } query Two { a }', 'Three');
        expect(await count({ operation: 'First', type: 'query', code: 'OK' })).toBe(1);
        expect(await count({ operation: 'Change', type: 'mutation', code: 'OK' })).toBe(1);
        expect(await count({ operation: 'anonymous', type: 'query', code: 'OK' })).toBe(1);
        expect(
          await count({ operation: 'unknown', type: 'unknown', code: 'GRAPHQL_VALIDATION_FAILED' }),
        ).toBe(1);
        expect(await count({ operation: 'unknown', type: 'unknown', code: 'GRAPHQL_PARSE_FAILED' })).toBe(1);
        expect(await count({ operation: 'unknown', type: 'unknown' })).toBe(3);
        expect(await count({ transport: 'http' })).toBe(6);

        // Names that never passed validation take no slot, however many.
        for (let i = 0; i < MAX_LABELLED_OPERATIONS + 50; i++) await run(`query Invalid${i} { nope }`);
        expect(await count({ operation: 'unknown', code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(
          MAX_LABELLED_OPERATIONS + 51,
        );

        for (let i = 0; i < MAX_LABELLED_OPERATIONS + 50; i++) await run(`query Op${i} { a }`);
        await run(`query ${'L'.repeat(65)} { a }`);
        const names = new Set(
          (await metrics.graphqlOperations.get()).values.map((v) => String(v.labels.operation)),
        );
        expect(names.size).toBeLessThanOrEqual(MAX_LABELLED_OPERATIONS + 3); // + anonymous, unknown, other
        // the names past the bound (First and Change hold two) and the long one
        expect(await count({ operation: 'other' })).toBe(50 + 2 + 1);
        // A name seen before the bound keeps its label.
        await run('query First { a }');
        expect(await count({ operation: 'First' })).toBe(2);
      } finally {
        await server.stop();
      }
    },
  );
});
