/**
 * The channel API over graphql-ws, on the HTTP server's port and path: the same gate (authenticate.ts),
 * limits (query-limits.ts, operation-rules.ts) and error formatting (errors.ts) as HTTP, plus the
 * limits only a long-lived connection needs (rate-limit.ts) and the sweep that ends a revoked key's
 * subscriptions.
 */
import type { IncomingMessage, Server } from 'node:http';
import { getOperationAST, type ExecutionArgs, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BackofficeDeps, ReadModel } from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';
import type { Authenticator } from './authenticate.js';
import { openConnection, type Connection } from './connection.js';
import { contextOf, type GraphqlContext } from './context.js';
import { asErrors, closeFor, type ChannelErrorFormatter } from './errors.js';
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

type Extra = { socket: WebSocket; request: IncomingMessage; connection?: Connection };
type Ctx = Context<Record<string, unknown>, Extra>;

/**
 * The graphql-ws transport of one API node: attached to an HTTP server, detached on drain, stopped on
 * shutdown. Its sweep of open connections runs from construction (unref'd) until `stop`.
 */
export class WebSocketTransport {
  private readonly connections = new Set<Connection>();
  private readonly slots: SubscriptionSlots;
  private readonly sweeper: NodeJS.Timeout;
  private sweeps = 0;
  private sweeping = false;
  private dispose: (() => Promise<void>) | undefined;

  constructor(private readonly o: WebSocketOptions) {
    this.slots = new SubscriptionSlots(o.deps);
    this.sweeper = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = true;
      void this.sweep()
        .catch((e: unknown) => o.deps.logger.warn({ err: e }, 'checking open connections failed'))
        .finally(() => {
          this.sweeping = false;
        });
    }, KEY_SWEEP_MS);
    this.sweeper.unref();
  }

  /** Serves graphql-ws on `http`'s port at /graphql; the key comes in the connection params. */
  attach(http: Server): void {
    const { deps, errors } = this.o;
    const wss = new WebSocketServer({ server: http, path: '/graphql', maxPayload: MAX_MESSAGE_BYTES });
    // The server re-emits the HTTP server's errors (an accept failing, say): logged, never a crashed process.
    wss.on('error', (e) => deps.logger.warn({ err: e }, 'WebSocket server error'));
    const cleanup = useServer<Record<string, unknown>, Extra>(
      {
        schema: this.o.schema,
        onConnect: (c) => this.connect(c),
        onSubscribe: (c, id, payload) => this.subscribe(c, id, payload),
        // An error graphql-ws reports without a cause of ours ("Unable to identify operation") refuses the
        // request.
        onError: (c, id, _p, errs) => {
          const sent = errs.map((e) =>
            e.originalError ? errors.format(e.toJSON(), e.originalError) : errors.requestError(e),
          );
          this.answered(c.extra.connection, id, resultCode(sent));
          return sent;
        },
        // A subscription that started is answered OK; a query's or mutation's result is counted as its one
        // `next`.
        onOperation: (c, id, _p, _args, result) => {
          if (Symbol.asyncIterator in result) this.answered(c.extra.connection, id, 'OK');
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
          this.answered(c.extra.connection, id, resultCode(sent?.errors));
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
          this.slots.release(c.extra.connection, id);
        },
        onClose: (c) => {
          const connection = c.extra.connection;
          if (!connection) return;
          this.connections.delete(connection);
          for (const id of [...connection.subscriptions]) this.slots.release(connection, id);
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
    this.dispose = async () => {
      await cleanup.dispose();
      wss.close();
    };
  }

  /** Ends every subscription (clients reconnect to another node). */
  async detach(): Promise<void> {
    await this.dispose?.();
    this.dispose = undefined;
  }

  /** Stops the sweep and ends every connection. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await this.dispose?.();
  }

  /** Lets a connection in through the gate, or closes its socket with the refusal's close code. */
  private async connect(c: Ctx): Promise<boolean> {
    const params = c.connectionParams ?? {};
    const credentials = this.o.auth.credentials(c.extra.request, {
      authorization: params.authorization,
      customerToken: params.customerToken,
    });
    try {
      const connection = openConnection(credentials, await this.o.auth.admit(credentials));
      c.extra.connection = connection;
      this.connections.add(connection);
      return true;
    } catch (e) {
      const refused =
        e instanceof DomainError
          ? e
          : new DomainError('UNAVAILABLE', 'The hub cannot accept connections right now', {});
      this.o.operations.count('ws', null, refused.code);
      const close = closeFor(refused);
      c.extra.socket.close(close.code, close.reason);
      return false;
    }
  }

  /**
   * One operation of a connection, through the same guards as an HTTP request: the gate again (key, client
   * rate, customer token), storable variables, the document's limits and validation; a subscription takes one
   * of its client's slots.
   */
  private async subscribe(
    c: Ctx,
    id: string,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const connection = c.extra.connection!;
    connection.unanswered.set(id, null);
    try {
      if (connection.revoked.signal.aborted) throw connection.revoked.signal.reason;
      // The key is checked again and the operation counted against the client's rate, as every HTTP request
      // is.
      connection.admitted = await this.o.auth.admit(connection.credentials);
      const bad = unstorableVariables(payload.variables);
      if (bad) throw bad;
    } catch (e) {
      return asErrors(e);
    }
    const checked = checkDocument(this.o.schema, payload.query, this.o.introspection);
    if (checked.errors) return [...checked.errors];
    const document = checked.document;
    const operation = getOperationAST(document, payload.operationName ?? undefined);
    if (operation) connection.unanswered.set(id, operation);
    if (operation?.operation === 'subscription') {
      const refused = await this.slots.take(connection, id);
      if (refused) return asErrors(refused);
    }
    const contextValue: GraphqlContext = {
      ...contextOf(this.o.deps, this.o.readModel, connection.admitted),
      snapshots: this.o.snapshots,
      signal: connection.revoked.signal,
    };
    return {
      schema: this.o.schema,
      document,
      variableValues: payload.variables ?? null,
      operationName: payload.operationName ?? null,
      contextValue,
    };
  }

  /** Checks every open connection's key again; a revoked key's subscriptions end with UNAUTHENTICATED. */
  private async sweep(): Promise<void> {
    const renew = ++this.sweeps % Math.round(SLOT_TTL_MS / 3 / KEY_SWEEP_MS) === 0;
    const kept: Connection[] = [];
    for (const c of this.connections) {
      if (c.revoked.signal.aborted) continue;
      const revoked = await this.o.auth.revocationOf(c);
      if (revoked) c.revoked.abort(revoked);
      else kept.push(c);
    }
    if (renew) await this.slots.renew(kept);
  }

  /**
   * Counts a WebSocket operation's answer, the first one it gets (a subscription's events are not answers).
   */
  private answered(c: Connection | undefined, id: string, code: string): void {
    if (!c?.unanswered.has(id)) return;
    this.o.operations.count('ws', c.unanswered.get(id), code);
    c.unanswered.delete(id);
  }
}
