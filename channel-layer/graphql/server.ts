import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type RequestHandler } from 'express';
import { GraphQLError, Kind, type ASTVisitor, type FieldNode, type OperationDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';
import type { BackofficeDeps, ReadModel } from '../../backoffice-layer/index.js';
import { luaScript } from '../../shared/index.js';
import { cachedClientAuthenticator } from '../clients/clients.js';
import { verifyCustomerToken } from '../clients/customer-tokens.js';
import { formatChannelError } from './errors.js';
import { resolvers, type GraphqlContext } from './resolvers.js';
import { ChangeFeed } from './subscriptions.js';
import { typeDefs } from './schema.js';

/** Requests per second a client may make unless its scopes say otherwise (`rate:<n>`). */
export const DEFAULT_RATE_PER_SECOND = 200;

/** Counts a request in a one-second window key that expires by itself, in one round trip. */
const countInWindow = luaScript(`local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], 2) end return n`);

/**
 * Per-client rate limit in Redis (a one-second window shared by every API node). Over the limit: 429 with
 * RATE_LIMITED and a retry hint. If Redis cannot answer, requests are let through rather than refused.
 */
async function overLimit(deps: BackofficeDeps, client: { id: string; scopes: string[] }): Promise<number | null> {
  const scope = client.scopes.find((s) => /^rate:\d{1,6}$/.test(s));
  const limit = scope ? Number(scope.slice(5)) : DEFAULT_RATE_PER_SECOND;
  const now = Date.now();
  const second = Math.floor(now / 1000);
  const key = `${deps.redisPrefix}:rl:${client.id}:${second}`;
  try {
    const count = Number(await countInWindow(deps.redis, [key], []));
    return count > limit ? (second + 1) * 1000 - now : null;
  } catch {
    return null;
  }
}

/** Deepest selection nesting and most aliases one operation may use (QUALITY B2: refused before execution). */
export const MAX_DEPTH = 8;
export const MAX_ALIASES = 30;
/**
 * Most work one operation may ask for: every selected field costs 1, times the sizes of the lists around it. A full
 * `offers` query of 100 SKUs with every field costs about 36,000; thirty aliased copies of it cost a million.
 */
export const MAX_COST = 50_000;
/** Assumed sizes of list fields (the most they hold in practice, or their argument's cap). */
const LIST_SIZES: Record<string, number> = { locations: 50, adjustments: 10, attributes: 20, lines: 200, consents: 3, rejectedCoupons: 20, edges: 1 };

/** The size a list field stands for: its literal argument when given (`offers(skus: […])`, `products(first: n)`), else its cap. */
function listSize(node: FieldNode): number {
  const name = node.name.value;
  const arg = (n: string) => node.arguments?.find((a) => a.name.value === n)?.value;
  if (name === 'offers') { const v = arg('skus'); return v?.kind === Kind.LIST ? Math.max(1, v.values.length) : 100; }
  if (name === 'products') { const v = arg('first'); return v?.kind === Kind.INT ? Math.max(1, Number(v.value)) : v ? 100 : 20; }
  return LIST_SIZES[name] ?? 1;
}

function queryLimits(context: ValidationContext): ASTVisitor {
  // Walks selections with fragments expanded; a fragment already on the path is not entered again (cycles are
  // reported by the standard rules, but must not hang this one).
  const walk = (set: SelectionSetNode | undefined, depth: number, multiplier: number, path: Set<string>): { depth: number; cost: number } => {
    if (!set) return { depth, cost: 0 };
    let maxDepth = depth;
    let cost = 0;
    for (const s of set.selections) {
      let r: { depth: number; cost: number };
      if (s.kind === Kind.FIELD) {
        const m = multiplier * listSize(s);
        r = walk(s.selectionSet, depth + 1, m, path);
        cost += m;
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        r = walk(s.selectionSet, depth, multiplier, path);
      } else {
        const name = s.name.value;
        if (path.has(name)) continue;
        r = walk(context.getFragment(name)?.selectionSet, depth, multiplier, new Set([...path, name]));
      }
      maxDepth = Math.max(maxDepth, r.depth);
      cost += r.cost;
      if (cost > MAX_COST * 10) break; // enough to refuse; stop counting
    }
    return { depth: maxDepth, cost };
  };
  let aliases = 0;
  const refuse = (message: string, node: OperationDefinitionNode, limits: Record<string, number>) =>
    context.reportError(new GraphQLError(message, { nodes: [node], extensions: { code: 'BAD_USER_INPUT', ...limits } }));
  return {
    Field(node) { if (node.alias) aliases++; },
    OperationDefinition: {
      leave(node) {
        const { depth, cost } = walk(node.selectionSet, 0, 1, new Set());
        if (depth > MAX_DEPTH) refuse(`Query is too deep (${depth} levels; at most ${MAX_DEPTH})`, node, { depth, maxDepth: MAX_DEPTH });
        if (aliases > MAX_ALIASES) refuse(`Too many aliases (${aliases}; at most ${MAX_ALIASES})`, node, { aliases, maxAliases: MAX_ALIASES });
        if (cost > MAX_COST) refuse(`Query is too costly (cost ${cost > MAX_COST * 10 ? `over ${MAX_COST * 10}` : cost}; at most ${MAX_COST})`, node, { maxCost: MAX_COST });
      },
    },
  };
}

/**
 * The channel API at POST /graphql: the client key (Authorization: Bearer …) decides the channel; expected failures
 * carry a stable `extensions.code`; anything else is masked as "Unexpected error." and logged.
 */
export async function createGraphqlHandler(deps: BackofficeDeps, readModel: ReadModel): Promise<{ handler: RequestHandler[]; attach(http: Server): void; detach(): Promise<void>; stop(): Promise<void> }> {
  const production = deps.config.nodeEnv === 'production';
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  const feed = new ChangeFeed(readModel, deps.redisUrl, deps.redisPrefix);
  let disposeWs: (() => Promise<void>) | undefined;
  const server = new ApolloServer<GraphqlContext>({
    schema, introspection: !production, csrfPrevention: true, includeStacktraceInErrorResponses: false,
    // The node drains and stops everything itself on SIGTERM (api-node.ts); Apollo must not race it.
    stopOnTerminationSignals: false,
    validationRules: [queryLimits],
    // No cache hints are used: without the cache-control plugin no resolver is wrapped to watch for them.
    plugins: [ApolloServerPluginCacheControlDisabled()],
    formatError: (formatted, error) => formatChannelError(formatted, error, deps.logger),
  });
  await server.start();
  const authenticate = cachedClientAuthenticator(deps.db, deps.clock);
  const auth: RequestHandler = async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const key = /^Bearer (\S{16,200})$/.exec(header)?.[1];
    const client = key ? await authenticate(key).catch(() => undefined) : undefined;
    if (!client) {
      res.status(401).json({ errors: [{ message: 'A channel client key is required: Authorization: Bearer <key>', extensions: { code: 'UNAUTHENTICATED' } }] });
      return;
    }
    res.locals.client = client;
    const retryAfterMs = await overLimit(deps, client);
    if (retryAfterMs !== null) {
      res.set('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
      res.status(429).json({ errors: [{ message: 'Too many requests for this client; retry shortly', extensions: { code: 'RATE_LIMITED', retryAfterMs } }] });
      return;
    }
    const customerToken = req.get('x-customer-token');
    res.locals.customerId = null;
    if (customerToken) {
      try {
        res.locals.customerId = await verifyCustomerToken(deps.db, customerToken, client.id, deps.clock.now());
      } catch (e) {
        res.status(401).json({ errors: [{ message: (e as Error).message, extensions: { code: 'UNAUTHENTICATED' } }] });
        return;
      }
    }
    next();
  };
  const handler: RequestHandler[] = [
    auth,
    express.json({ limit: '256kb' }),
    expressMiddleware(server, { context: async ({ res }) => ({ deps, readModel, client: res.locals.client, customerId: res.locals.customerId as string | null }) }) as unknown as RequestHandler,
  ];
  return {
    handler,
    /** Serves subscriptions (graphql-ws) on the same port and path; the client key comes in the connection params. */
    attach: (http) => {
      const wss = new WebSocketServer({ server: http, path: '/graphql' });
      // The server re-emits the HTTP server's errors (an accept failing, say): logged, never a crashed process.
      wss.on('error', (e) => deps.logger.warn({ err: e }, 'WebSocket server error'));
      const cleanup = useServer<Record<string, unknown>, { client?: GraphqlContext['client']; customerId?: string | null }>({
        schema,
        onConnect: async (c) => {
          const header = String(c.connectionParams?.authorization ?? '');
          const key = /^Bearer (\S{16,200})$/.exec(header)?.[1];
          const client = key ? await authenticate(key).catch(() => undefined) : undefined;
          if (!client) return false;
          c.extra.client = client;
          const token = c.connectionParams?.customerToken;
          c.extra.customerId = typeof token === 'string' ? await verifyCustomerToken(deps.db, token, client.id, deps.clock.now()).catch(() => null) : null;
          return true;
        },
        context: (c) => ({ deps, readModel, client: c.extra.client!, customerId: c.extra.customerId ?? null, feed }),
        // The same error formatting as over HTTP: a refused operation is BAD_USER_INPUT, a DomainError keeps its code.
        onError: (_c, _id, _p, errors) => errors.map((e) => formatChannelError({ ...e.toJSON(), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, e.originalError ?? e, deps.logger)),
        onNext: (_c, _id, _p, _args, result) => (result.errors ? { ...result, errors: result.errors.map((e) => formatChannelError(e.toJSON(), e, deps.logger)) } : undefined),
      }, wss);
      disposeWs = async () => { await cleanup.dispose(); wss.close(); };
    },
    /** Ends every subscription (clients reconnect to another node). */
    detach: async () => {
      await disposeWs?.();
      disposeWs = undefined;
    },
    stop: async () => {
      await disposeWs?.();
      await feed.close();
      await server.stop();
    },
  };
}
