import type { z } from 'zod';
import type { ConsoleGrants } from '../../shared/index.js';
import type { BackofficeDeps } from '../backoffice-deps.js';

/**
 * Who is calling an admin route, for the audit trail and the console guard: an admin key (`ADMIN`), or a
 * CONSOLE channel client key (`CONSOLE`), which reaches only the routes its console scopes open
 * (console-access.ts). `kind` is also the write origin recorded (order history's channel).
 */
export interface AdminActor {
  kind: 'ADMIN' | 'CONSOLE';
  /** The admin key's id; for a CONSOLE client key, the client's id. */
  keyId: string;
  /** The admin key's or the client's name. */
  name: string;
  /** How the audit trail and histories name the caller: `admin:<name>`; `client:<id>` for a CONSOLE key. */
  audit: string;
  /** What an audit row's details say of the caller: `{ adminKeyId }`, or `{ clientId, clientName }`. */
  details: Record<string, string>;
  /** The console areas and locations the key opens: every one for an admin key. */
  grants: ConsoleGrants;
}

/**
 * A CONSOLE client key as the admin API sees it: its client's id and name, how the channel layer names it on
 * the audit trail (`client:<id>`), and its scopes. What the channel layer's look-up answers (see
 * AdminRouterOptions.consoleKeys).
 */
export interface ConsoleKeyHolder {
  clientId: string;
  name: string;
  audit: string;
  scopes: readonly string[];
}

export interface AdminRouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  deps: BackofficeDeps;
  actor: AdminActor;
  /**
   * Makes this node forget the admin key `keyId` it may remember (KeyGuard, 5 s), so a key just revoked or
   * ended is refused here at once; other nodes refuse it within KEY_CACHE_MS.
   */
  forgetAdminKey(keyId: string): void;
  /** The raw request, for the few routes that stream their body (bulk imports). */
  raw: import('express').Request;
}

/**
 * One admin REST operation as data: its zod schemas make both the validation and the OpenAPI document.
 * A layer exports a list of these; the admin router mounts them and publishes them at /admin/v1/openapi.json.
 */
export interface AdminRoute<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: 'get' | 'put' | 'post' | 'delete';
  /** Express-style path under /admin/v1, e.g. `/products/:sku`. */
  path: string;
  /**
   * The OpenAPI operationId: camelCase, unique across the API, never changed once published (clients are
   * generated from it). Every product route names one (tests/backoffice/openapi-lint.test.ts); absent, one is
   * derived from the method and path.
   */
  operationId?: string;
  summary: string;
  /** One of ADMIN_TAGS (openapi.ts), which describes it. */
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** When set, the body is not parsed as JSON (the handler streams `raw`). */
  rawBody?: { contentTypes: string[] };
  /** Status on success; 200 unless set. */
  status?: number;
  /**
   * The success answer's shape, for the OpenAPI document (dates as ISO 8601 strings, as JSON carries them).
   * Every product route gives one (tests/backoffice/openapi-lint.test.ts); absent, the document says "an
   * object".
   */
  response?: z.ZodType;
  /**
   * The route changes nothing although it is no GET (a question too large for a query string: a preview):
   * it is not put on the audit trail, as no GET is, so asking it leaves no row anywhere.
   */
  readsOnly?: true;
  /** The route honours an `Idempotency-Key` header (`required`: refuses a write without one). */
  idempotencyKey?: 'required';
  /**
   * Codes the route may answer besides those of every route (400, 401, 403, 429, 503), e.g. NOT_FOUND,
   * CONFLICT.
   */
  errors?: readonly ('NOT_FOUND' | 'CONFLICT' | 'INSUFFICIENT_STOCK' | 'PAYLOAD_TOO_LARGE')[];
  handle(input: AdminRouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<unknown>;
}

/** Helper that keeps the schema types flowing into `handle`. */
export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  route: AdminRoute<P, Q, B>,
): AdminRoute {
  return route as unknown as AdminRoute;
}
