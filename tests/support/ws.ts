import { spawn } from 'node:child_process';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startApiNode, type ApiNode } from '../../channel-layer/index.js';
import type { BackofficeDeps } from '../../backoffice-layer/index.js';
import type { GraphqlError } from './channel.js';

/** What a channel client receives for one operation, over either transport. */
export interface Answer {
  /**
   * The HTTP status (over WebSocket: 200 for a result, 0 for an operation refused with an `error` message).
   */
  status: number;
  data?: any;
  errors?: GraphqlError[];
}

export { seedCoat } from './channel.js';

/**
 * Starts an API node whose configuration names `nodeEnv` (production closes introspection and hides
 * suggestions).
 */
export async function startNodeIn(
  deps: BackofficeDeps,
  nodeEnv: 'production' | 'development',
): Promise<ApiNode> {
  return startApiNode({ ...deps, config: { ...deps.config, nodeEnv } }, 0, '127.0.0.1');
}

/**
 * An API node in a process of its own (`omnihub api`, as deployed), on the test's database and Redis prefix:
 * what it does to its event loop is measured without the test process's own work mixed in.
 */
export async function spawnApiProcess(
  ctx: { databaseUrl: string; redisUrl: string; redisPrefix: string },
  nodeEnv: 'production' | 'development',
): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['bin/omnihub.js', 'api'], {
    env: {
      ...process.env,
      DATABASE_URL: ctx.databaseUrl,
      REDIS_URL: ctx.redisUrl,
      OMNIHUB_REDIS_PREFIX: ctx.redisPrefix,
      PORT: '0',
      LOG_LEVEL: 'error',
      NODE_ENV: nodeEnv,
      OMNIHUB_ADMIN_KEY: 'spawned-api-admin-key-0123456789',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /localhost:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`omnihub api exited (${code})`)));
  });
  return {
    port,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
}

/**
 * POSTs one operation to /graphql with `key`; returns the status and the parsed body (a non-JSON body as one
 * error).
 */
export async function httpOperation(
  port: number,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as { data?: unknown; errors?: GraphqlError[] }) };
  } catch {
    return { status: res.status, errors: [{ message: text, extensions: { code: `HTTP_${res.status}` } }] };
  }
}

/**
 * A graphql-ws client of an API node on `port`, presenting `key` (no reconnects: a closed connection stays
 * closed).
 */
export function wsClient(port: number, key: string, opts: { customerToken?: string } = {}): Client {
  return createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams: {
      authorization: `Bearer ${key}`,
      ...(opts.customerToken ? { customerToken: opts.customerToken } : {}),
    },
    onNonLazyError: () => undefined,
  });
}

/**
 * Runs one query or mutation over a graphql-ws client: its result, or the errors of the `error` message that
 * refused it (status 0). Rejects when the connection itself fails (a close event or a socket error).
 */
export function wsOperation(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answer: Answer | undefined;
    client.subscribe(
      { query, variables },
      {
        next: (r) => {
          answer = {
            status: 200,
            ...(r.data !== undefined ? { data: r.data } : {}),
            ...(r.errors ? { errors: r.errors as GraphqlError[] } : {}),
          };
        },
        error: (e) =>
          Array.isArray(e)
            ? resolve({ status: 0, errors: e as GraphqlError[] })
            : reject(e instanceof Error ? e : new Error(`connection failed: ${describeClose(e)}`)),
        complete: () => (answer ? resolve(answer) : reject(new Error('completed without a result'))),
      },
    );
  });
}

/** A subscription over a graphql-ws client: every push, how it ended, and a way to complete it. */
export interface Watch<T> {
  values: T[];
  /** The errors it ended with (an `error` message), once it did. */
  errors: GraphqlError[] | undefined;
  /** Errors carried by `next` messages, in order (a subscription refused as it started sends only these). */
  pushErrors: GraphqlError[];
  /** Settles when the first push arrives (the subscription was accepted) or it ended without one. */
  first: Promise<void>;
  /** Settles when it ends: completed, or with an error. */
  ended: Promise<void>;
  /** Completes it (the client sends `complete`). */
  stop(): void;
}

export function watch<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Watch<T> {
  let firstDone!: () => void;
  let endDone!: () => void;
  const w: Watch<T> = {
    values: [],
    errors: undefined,
    pushErrors: [],
    first: new Promise<void>((r) => {
      firstDone = r;
    }),
    ended: new Promise<void>((r) => {
      endDone = r;
    }),
    stop: () => undefined,
  };
  w.stop = client.subscribe<T>(
    { query, variables },
    {
      next: (r) => {
        w.values.push(r.data as T);
        // A refused subscription is one `next` carrying only errors (then `complete`); a push may carry some.
        if (r.errors) w.pushErrors.push(...(r.errors as GraphqlError[]));
        firstDone();
      },
      error: (e) => {
        w.errors = Array.isArray(e)
          ? (e as GraphqlError[])
          : [{ message: describeClose(e), extensions: { code: 'CONNECTION_FAILED' } }];
        firstDone();
        endDone();
      },
      complete: () => {
        firstDone();
        endDone();
      },
    },
  );
  return w;
}

function describeClose(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e) {
    const { code, reason } = e as { code: unknown; reason?: unknown };
    return `close ${String(code)} ${String(reason ?? '')}`;
  }
  return String(e);
}

/**
 * A raw graphql-transport-ws socket: sends `connection_init` with `params`; `acked` settles on
 * `connection_ack`.
 */
export interface RawSocket {
  socket: WebSocket;
  /** Resolves on `connection_ack`; rejects if the socket closes first. */
  acked: Promise<void>;
  /** Resolves with the close code and reason once the socket is closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** Every message the server sent, parsed. */
  received: Array<{ type: string; id?: string; payload?: unknown }>;
}

export function rawSocket(
  port: number,
  params: Record<string, unknown>,
  opts: { localAddress?: string } = {},
): RawSocket {
  const socket = new WebSocket(
    `ws://127.0.0.1:${port}/graphql`,
    'graphql-transport-ws',
    opts.localAddress ? { localAddress: opts.localAddress } : {},
  );
  const received: RawSocket['received'] = [];
  socket.on('error', () => undefined); // the close event carries what matters
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const acked = new Promise<void>((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: params })));
    socket.on('message', (m) => {
      const msg = JSON.parse(m.toString()) as RawSocket['received'][number];
      received.push(msg);
      if (msg.type === 'connection_ack') resolve();
    });
    void closed.then((c) => reject(new Error(`closed before connection_ack: ${c.code} ${c.reason}`)));
  });
  acked.catch(() => undefined);
  return { socket, acked, closed, received };
}

/**
 * Polls GET /healthz every `everyMs` until stopped. Each answer's time is counted from when its request was
 * due (the previous answer plus `everyMs`), so an event loop blocked between two polls shows as a slow answer
 * too.
 */
export function healthzProbe(
  port: number,
  everyMs = 5,
): { stop(): Promise<{ slowestMs: number; answers: number; failures: number }> } {
  let running = true;
  let slowestMs = 0;
  let answers = 0;
  let failures = 0;
  const loop = (async () => {
    let due = performance.now();
    while (running) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        await res.arrayBuffer();
        if (res.status !== 200) failures++;
      } catch {
        failures++;
      }
      answers++;
      slowestMs = Math.max(slowestMs, performance.now() - due);
      due = performance.now() + everyMs;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { slowestMs, answers, failures };
    },
  };
}

/** `promise`'s value, or `otherwise` once `ms` have passed (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number, otherwise: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(otherwise), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
