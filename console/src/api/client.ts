import { createClient, type Client } from 'graphql-ws';

/**
 * The console's one way to the hub: the public GraphQL API (`/graphql`, HTTP and graphql-ws) and the admin
 * REST (`/admin/v1`), same origin, with the signed-in key as `Authorization: Bearer <key>`. No private
 * endpoint.
 */

const KEY_ITEM = 'omnihub.console.key';

/** The key this tab signed in with (kept in sessionStorage: gone when the tab closes), or null. */
export function currentKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

/** Remembers `key` for this tab, or forgets it (sign out) with null; drops the live connection either way. */
export function setKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_ITEM);
  else sessionStorage.setItem(KEY_ITEM, key);
  wsClient?.dispose();
  wsClient = null;
}

/** One field's problem, as the hub names it: `path` like `body.rule.action.percent`. */
export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * A refusal or failure from the hub: HTTP status (0 when the hub was not reached), its stable `code`
 * (BAD_INPUT, FORBIDDEN, NOT_FOUND, CONFLICT, …), the message in words and the field issues, if any.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * The issues by field, with `prefix` (e.g. `body.`) cut off the path: `{ 'rule.action.percent': '…' }`.
   * The first message of a field wins.
   */
  fieldErrors(prefix = 'body.'): Record<string, string> {
    const out: Record<string, string> = {};
    for (const i of this.issues) {
      const field = i.path.startsWith(prefix) ? i.path.slice(prefix.length) : i.path;
      out[field] ??= i.message;
    }
    return out;
  }
}

function authHeaders(): Record<string, string> {
  const key = currentKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

async function reach(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, 'UNREACHABLE', `The hub did not answer (${(e as Error).message})`);
  }
}

/**
 * Calls the admin REST: `rest('GET', '/kpis?from=…')` → the parsed JSON answer. A write may carry an
 * `Idempotency-Key`. @throws ApiError with the problem document's status, code, detail and issues.
 */
export async function rest<T>(
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  opts: { idempotencyKey?: string } = {},
): Promise<T> {
  const res = await reach(`/admin/v1${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...authHeaders(),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const p = (parsed ?? {}) as { code?: string; detail?: string; title?: string; issues?: FieldIssue[] };
    throw new ApiError(
      res.status,
      p.code ?? 'HTTP_' + String(res.status),
      p.detail ?? p.title ?? res.statusText,
      Array.isArray(p.issues) ? p.issues : [],
    );
  }
  return parsed as T;
}

interface GraphqlErrorBody {
  message: string;
  extensions?: { code?: string; issues?: FieldIssue[] };
}

/**
 * Runs a GraphQL operation over HTTP → its `data`. @throws ApiError with the first error's
 * `extensions.code` (FORBIDDEN, NOT_FOUND, BAD_USER_INPUT, …).
 */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await reach('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders() },
    body: JSON.stringify({ query, variables }),
  });
  let body: { data?: T | null; errors?: GraphqlErrorBody[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new ApiError(res.status, 'HTTP_' + String(res.status), res.statusText);
  }
  const first = body.errors?.[0];
  if (first) {
    throw new ApiError(
      res.status,
      first.extensions?.code ?? 'GRAPHQL_ERROR',
      first.message,
      first.extensions?.issues ?? [],
    );
  }
  if (body.data == null) throw new ApiError(res.status, 'NO_DATA', 'The hub answered no data');
  return body.data;
}

let wsClient: Client | null = null;

function liveClient(): Client {
  if (!wsClient) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    wsClient = createClient({
      url: `${scheme}://${location.host}/graphql`,
      connectionParams: () => ({ authorization: `Bearer ${currentKey() ?? ''}` }),
      lazy: true,
      retryAttempts: Infinity,
      shouldRetry: () => true,
    });
  }
  return wsClient;
}

/**
 * Subscribes to a GraphQL subscription over graphql-ws: `onData` gets each pushed `data`, `onError` a
 * refusal. Returns the unsubscribe function.
 */
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  onError: (e: ApiError) => void = () => undefined,
): () => void {
  return liveClient().subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        const first = (v.errors as GraphqlErrorBody[] | undefined)?.[0];
        if (first) onError(new ApiError(0, first.extensions?.code ?? 'GRAPHQL_ERROR', first.message));
        else if (v.data) onData(v.data as T);
      },
      error: (e) =>
        onError(
          new ApiError(0, 'SUBSCRIPTION_ENDED', e instanceof Error ? e.message : 'The live connection ended'),
        ),
      complete: () => undefined,
    },
  );
}

/** A fresh idempotency key for one staff action (a click retried by the network stays one action). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
