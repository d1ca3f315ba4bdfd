/**
 * The channel API over graphql-ws, on the HTTP server's port and path: the same gate (authenticate.ts),
 * limits (query-limits.ts, operation-rules.ts) and error formatting (format-error.ts) as HTTP, plus the
 * limits only a long-lived connection needs (rate-limit.ts) and the sweep that ends a revoked key's
 * subscriptions.
 */
import type { IncomingMessage, Server } from 'node:http';
import { getOperationAST, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BackofficeDeps, ReadModel } from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';
import type { Authenticator } from './authenticate.js';
import { openConnection, type Connection } from './connection.js';
import type { GraphqlContext } from './context.js';
import { asErrors, closeFor, type ChannelErrorFormatter } from './format-error.js';
import { resultCode, type OperationCounter } from './metrics-plugin.js';
import { checkDocument } from './operation-rules.js';
import { MAX_MESSAGE_BYTES, unstorableVariables } from './query-limits.js';
import { SLOT_TTL_MS, SubscriptionSlots, withinPingRate } from './rate-limit.js';
import type { SnapshotHub } from './snapshot-hub.js';

/**
 * How often open connections' keys are checked again (a revoked key's subscriptions end within the key
 * cache's time plus this), in milliseconds.
 */
const KEY_SWEEP_MS = 1_000;

/** What the WebSocket transport shares with the rest of the API node. */
export interface WebSocketOptions {
  deps: BackofficeDeps;
  readModel: ReadModel;
  schema: GraphQLSchema;
  /** Whether introspection is open (outside production). */
  introspection: boolean;
  auth: Authenticator;
  errors: ChannelErrorFormatter;
  operations: OperationCounter;
  snapshots: SnapshotHub;
}

/**
 * The graphql-ws transport of one API node: attached to an HTTP server, detached on drain, stopped on
 * shutdown.
 */
export interface WebSocketTransport {
  attach(http: Server): void;
  detach(): Promise<void>;
  stop(): Promise<void>;
}

type Extra = { socket: WebSocket; request: IncomingMessage; connection?: Connection };

/** The WebSocket transport; its sweep of open connections starts at once (unref'd). */
export function webSocketTransport(o: WebSocketOptions): WebSocketTransport {
  const { deps, auth, errors, operations, schema } = o;
  const connections = new Set<Connection>();
  const slots = new SubscriptionSlots(deps);

  /** Checks every open connection's key again; a revoked key's subscriptions end with UNAUTHENTICATED. */
  let sweeps = 0;
  const sweep = async () => {
    const renew = ++sweeps % Math.round(SLOT_TTL_MS / 3 / KEY_SWEEP_MS) === 0;
    const kept: Connection[] = [];
    for (const c of connections) {
      if (c.revoked.signal.aborted) continue;
      const revoked = await auth.revocationOf(c);
      if (revoked) c.revoked.abort(revoked);
      else kept.push(c);
    }
    if (renew) await slots.renew(kept);
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

  /**
   * Counts a WebSocket operation's answer, the first one it gets (a subscription's events are not answers).
   */
  const answered = (c: Connection | undefined, id: string, code: string) => {
    if (!c?.unanswered.has(id)) return;
    operations.count('ws', c.unanswered.get(id), code);
    c.unanswered.delete(id);
  };

  let dispose: (() => Promise<void>) | undefined;
  const attach = (http: Server) => {
    const wss = new WebSocketServer({ server: http, path: '/graphql', maxPayload: MAX_MESSAGE_BYTES });
    // The server re-emits the HTTP server's errors (an accept failing, say): logged, never a crashed process.
    wss.on('error', (e) => deps.logger.warn({ err: e }, 'WebSocket server error'));
    const cleanup = useServer<Record<string, unknown>, Extra>(
      {
        schema,
        onConnect: async (c) => {
          const params = c.connectionParams ?? {};
          const credentials = auth.credentials(c.extra.request, {
            authorization: params.authorization,
            customerToken: params.customerToken,
          });
          try {
            const connection = openConnection(credentials, await auth.admit(credentials));
            c.extra.connection = connection;
            connections.add(connection);
            return true;
          } catch (e) {
            const refused =
              e instanceof DomainError
                ? e
                : new DomainError('UNAVAILABLE', 'The hub cannot accept connections right now', {});
            operations.count('ws', null, refused.code);
            const close = closeFor(refused);
            c.extra.socket.close(close.code, close.reason);
            return false;
          }
        },
        onSubscribe: async (c, id, payload) => {
          const connection = c.extra.connection!;
          connection.unanswered.set(id, null);
          try {
            if (connection.revoked.signal.aborted) throw connection.revoked.signal.reason;
            // The key is checked again and the operation counted against the client's rate, as every HTTP
            // request is.
            connection.admitted = await auth.admit(connection.credentials);
            const bad = unstorableVariables(payload.variables);
            if (bad) throw bad;
          } catch (e) {
            return asErrors(e);
          }
          const checked = checkDocument(schema, payload.query, o.introspection);
          if (checked.errors) return [...checked.errors];
          const document = checked.document;
          const operation = getOperationAST(document, payload.operationName ?? undefined);
          if (operation) connection.unanswered.set(id, operation);
          if (operation?.operation === 'subscription') {
            const refused = await slots.take(connection, id);
            if (refused) return asErrors(refused);
          }
          const contextValue: GraphqlContext = {
            deps,
            readModel: o.readModel,
            client: connection.admitted.client,
            customerId: connection.admitted.customerId,
            snapshots: o.snapshots,
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
        // An error graphql-ws reports without a cause of ours ("Unable to identify operation") refuses the
        // request.
        onError: (c, id, _p, errs) => {
          const sent = errs.map((e) =>
            e.originalError ? errors.format(e.toJSON(), e.originalError) : errors.requestError(e),
          );
          answered(c.extra.connection, id, resultCode(sent));
          return sent;
        },
        // A subscription that started is answered OK; a query's or mutation's result is counted as its one
        // `next`.
        onOperation: (c, id, _p, _args, result) => {
          if (Symbol.asyncIterator in result) answered(c.extra.connection, id, 'OK');
        },
        // An error without data and without a path is a request error (a variable of the wrong type, say):
        // the client's, as over HTTP. One with a path came from a resolver and is formatted as such.
        onNext: (c, id, _p, _args, result) => {
          const sent = result.errors
            ? {
                ...result,
                errors: result.errors.map((e) =>
                  !('data' in result) && !e.path ? errors.requestError(e) : errors.format(e.toJSON(), e),
                ),
              }
            : undefined;
          answered(c.extra.connection, id, resultCode(sent?.errors));
          return sent;
        },
        // Keep-alives, not a free echo: before the connection is let in, or past the ping rate, the socket
        // closes.
        onPing: (c) => {
          const connection = c.extra.connection;
          if (!connection) {
            c.extra.socket.close(4401, 'UNAUTHENTICATED: ping before connection_init');
            return;
          }
          if (!withinPingRate(connection)) c.extra.socket.close(4029, 'RATE_LIMITED: too many pings');
        },
        onComplete: (c, id) => {
          if (!c.extra.connection) return;
          c.extra.connection.unanswered.delete(id);
          slots.release(c.extra.connection, id);
        },
        onClose: (c) => {
          const connection = c.extra.connection;
          if (!connection) return;
          connections.delete(connection);
          for (const id of [...connection.subscriptions]) slots.release(connection, id);
        },
      },
      wss,
    );
    // A socket's errors (a message over maxPayload, which ws answers by closing with 1009) go to our log,
    // once per socket at info level, instead of graphql-ws's console.error with a stack trace that any client
    // could provoke.
    wss.on('connection', (socket) => {
      socket.removeAllListeners('error');
      socket.once('error', (e: Error & { code?: string }) => {
        deps.logger.info({ code: e.code, message: e.message }, 'WebSocket connection closed on an error');
        if (socket.readyState === socket.OPEN) socket.close(1011, 'Internal error');
      });
    });
    dispose = async () => {
      await cleanup.dispose();
      wss.close();
    };
  };

  return {
    attach,
    /** Ends every subscription (clients reconnect to another node). */
    detach: async () => {
      await dispose?.();
      dispose = undefined;
    },
    stop: async () => {
      clearInterval(sweeper);
      await dispose?.();
    },
  };
}
