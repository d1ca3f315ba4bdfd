import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetrics, currentRevision, type Logger, type Metrics } from '../../shared/index.js';
import {
  backofficeAdminRoutes,
  createAdminRouter,
  createReadModel,
  type BackofficeDeps,
} from '../../backoffice-layer/index.js';
import { journeyAdminRoutes, journeyReadModelSections } from '../../journey-layer/index.js';
import { createHttpApp, createMetricsApp } from '../http/create-app.js';
import { consoleBuilt, consoleRoutes } from '../http/console.js';
import { explorerBuilt, explorerRoutes } from '../http/explorer.js';
import { channelAdminRoutes, consoleKeyHolder } from '../clients/clients.js';
import { createGraphqlHandler } from '../graphql/server.js';

export interface ApiNode {
  server: Server;
  port: number;
  /**
   * The port the metrics listener bound (`OMNIHUB_METRICS_PORT`; the real one when that was 0); absent
   * without one.
   */
  metricsPort?: number;
  /** Stops accepting connections, lets in-flight requests finish (up to `graceMs`), then closes the rest. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A stateless API node: admin REST, GraphQL, health and readiness on one port; metrics behind
 * `config.metricsToken` there, and — when `config.metricsPort` is set — alone on a second listener at
 * `config.metricsHost`, started and stopped with the node. The staff console at `/console`
 * (channel-layer/http/console.ts). Outside production also the GraphQL explorer, at
 * `/explorer` and at a browser's `GET /graphql` (channel-layer/http/explorer.ts).
 * @throws the listen error (EADDRINUSE, EACCES) of either port; nothing is left listening then.
 * @example const node = await startApiNode(runtime.deps, 4000);
 */
export async function startApiNode(deps: BackofficeDeps, port: number, host = '0.0.0.0'): Promise<ApiNode> {
  const { metricsToken, metricsPort, metricsHost } = deps.config;
  // The process's registry when it has one (`omnihub start`: the worker's metrics on the same /metrics), else
  // its own.
  const metrics = deps.metrics ?? createMetrics({ defaultMetrics: true });
  // The metrics listener needs nothing but the registry: bound first, so a busy port stops the start before
  // any connection is opened.
  const metricsServer =
    metricsPort === undefined
      ? undefined
      : await listen(
          createMetricsApp({ deps, metrics, ...(metricsToken ? { token: metricsToken } : {}) }),
          metricsPort,
          metricsHost,
          deps.logger,
        );
  const listener = { metrics, port, host, alongside: metricsServer };
  const node = await startApiListener({ ...deps, metrics }, listener).catch(async (e: unknown) => {
    if (metricsServer) await close(metricsServer, 0);
    throw e;
  });
  const boundMetricsPort = metricsServer ? (metricsServer.address() as AddressInfo).port : undefined;
  deps.logger.info(
    {
      metricsPort: boundMetricsPort,
      metricsHost: metricsServer ? metricsHost : undefined,
      metricsToken: metricsToken ? 'set' : 'not set',
    },
    metricsServer
      ? 'metrics: served on their own listener'
      : metricsToken
        ? 'metrics: /metrics wants the metrics token'
        : 'metrics: /metrics answers 401 until OMNIHUB_METRICS_TOKEN or OMNIHUB_METRICS_PORT is set',
  );
  return { ...node, ...(boundMetricsPort !== undefined ? { metricsPort: boundMetricsPort } : {}) };
}

/**
 * The main listener with everything behind it (read model, GraphQL, admin REST) on `host`:`port` (0: any free
 * port); its `stop` also closes `alongside` (the metrics listener). Closes what it opened when the listen
 * fails.
 */
async function startApiListener(
  deps: BackofficeDeps,
  listener: { metrics: Metrics; port: number; host: string; alongside: Server | undefined },
): Promise<ApiNode> {
  const { metrics, port, host, alongside } = listener;
  let draining = false;
  const readModel = await createReadModel(deps, { sections: journeyReadModelSections });
  const graphql = await createGraphqlHandler(deps, readModel);
  // The GraphQL explorer, in development only: at /explorer, and at GET /graphql for a browser.
  const explorer = deps.config.nodeEnv === 'production' ? undefined : explorerRoutes();
  // Read on scrape: the committed revision beside the one this node serves, so each instance shows its own
  // lag.
  const unsample = [
    metrics.sample('committedRevision', () => currentRevision(deps.db)),
    metrics.sample('readModelRevision', () => readModel.watermark(), { role: 'api' }),
  ];
  const stopSampling = () => {
    for (const stop of unsample) stop();
  };
  const app = createHttpApp({
    deps,
    metrics,
    isDraining: () => draining,
    ...(deps.config.metricsToken ? { metricsToken: deps.config.metricsToken } : {}),
    mounts: {
      // CONSOLE client keys (this layer's) reach the admin routes their console scopes open.
      '/admin/v1': createAdminRouter(
        deps,
        [...backofficeAdminRoutes, ...journeyAdminRoutes, ...channelAdminRoutes],
        undefined,
        {
          consoleKeys: (key) => consoleKeyHolder(deps.db, key),
          onAdminKeyEnded: (keyId) => graphql.forgetAdminKey(keyId),
        },
      ),
      '/graphql': explorer ? [explorer.forBrowsers, graphql.handler] : graphql.handler,
      ...(explorer ? { '/explorer': explorer.router } : {}),
      '/console': consoleRoutes().router,
    },
  });
  // POST /graphql meets the answer cache first (answer-cache.ts); everything else, and every miss, goes on to
  // Express.
  const serve: RequestListener = (req, res) => graphql.fastPath(req, res, () => app(req, res));
  const server = await listen(serve, port, host, deps.logger).catch(async (e: unknown) => {
    stopSampling();
    await graphql.stop();
    await readModel.close();
    throw e;
  });
  server.keepAliveTimeout = 65_000;
  graphql.attach(server);
  deps.logger.info(
    consoleBuilt()
      ? 'Staff console: /console'
      : 'Staff console: not built; run `npm run build` to serve it at /console',
  );
  if (explorer)
    deps.logger.info(
      explorerBuilt()
        ? 'GraphQL explorer: /explorer (and GET /graphql in a browser)'
        : 'GraphQL explorer: not built; run `npm run build` to serve it at /explorer',
    );
  return {
    server,
    port: (server.address() as AddressInfo).port,
    stop: async (graceMs = 10_000) => {
      draining = true;
      await graphql.detach();
      await Promise.all([close(server, graceMs), alongside ? close(alongside, graceMs) : undefined]);
      await graphql.stop();
      stopSampling();
      await readModel.close();
    },
  };
}

/**
 * Serves `app` on `port` at `host`; rejects with the listen error (EADDRINUSE, EACCES).
 */
export async function listen(
  app: RequestListener,
  port: number,
  host: string,
  logger: Logger,
): Promise<Server> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Once listening, a failed accept (EMFILE, ENFILE: out of file descriptors) is emitted here: without a
  // listener it would crash the node; the server keeps listening, so it is logged and the next connections
  // are served.
  server.on('error', (err) => logger.error({ err, port }, 'API server: accepting a connection failed'));
  return server;
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes every connection left. */
export async function close(server: Server, graceMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
    }, graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
