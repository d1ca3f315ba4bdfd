import type { z } from 'zod';
import type { BackofficeDeps } from '../backoffice-deps.js';

/** Who is calling an admin route (an admin key's id and name), for the audit trail. */
export interface AdminActor {
  keyId: string;
  name: string;
}

export interface AdminRouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  deps: BackofficeDeps;
  actor: AdminActor;
  /** The raw request, for the few routes that stream their body (bulk imports). */
  raw: import('express').Request;
}

/**
 * One admin REST operation as data: its zod schemas make both the validation and the OpenAPI document.
 * A layer exports a list of these; the admin router mounts them and publishes them at /admin/v1/openapi.json.
 */
export interface AdminRoute<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: 'get' | 'put' | 'post' | 'delete';
  /** Express-style path under /admin/v1, e.g. `/products/:sku`. */
  path: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** When set, the body is not parsed as JSON (the handler streams `raw`). */
  rawBody?: { contentTypes: string[] };
  /** Status on success; 200 unless set. */
  status?: number;
  handle(input: AdminRouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<unknown>;
}

/** Helper that keeps the schema types flowing into `handle`. */
export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(route: AdminRoute<P, Q, B>): AdminRoute {
  return route as unknown as AdminRoute;
}
