import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';

/** Prometheus metrics of one process; a registry per instance so several hubs can live in one test process. */
export interface Metrics {
  registry: Registry;
  httpRequests: Histogram<'method' | 'route' | 'status'>;
  outboxRelayed: Counter<string>;
  eventsApplied: Counter<'consumer'>;
  outboxLag: Gauge<string>;
  readModelRevision: Gauge<string>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'omnihub_' });
  return {
    registry,
    httpRequests: new Histogram({ name: 'omnihub_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method', 'route', 'status'], buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [registry] }),
    outboxRelayed: new Counter({ name: 'omnihub_outbox_relayed_total', help: 'Outbox events moved to the event queue', registers: [registry] }),
    eventsApplied: new Counter({ name: 'omnihub_events_applied_total', help: 'Events applied by consumers', labelNames: ['consumer'], registers: [registry] }),
    outboxLag: new Gauge({ name: 'omnihub_outbox_unpublished', help: 'Outbox events not yet relayed', registers: [registry] }),
    readModelRevision: new Gauge({ name: 'omnihub_read_model_revision', help: 'Revision of the Redis read model', registers: [registry] }),
  };
}
