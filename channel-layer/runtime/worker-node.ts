import type { Server } from 'node:http';
import {
  readModelWatermark,
  startBackofficeWorker,
  type BackofficeDeps,
} from '../../backoffice-layer/index.js';
import { journeyWorkerOptions } from '../../journey-layer/index.js';
import { createMetrics, currentRevision } from '../../shared/index.js';
import { createMetricsApp } from '../http/create-app.js';
import { close, listen } from './api-node.js';

export interface WorkerNode {
  /**
   * The port the worker's metrics listener bound (`serveMetrics` and `OMNIHUB_METRICS_PORT`); absent without
   * one.
   */
  metricsPort?: number;
  stop(): Promise<void>;
}

/**
 * A worker process: the outbox relay, event consumers (the read model, then loyalty), the read-model
 * guardian, reservation expiry and the price scheduler. Stopping drains the jobs in hand. Its metrics
 * (relayed events, the outbox backlog, the Redis read model's revision, commit → visible) go to
 * `deps.metrics` — in `omnihub start` the registry the API node serves — or to a registry of its own; with
 * `opts.serveMetrics` (`omnihub worker`, which has no API listener) and `OMNIHUB_METRICS_PORT` set, that
 * registry is served on the metrics listener as an API node serves its own.
 * @throws the metrics listener's listen error (EADDRINUSE, EACCES); nothing is left running then.
 */
export async function startWorkerNode(
  deps: BackofficeDeps,
  opts: { serveMetrics?: boolean } = {},
): Promise<WorkerNode> {
  const metrics = deps.metrics ?? createMetrics({ defaultMetrics: true });
  const { metricsPort, metricsHost, metricsToken } = deps.config;
  const metricsServer: Server | undefined =
    opts.serveMetrics && metricsPort !== undefined
      ? await listen(
          createMetricsApp({ deps, metrics, ...(metricsToken ? { token: metricsToken } : {}) }),
          metricsPort,
          metricsHost,
          deps.logger,
        )
      : undefined;
  const withMetrics = { ...deps, metrics };
  const backoffice = await startBackofficeWorker(withMetrics, journeyWorkerOptions(withMetrics)).catch(
    async (e: unknown) => {
      if (metricsServer) await close(metricsServer, 0);
      throw e;
    },
  );
  const unsample = [
    metrics.sample('committedRevision', () => currentRevision(deps.db)),
    metrics.sample('readModelRevision', () => readModelWatermark(deps), { role: 'worker' }),
  ];
  const address = metricsServer?.address();
  return {
    ...(address && typeof address === 'object' ? { metricsPort: address.port } : {}),
    stop: async () => {
      for (const stop of unsample) stop();
      await backoffice.stop();
      if (metricsServer) await close(metricsServer, 1_000);
    },
  };
}
