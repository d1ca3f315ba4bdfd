/**
 * The channel layer: the GraphQL channel API (queries, mutations and subscriptions over HTTP and WebSocket),
 * the channel clients and their keys, the HTTP host of every API (admin REST mounted beside it), and the
 * runtime that starts API and worker nodes.
 */
export { createHttpApp, type AppOptions } from './http/create-app.js';
export { bootstrapRuntime, EMBEDDED_PG_PORT, LOCAL_REDIS_PORT, type Runtime } from './runtime/bootstrap.js';
export { startApiNode, type ApiNode } from './runtime/api-node.js';
export { startWorkerNode, type WorkerNode } from './runtime/worker-node.js';
export {
  createChannelClient,
  authenticateChannelClient,
  listChannelClients,
  revokeChannelClient,
  channelAdminRoutes,
  ClientBodySchema,
  type ChannelClient,
  type Channel,
} from './clients/clients.js';
export { createGraphqlHandler } from './graphql/server.js';
export { MAX_DEPTH, MAX_ALIASES } from './graphql/operation-rules.js';
export { consistencyCheck, type ConsistencyReport } from './runtime/consistency-check.js';
export { channelSchemaSdl, typeDefs as channelTypeDefs } from './graphql/schema.js';
// Every layer's tables together: the type of the database a hub process opens (bin/, tests, benchmarks).
export type { ChannelTables, HubTables } from './tables.js';
export type { ChannelDeps } from './channel-deps.js';
export { isChannelClientKey } from './clients/is-channel-client-key.js';
