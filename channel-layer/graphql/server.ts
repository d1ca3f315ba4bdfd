import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import {
  getOperationAST,
  GraphQLError,
  Kind,
  type GraphQLFormattedError,
  type OperationDefinitionNode,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BackofficeDeps, ReadModel } from '../../backoffice-layer/index.js';
import {
  callerAddress,
  DomainError,
  ERROR_CODES,
  findUnstorableText,
  luaScript,
} from '../../shared/index.js';
import { bearerKey, Gate, type Admitted, type Credentials } from '../clients/admission.js';
import { scopeLimit } from '../clients/clients.js';
import { formatChannelError, graphqlExtensions } from './errors.js';
import { httpAnswer, operationCounter, resultCode, type HttpAnswer } from './metrics-plugin.js';
import { checkDocument, laterRules, PARSE_OPTIONS, withinLimits } from './operation-rules.js';
import { resolvers, type GraphqlContext } from './resolvers.js';
import { ChangeFeed, SnapshotHub } from './subscriptions.js';
import { typeDefs } from './schema.js';

/** Largest request body (HTTP) or message (WebSocket) the channel API reads, in bytes: 256 KiB. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Most subscriptions one WebSocket connection may hold open. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;
/** Most subscriptions one client may hold open across every API node, unless its scopes say otherwise (`subscriptions:<n>`). */
export const DEFAULT_SUBSCRIPTIONS_PER_CLIENT = 100;
/** How often open connections' keys are checked again (a revoked key's subscriptions end within the key cache's time plus this). */
const KEY_SWEEP_MS = 1_000;
/** How long a node's claim on a client's subscription slot lasts unless renewed (a node that died frees its slots by this). */
const SLOT_TTL_MS = 30_000;

// A client's open subscriptions, cluster-wide: a sorted set of slot → expiry (ms). Expired slots go first.
const claimSlot = luaScript(`redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4]) redis.call('PEXPIRE', KEYS[1], ARGV[5]) return 1`);

/** The answer to a caller the gate refused, over HTTP: the code's status, a retry hint, the GraphQL error envelope. */
function refuse(res: Response, e: DomainError): void {
  const retryAfterMs = e.details.retryAfterMs;
  if (typeof retryAfterMs === 'number')
    res.set('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  res
    .status(ERROR_CODES[e.code].status)
    .json({ errors: [{ message: e.message, extensions: graphqlExtensions(e) }] });
}

/**
 * The WebSocket close code for a connection the gate refused: 4401 as graphql-ws names it; 4029 "too many requests"
 * (graphql-ws's own 4429 means "too many initialisation requests"); 1013 "try again later".
 */
const CLOSE_CODES: Partial<Record<DomainError['code'], number>> = {
  UNAUTHENTICATED: 4401,
  RATE_LIMITED: 4029,
  UNAVAILABLE: 1013,
};
/** Pings one connection may send per second (keep-alives need one every few seconds); past it the socket is closed. */
const MAX_PINGS_PER_SECOND = 10;

/**
 * A GET request's parameters exactly as Apollo reads them (URLSearchParams over the raw query string) — not Express's
 * `req.query`, which stops after 1,000 parameters and would let a padded URL hide its document from the limits.
 */
function searchOf(req: Request): URLSearchParams {
  const at = req.originalUrl.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : req.originalUrl.slice(at + 1));
}

/** Refuses variables no text column can store (NUL, lone surrogates), on either transport. */
function unstorableVariables(variables: unknown): DomainError | undefined {
  const bad = findUnstorableText(variables);
  return bad
    ? new DomainError('BAD_USER_INPUT', `variables.${bad.path.join('.')}: ${bad.message}`, {
        field: ['variables', ...bad.path].join('.'),
      })
    : undefined;
}

/** One open WebSocket connection: who it is, what it presented, its subscriptions, and the signal that ends them. */
interface Connection {
  id: string;
  credentials: Credentials;
  admitted: Admitted;
  /** Aborted (with UNAUTHENTICATED) when its key is revoked. */
  revoked: AbortController;
  /** Operation ids of its open subscriptions, each holding a slot of its client. */
  subscriptions: Set<string>;
  /** Operations not answered yet, by id: the operation once it passed validation, else null (see `answered`). */
  unanswered: Map<string, OperationDefinitionNode | null>;
}

/**
 * The channel API: POST /graphql and graphql-ws on the same path, one operation pipeline for both. Every request and
 * every WebSocket operation passes the same gate (key re-checked, per-client rate limit, per-address limits,
 * UNAVAILABLE when the key cannot be checked), is parsed with the same token limit, validated by the same rules
 * (depth, aliases, cost, storable text, introspection policy), and its errors formatted and masked by the same
 * function: expected failures carry a stable `extensions.code`; anything else is "Unexpected error." and logged.
 */
export async function createGraphqlHandler(
  deps: BackofficeDeps,
  readModel: ReadModel,
): Promise<{
  handler: express.Router;
  attach(http: Server): void;
  detach(): Promise<void>;
  stop(): Promise<void>;
}> {
  const introspection = deps.config.nodeEnv !== 'production';
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  const feed = new ChangeFeed(readModel, deps.redisUrl, deps.redisPrefix);
  const snapshots = new SnapshotHub(feed, deps.logger);
  const gate = new Gate(deps);
  const format = (formatted: GraphQLFormattedError, error: unknown) =>
    formatChannelError(formatted, error, deps.logger, { suggestions: introspection });
  /** A request the client got wrong (unparsable, invalid, a variable of the wrong type): BAD_USER_INPUT unless it says otherwise. */
  const requestError = (e: GraphQLError) =>
    format({ ...e.toJSON(), extensions: { code: 'BAD_USER_INPUT', ...e.extensions } }, e);
  // Every answer of /graphql, on either transport, is counted once by this (see operationCounter).
  const operations = operationCounter(deps.metrics?.graphqlOperations);
  let disposeWs: (() => Promise<void>) | undefined;
  const server = new ApolloServer<GraphqlContext & { answer: HttpAnswer }>({
    schema,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // The introspection policy is one of our validation rules, the same for both transports.
    introspection: true,
    parseOptions: PARSE_OPTIONS,
    // Apollo parses and validates again only what `withinLimits` (below) let through: the later rules.
    validationRules: [...laterRules(introspection, false)],
    // The node drains and stops everything itself on SIGTERM (api-node.ts); Apollo must not race it.
    stopOnTerminationSignals: false,
    // Every document is sent whole and passes the limits first: no persisted queries, whose hash alone would skip them.
    persistedQueries: false,
    // No cache hints are used: without the cache-control plugin no resolver is wrapped to watch for them. No landing
    // page either: Apollo's loads its scripts from a CDN.
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      operations.plugin,
    ],
    formatError: format,
  });
  await server.start();
  const addressOf = callerAddress(deps.config.trustProxy);

  const admit: RequestHandler = async (req, res, next) => {
    try {
      const a = await gate.admit({
        authorization: req.get('authorization'),
        customerToken: req.get('x-customer-token'),
        address: addressOf(req),
      });
      res.locals.admitted = a;
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      refuse(res, e);
      return;
    }
    next();
  };
  const storable: RequestHandler = (req, res, next) => {
    // GET /graphql carries its variables as JSON text in the query string, read as Apollo reads it.
    const variables: unknown =
      req.method === 'GET'
        ? (() => {
            try {
              return JSON.parse(searchOf(req).get('variables') ?? 'null') as unknown;
            } catch {
              return null;
            }
          })()
        : (req.body as { variables?: unknown } | undefined)?.variables;
    const bad = unstorableVariables(variables);
    if (bad) {
      refuse(res, bad);
      return;
    }
    next();
  };
  // Documents already found within the limits (short ones, by their text): a client's usual queries are checked once.
  const withinLimitsSeen = new Set<string>();
  /** The limits first and alone (see withinLimits), before Apollo's own, partly quadratic, validation. */
  const limits: RequestHandler = (req, res, next) => {
    const source: unknown =
      req.method === 'GET'
        ? searchOf(req).get('query')
        : (req.body as { query?: unknown } | undefined)?.query;
    if (typeof source !== 'string' || withinLimitsSeen.has(source)) {
      next();
      return;
    }
    const checked = withinLimits(source);
    if (checked.errors) {
      res.status(400).json({ errors: checked.errors.map(requestError) });
      return;
    }
    if (
      checked.document.definitions.some(
        (d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'subscription',
      )
    ) {
      refuse(
        res,
        new DomainError(
          'BAD_USER_INPUT',
          'Subscriptions are served over WebSocket (graphql-ws) at /graphql',
          {},
        ),
      );
      return;
    }
    if (source.length <= 4096) {
      if (withinLimitsSeen.size >= 1000) withinLimitsSeen.delete(withinLimitsSeen.values().next().value!);
      withinLimitsSeen.add(source);
    }
    next();
  };
  /**
   * A body the JSON parser refused (too large, malformed): the GraphQL error envelope with its code, never an HTML
   * page; anything else that failed on the way is logged and answered masked, in the same envelope.
   */
  const unreadable: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    const e = err as { status?: unknown; type?: unknown; message?: unknown };
    if (res.headersSent) {
      next(err);
      return;
    }
    if (typeof e.status !== 'number' || e.status >= 500) {
      deps.logger.error({ err }, 'unexpected error in the channel API');
      res.status(500).json({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL' } }] });
      return;
    }
    const tooLarge = e.type === 'entity.too.large';
    res.status(tooLarge ? 413 : 400).json({
      errors: [
        {
          message: tooLarge
            ? `The request body is larger than ${MAX_MESSAGE_BYTES / 1024} KiB`
            : 'The request body is not valid JSON',
          extensions: { code: 'BAD_USER_INPUT', ...(tooLarge ? { maxBytes: MAX_MESSAGE_BYTES } : {}) },
        },
      ],
    });
  };
  const handler = express.Router();
  handler.use(
    operations.http,
    admit,
    express.json({ limit: MAX_MESSAGE_BYTES }),
    storable,
    limits,
    expressMiddleware(server, {
      context: async ({ res }) => {
        const a = res.locals.admitted as Admitted;
        return { deps, readModel, client: a.client, customerId: a.customerId, answer: httpAnswer(res) };
      },
    }) as unknown as RequestHandler,
    unreadable,
  );

  const nodeId = randomUUID();
  const connections = new Set<Connection>();
  const slotsKey = (clientId: string) => `${deps.redisPrefix}:subs:${clientId}`;
  const slot = (c: Connection, id: string) => `${nodeId}:${c.id}:${id}`;
  const releaseSlot = (c: Connection, id: string) => {
    if (!c.subscriptions.delete(id)) return;
    void deps.redis.zrem(slotsKey(c.admitted.client.id), slot(c, id)).catch(() => undefined);
  };
  /** Claims one of the client's subscription slots; false when it holds its limit. Redis failing lets it through. */
  const claim = async (c: Connection, id: string): Promise<boolean> => {
    const limit = scopeLimit(c.admitted.client, 'subscriptions', DEFAULT_SUBSCRIPTIONS_PER_CLIENT);
    const now = Date.now();
    const granted = await claimSlot(
      deps.redis,
      [slotsKey(c.admitted.client.id)],
      [now, limit, now + SLOT_TTL_MS, slot(c, id), SLOT_TTL_MS * 2],
    ).catch(() => 1);
    return Number(granted) === 1;
  };

  /** Checks every open connection's key again; a revoked key's subscriptions end with UNAUTHENTICATED. */
  let sweeps = 0;
  const sweep = async () => {
    const renew = ++sweeps % Math.round(SLOT_TTL_MS / 3 / KEY_SWEEP_MS) === 0;
    const byClient = new Map<string, string[]>();
    for (const c of connections) {
      if (c.revoked.signal.aborted) continue;
      const current = await gate.keys
        .current(bearerKey(c.credentials.authorization) ?? '')
        .catch(() => undefined); // cannot check now: keep, never claim it wrong
      if (current === null) {
        deps.logger.info(
          { clientId: c.admitted.client.id },
          'a revoked client key: ending its open subscriptions',
        );
        c.revoked.abort(new DomainError('UNAUTHENTICATED', 'This client key was revoked', {}));
      } else if (c.admitted.tokenExpiresAt && c.admitted.tokenExpiresAt <= deps.clock.now()) {
        c.revoked.abort(
          new DomainError('UNAUTHENTICATED', 'The customer token expired; sign the customer in again', {}),
        );
      } else if (renew && c.subscriptions.size > 0) {
        const slots = byClient.get(c.admitted.client.id) ?? [];
        for (const id of c.subscriptions) slots.push(String(Date.now() + SLOT_TTL_MS), slot(c, id));
        byClient.set(c.admitted.client.id, slots);
      }
    }
    for (const [clientId, slots] of byClient)
      await deps.redis.zadd(slotsKey(clientId), 'XX', ...slots).catch(() => undefined);
  };
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void sweep()
      .catch((e: unknown) => deps.logger.warn({ err: e }, 'checking open connections failed'))
      .finally(() => {
        sweeping = false;
      });
  }, KEY_SWEEP_MS);
  sweeper.unref();

  /** Counts a WebSocket operation's answer, the first one it gets (a subscription's events are not answers). */
  const answered = (c: Connection | undefined, id: string, code: string) => {
    if (!c?.unanswered.has(id)) return;
    operations.count('ws', c.unanswered.get(id), code);
    c.unanswered.delete(id);
  };
  const asErrors = (e: unknown): GraphQLError[] => [
    new GraphQLError(e instanceof Error ? e.message : String(e), {
      originalError: e instanceof Error ? e : new Error(String(e)),
    }),
  ];

  return {
    handler,
    /** Serves the same operations (and subscriptions) over graphql-ws on the same port and path; the key comes in the connection params. */
    attach: (http) => {
      const wss = new WebSocketServer({ server: http, path: '/graphql', maxPayload: MAX_MESSAGE_BYTES });
      // The server re-emits the HTTP server's errors (an accept failing, say): logged, never a crashed process.
      wss.on('error', (e) => deps.logger.warn({ err: e }, 'WebSocket server error'));
      type Extra = {
        socket: WebSocket;
        request: IncomingMessage;
        connection?: Connection;
        pings?: { second: number; count: number };
      };
      const cleanup = useServer<Record<string, unknown>, Extra>(
        {
          schema,
          onConnect: async (c) => {
            const params = c.connectionParams ?? {};
            const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
            const credentials: Credentials = {
              authorization: text(params.authorization),
              customerToken: text(params.customerToken),
              address: addressOf(c.extra.request),
            };
            try {
              const admitted = await gate.admit(credentials);
              const connection: Connection = {
                id: randomUUID(),
                credentials,
                admitted,
                revoked: new AbortController(),
                subscriptions: new Set(),
                unanswered: new Map(),
              };
              c.extra.connection = connection;
              connections.add(connection);
              return true;
            } catch (e) {
              const refused =
                e instanceof DomainError
                  ? e
                  : new DomainError('UNAVAILABLE', 'The hub cannot accept connections right now', {});
              operations.count('ws', null, refused.code);
              c.extra.socket.close(
                CLOSE_CODES[refused.code] ?? 4403,
                `${refused.code}: ${refused.message}`.slice(0, 120),
              );
              return false;
            }
          },
          onSubscribe: async (c, id, payload) => {
            const connection = c.extra.connection!;
            connection.unanswered.set(id, null);
            try {
              if (connection.revoked.signal.aborted) throw connection.revoked.signal.reason;
              // The key is checked again and the operation counted against the client's rate, as every HTTP request is.
              connection.admitted = await gate.admit(connection.credentials);
              const bad = unstorableVariables(payload.variables);
              if (bad) throw bad;
            } catch (e) {
              return asErrors(e);
            }
            const checked = checkDocument(schema, payload.query, introspection);
            if (checked.errors) return [...checked.errors];
            const document = checked.document;
            const operation = getOperationAST(document, payload.operationName ?? undefined);
            if (operation) connection.unanswered.set(id, operation);
            if (operation?.operation === 'subscription') {
              if (connection.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
                return asErrors(
                  new DomainError(
                    'RATE_LIMITED',
                    `At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`,
                    { maxSubscriptions: MAX_SUBSCRIPTIONS_PER_CONNECTION },
                  ),
                );
              }
              // Counted before the claim's round trip, so a burst of subscriptions cannot all pass the check above.
              connection.subscriptions.add(id);
              if (!(await claim(connection, id))) {
                connection.subscriptions.delete(id);
                return asErrors(
                  new DomainError('RATE_LIMITED', 'This client holds as many subscriptions as it may', {}),
                );
              }
            }
            const contextValue: GraphqlContext = {
              deps,
              readModel,
              client: connection.admitted.client,
              customerId: connection.admitted.customerId,
              snapshots,
              signal: connection.revoked.signal,
            };
            return {
              schema,
              document,
              variableValues: payload.variables ?? null,
              operationName: payload.operationName ?? null,
              contextValue,
            };
          },
          // An error graphql-ws reports without a cause of ours ("Unable to identify operation") refuses the request.
          onError: (c, id, _p, errors) => {
            const sent = errors.map((e) =>
              e.originalError ? format(e.toJSON(), e.originalError) : requestError(e),
            );
            answered(c.extra.connection, id, resultCode(sent));
            return sent;
          },
          // A subscription that started is answered OK; a query's or mutation's result is counted as its one `next`.
          onOperation: (c, id, _p, _args, result) => {
            if (Symbol.asyncIterator in result) answered(c.extra.connection, id, 'OK');
          },
          // An error without data and without a path is a request error (a variable of the wrong type, say): the
          // client's, as over HTTP. One with a path came from a resolver and is formatted as such.
          onNext: (c, id, _p, _args, result) => {
            const sent = result.errors
              ? {
                  ...result,
                  errors: result.errors.map((e) =>
                    !('data' in result) && !e.path ? requestError(e) : format(e.toJSON(), e),
                  ),
                }
              : undefined;
            answered(c.extra.connection, id, resultCode(sent?.errors));
            return sent;
          },
          // Keep-alives, not a free echo: before the connection is let in, or past MAX_PINGS_PER_SECOND, the socket closes.
          onPing: (c) => {
            const connection = c.extra.connection;
            if (!connection) {
              c.extra.socket.close(4401, 'UNAUTHENTICATED: ping before connection_init');
              return;
            }
            const second = Math.floor(Date.now() / 1000);
            if (c.extra.pings?.second !== second) c.extra.pings = { second, count: 0 };
            if (++c.extra.pings.count > MAX_PINGS_PER_SECOND)
              c.extra.socket.close(4029, 'RATE_LIMITED: too many pings');
          },
          onComplete: (c, id) => {
            if (!c.extra.connection) return;
            c.extra.connection.unanswered.delete(id);
            releaseSlot(c.extra.connection, id);
          },
          onClose: (c) => {
            const connection = c.extra.connection;
            if (!connection) return;
            connections.delete(connection);
            for (const id of [...connection.subscriptions]) releaseSlot(connection, id);
          },
        },
        wss,
      );
      // A socket's errors (a message over maxPayload, which ws answers by closing with 1009) go to our log, once per
      // socket at info level, instead of graphql-ws's console.error with a stack trace that any client could provoke.
      wss.on('connection', (socket) => {
        socket.removeAllListeners('error');
        socket.once('error', (e: Error & { code?: string }) => {
          deps.logger.info({ code: e.code, message: e.message }, 'WebSocket connection closed on an error');
          if (socket.readyState === socket.OPEN) socket.close(1011, 'Internal error');
        });
      });
      disposeWs = async () => {
        await cleanup.dispose();
        wss.close();
      };
    },
    /** Ends every subscription (clients reconnect to another node). */
    detach: async () => {
      await disposeWs?.();
      disposeWs = undefined;
    },
    stop: async () => {
      clearInterval(sweeper);
      await disposeWs?.();
      await feed.close();
      await server.stop();
    },
  };
}
