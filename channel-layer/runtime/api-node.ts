import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetrics } from '../../shared/index.js';
import { backofficeAdminRoutes, createAdminRouter, createReadModel, type BackofficeDeps } from '../../backoffice-layer/index.js';
import { journeyAdminRoutes, journeyReadModelFacets } from '../../journey-layer/index.js';
import { createHttpApp } from '../http/create-app.js';
import { channelAdminRoutes } from '../clients/clients.js';
import { createGraphqlHandler } from '../graphql/server.js';

export interface ApiNode {
  server: Server;
  port: number;
  /** Stops accepting connections, lets in-flight requests finish (up to `graceMs`), then closes the rest. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A stateless API node: admin REST, health, readiness and metrics on one port.
 * @example const node = await startApiNode(runtime.deps, 4000);
 */
export async function startApiNode(deps: BackofficeDeps, port: number, host = '0.0.0.0'): Promise<ApiNode> {
  let draining = false;
  const metrics = createMetrics({ defaultMetrics: true });
  const readModel = await createReadModel(deps, { facets: journeyReadModelFacets });
  const graphql = await createGraphqlHandler(deps, readModel);
  const app = createHttpApp({
    deps, metrics, isDraining: () => draining,
    mounts: { '/admin/v1': createAdminRouter(deps, [...backofficeAdminRoutes, ...journeyAdminRoutes, ...channelAdminRoutes]), '/graphql': graphql.handler },
  });
  // Express calls back with the listen error (EADDRINUSE, EACCES) itself.
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  // Once listening, a failed accept (EMFILE, ENFILE: out of file descriptors) is emitted here: without a listener it
  // would crash the node; the server keeps listening, so it is logged and the next connections are served.
  server.on('error', (err) => deps.logger.error({ err, port }, 'API server: accepting a connection failed'));
  server.keepAliveTimeout = 65_000;
  graphql.attach(server);
  return {
    server,
    port: (server.address() as AddressInfo).port,
    stop: async (graceMs = 10_000) => {
      draining = true;
      await graphql.detach();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { server.closeAllConnections(); }, graceMs);
        server.close(() => { clearTimeout(timer); resolve(); });
        server.closeIdleConnections();
      });
      await graphql.stop();
      await readModel.close();
    },
  };
}
