import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How long one gauge read at scrape time (a PostgreSQL or Redis query) may take before the scrape goes on
 * without it.
 */
export const SCRAPE_READ_TIMEOUT_MS = 1_000;

/**
 * Buckets of the commit → visible histogram, in seconds: fine around QUALITY P4's targets (p50 ≤ 15 ms, p99 ≤
 * 100 ms), coarse up to the minutes a stopped worker leaves behind.
 */
const VISIBLE_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

/** Gauges whose value is read from PostgreSQL, Redis or memory at scrape time (see `Metrics.sample`). */
export type SampledGauge = 'committedRevision' | 'readModelRevision' | 'outboxUnpublished';

/** Which process's read model a `readModelRevision` sample describes. */
export type ReadModelRole = 'worker' | 'api';

/**
 * Prometheus metrics of one process. A registry per instance, so several hubs can live in one test process;
 * one per process in production (`bootstrapRuntime` puts it in the deps), so `omnihub start` — API node and
 * worker in one process — shows both on one `/metrics`. Counters and histograms are always exposed; a sampled
 * gauge appears once something in the process samples it (an API-only node exposes no outbox backlog, rather
 * than a false 0).
 */
export interface Metrics {
  registry: Registry;
  /**
   * `omnihub_http_request_duration_seconds{method,route,status}`: `route` is a route pattern or mount, never
   * a raw path.
   */
  httpRequests: Histogram<'method' | 'route' | 'status'>;
  /**
   * `omnihub_graphql_operations_total{operation,type,code,transport}`: every answer of the GraphQL API,
   * refusals included, by operation name (bounded), type, result code and transport (`http` or `ws`).
   */
  graphqlOperations: Counter<'operation' | 'type' | 'code' | 'transport'>;
  /** `omnihub_rate_limited_total{reason}`: callers refused with RATE_LIMITED by the gate or a key guard. */
  rateLimited: Counter<'reason'>;
  /** `omnihub_outbox_relayed_total`: outbox events published to the event queue for the first time. */
  outboxRelayed: Counter<string>;
  /**
   * `omnihub_events_applied_total{consumer}`: events a consumer applied (not counting repeats it had applied
   * before).
   */
  eventsApplied: Counter<'consumer'>;
  /**
   * `omnihub_commit_to_visible_seconds`: from an event's commit instant to the read model's watermark
   * covering it.
   */
  commitToVisible: Histogram<string>;
  /** `omnihub_metrics_read_failures_total{metric}`: gauge reads at scrape time that failed or timed out. */
  readFailures: Counter<'metric'>;
  /**
   * The name of every metric the hub declares, whether or not this process feeds it (dashboards are checked
   * against it).
   */
  names: readonly string[];
  /**
   * Reads `gauge` with `read` on every scrape, bounded by SCRAPE_READ_TIMEOUT_MS: a failed or late read keeps
   * the last value and counts in `readFailures`, so a scrape never fails because PostgreSQL or Redis is slow
   * or down. A read answering null removes the series (`readModelRevision` of a node that serves nothing from
   * its read model). Sampling the same gauge and labels again replaces the reader (`omnihub start`'s API node
   * and worker both sample the committed revision; one query answers). Returns a function that stops the
   * sampling and drops the series.
   */
  sample(
    gauge: SampledGauge,
    read: () => Promise<number | null> | number | null,
    labels?: { role?: ReadModelRole },
  ): () => void;
}

interface Sampled {
  name: string;
  gauge: Gauge<string>;
}

interface Reader {
  labels: Record<string, string>;
  read: () => Promise<number | null> | number | null;
}

/** `promise`, or a rejection once `ms` have passed (the promise's own later failure is swallowed). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  promise.catch(() => undefined);
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Creates the metrics of one process.
 * @param opts.defaultMetrics also expose Node's process metrics (CPU, memory, event-loop lag) as `omnihub_*`.
 * @example const metrics = createMetrics({ defaultMetrics: true }); metrics.sample('committedRevision', () =>
 *   currentRevision(db));
 */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'omnihub_' });
  const registers = [registry];
  const readers = new Map<SampledGauge, Map<string, Reader>>();
  // One refresh of every sampled gauge per scrape, shared by their collects and the failure counter's, so the
  // counter shows this scrape's failures (the registry reads every metric at once).
  let refreshing: Promise<void> | null = null;
  const refreshAll = (): Promise<void> => {
    refreshing ??= Promise.all(
      (Object.keys(gauges) as SampledGauge[]).map((key) => refresh(key, gauges[key])),
    )
      .then(() => undefined)
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  };
  const readFailures = new Counter({
    name: 'omnihub_metrics_read_failures_total',
    help: 'Gauge reads at scrape time that failed or took longer than 1 s (the gauge kept its last value)',
    labelNames: ['metric'],
    registers,
    collect: refreshAll,
  });

  /** Runs every reader of `key` at once and sets what each answered. */
  const refresh = async (key: SampledGauge, { gauge, name }: Sampled): Promise<void> => {
    await Promise.all(
      [...(readers.get(key)?.values() ?? [])].map(async ({ labels, read }) => {
        try {
          const value = await within(Promise.resolve().then(read), SCRAPE_READ_TIMEOUT_MS);
          if (value === null) gauge.remove(labels);
          else gauge.set(labels, value);
        } catch {
          readFailures.inc({ metric: name });
        }
      }),
    );
  };
  // Registered when first sampled (see `sample`), so a process only shows the gauges of the work it does.
  const sampled = (name: string, help: string, labelNames: string[] = []): Sampled => ({
    name,
    gauge: new Gauge({ name, help, labelNames, registers: [], collect: refreshAll }),
  });
  const gauges: Record<SampledGauge, Sampled> = {
    committedRevision: sampled(
      'omnihub_committed_revision',
      'Latest revision committed in PostgreSQL (read at scrape time)',
    ),
    readModelRevision: sampled(
      'omnihub_read_model_revision',
      'Revision the read model has fully reached: role="worker" the Redis model, ' +
        'role="api" what this node serves (read at scrape time)',
      ['role'],
    ),
    outboxUnpublished: sampled(
      'omnihub_outbox_unpublished',
      'Outbox events not yet relayed to the event queue (read at scrape time)',
    ),
  };

  const metrics: Omit<Metrics, 'names'> = {
    registry,
    httpRequests: new Histogram({
      name: 'omnihub_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    graphqlOperations: new Counter({
      name: 'omnihub_graphql_operations_total',
      help:
        'GraphQL answers (refusals included) by operation name, type, result code ' +
        "(OK or the first error's extensions.code) and transport (http, ws)",
      labelNames: ['operation', 'type', 'code', 'transport'],
      registers,
    }),
    rateLimited: new Counter({
      name: 'omnihub_rate_limited_total',
      help: 'Callers refused with RATE_LIMITED, by reason',
      labelNames: ['reason'],
      registers,
    }),
    outboxRelayed: new Counter({
      name: 'omnihub_outbox_relayed_total',
      help: 'Outbox events moved to the event queue',
      registers,
    }),
    eventsApplied: new Counter({
      name: 'omnihub_events_applied_total',
      help: 'Events applied by consumers',
      labelNames: ['consumer'],
      registers,
    }),
    commitToVisible: new Histogram({
      name: 'omnihub_commit_to_visible_seconds',
      help: "From an event's commit to the read model covering it (every API node can serve it)",
      buckets: VISIBLE_BUCKETS,
      registers,
    }),
    readFailures,
    sample(key, read, labels = {}) {
      const { gauge, name } = gauges[key];
      const id = JSON.stringify(labels);
      const mine: Reader = { labels: { ...labels }, read };
      const forKey = readers.get(key) ?? new Map<string, Reader>();
      readers.set(key, forKey.set(id, mine));
      if (!registry.getSingleMetric(name)) registry.registerMetric(gauge);
      return () => {
        if (forKey.get(id) !== mine) return; // replaced meanwhile: the newer reader stays
        forKey.delete(id);
        if (Object.keys(labels).length > 0) gauge.remove(mine.labels);
        if (forKey.size === 0) registry.removeSingleMetric(name);
      };
    },
  };
  const names = [
    ...registry.getMetricsAsArray().map((m) => m.name),
    ...Object.values(gauges).map((g) => g.name),
  ];
  return { ...metrics, names };
}
