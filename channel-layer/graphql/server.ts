import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express, { type RequestHandler } from 'express';
import type { BackofficeDeps, ReadModel } from '../../backoffice-layer/index.js';
import { answerCachePlugin, GraphqlFastPath } from './answer-cache.js';
import { admittedOf, Authenticator } from './authenticate.js';
import { ChangeFeed } from './change-feed.js';
import { contextOf, type GraphqlContext } from './context.js';
import { documentStore } from './document-store.js';
import { channelErrorFormatter, unreadableBody } from './errors.js';
import { httpAnswer, operationCounter, type HttpAnswer } from './metrics-plugin.js';
import { laterRules, PARSE_OPTIONS } from './operation-rules.js';
import { prereadBody } from './preread.js';
import { documentLimits, MAX_MESSAGE_BYTES, storableVariables } from './query-limits.js';
import { resolvers } from './resolvers.js';
import { typeDefs } from './schema.js';
import { SnapshotHub } from './snapshot-hub.js';
import { WebSocketTransport } from './websocket.js';

/**
 * The channel API: POST /graphql and graphql-ws on the same path, one operation pipeline for both. Every
 * request and every WebSocket operation passes the same gate (authenticate.ts: key re-checked, per-client
 * rate limit, per-address limits, UNAVAILABLE when the key cannot be checked), is parsed with the same token
 * limit, validated by the same rules (query-limits.ts, operation-rules.ts: depth, aliases, cost, storable
 * text, introspection policy), and its errors formatted and masked by the same function (errors.ts):
 * expected failures carry a stable `extensions.code`; anything else is "Unexpected error." and logged. The
 * WebSocket side is websocket.ts.
 */
export async function createGraphqlHandler(
  deps: BackofficeDeps,
  readModel: ReadModel,
): Promise<{
  handler: express.Router;
  /**
   * The fast path of POST /graphql, to run before Express (answer-cache.ts): answers a question asked again
   * at the same revision from memory, else calls `next`.
   */
  fastPath(req: IncomingMessage, res: ServerResponse, next: () => void): void;
  attach(http: Server): void;
  detach(): Promise<void>;
  stop(): Promise<void>;
  forgetAdminKey(keyId: string): void;
}> {
  const introspection = deps.config.nodeEnv !== 'production';
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  const feed = new ChangeFeed(readModel, deps.redisUrl, deps.redisPrefix);
  const snapshots = new SnapshotHub(feed, deps.logger);
  const auth = new Authenticator(deps);
  const errors = channelErrorFormatter(deps.logger, introspection);
  // Every answer of /graphql, on either transport, is counted once by this (see operationCounter).
  const operations = operationCounter(deps.metrics?.graphqlOperations);
  const server = new ApolloServer<GraphqlContext & { answer: HttpAnswer }>({
    schema,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // The introspection policy is one of our validation rules, the same for both transports.
    introspection: true,
    parseOptions: PARSE_OPTIONS,
    // Apollo parses and validates again only what `documentLimits` (below) let through: the later rules.
    validationRules: [...laterRules(introspection, false)],
    // The node drains and stops everything itself on SIGTERM (api-node.ts); Apollo must not race it.
    stopOnTerminationSignals: false,
    // Every document is sent whole and passes the limits first: no persisted queries, whose hash alone would
    // skip them.
    persistedQueries: false,
    // Parsed documents are kept by the memory they hold, comments included (document-store.ts).
    documentStore: documentStore(),
    // No cache hints are used: without the cache-control plugin no resolver is wrapped to watch for them. No
    // landing page either: Apollo's loads its scripts from a CDN.
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      operations.plugin,
      answerCachePlugin,
    ],
    formatError: errors.format,
  });
  await server.start();

  const handler = express.Router();
  handler.use(
    operations.http,
    auth.http,
    prereadBody,
    express.json({ limit: MAX_MESSAGE_BYTES }),
    storableVariables,
    documentLimits(errors),
    expressMiddleware(server, {
      context: async ({ res }) => ({
        ...contextOf(deps, readModel, admittedOf(res)),
        answer: httpAnswer(res),
        sources: { revisions: new Set<number>(), customers: new Set<string>(), onRecord: false },
      }),
    }) as unknown as RequestHandler,
    unreadableBody(deps.logger, MAX_MESSAGE_BYTES),
  );

  const ws = new WebSocketTransport({
    deps,
    readModel,
    schema,
    introspection,
    auth,
    errors,
    operations,
    snapshots,
  });
  const fast = new GraphqlFastPath({ auth, readModel, operations, metrics: deps.metrics, deps });
  return {
    handler,
    fastPath: (req, res, next) => fast.handle(req, res, next),
    /**
     * Serves the same operations (and subscriptions) over graphql-ws on the same port and path; the key comes
     * in the connection params.
     */
    attach: (http) => ws.attach(http),
    /** Ends every subscription (clients reconnect to another node). */
    detach: () => ws.detach(),
    /**
     * Makes this node's gate forget the admin key `keyId` it may remember, so a key just revoked or ended on
     * this node is refused here at once on GraphQL too (other nodes within the KeyGuard's 5 s).
     */
    forgetAdminKey: (keyId) => auth.gate.keys.forget((c) => c.admin === true && c.id === keyId),
    stop: async () => {
      fast.close();
      await ws.stop();
      await feed.close();
      await server.stop();
    },
  };
}
