import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { DomainError, parseInput, storableText } from '../../shared/index.js';
import type { BackofficeDeps } from '../backoffice-deps.js';
import type { AdminActor, AdminRoute } from './admin-route.js';
import { adminKeyGuard, requireAdmin, type ConsoleKeyLookup } from './admin-auth.js';
import { requireConsoleAccess } from './console-access.js';
import { recordAudit } from './audit.js';
import { buildOpenApi, operationIdOf } from './openapi.js';
import { problemOf, sendProblem, toProblem } from './problem.js';

/** What the admin router may be given besides its routes. */
export interface AdminRouterOptions {
  /**
   * Looks up CONSOLE channel client keys (the channel layer owns its clients, so it passes this in): with it,
   * such a key reaches the routes its console scopes open (console-access.ts); without it, only admin keys
   * are accepted.
   */
  consoleKeys?: ConsoleKeyLookup;
  /**
   * Told of an admin key this node revoked or ended (rotation with no grace), so the node's other entrances
   * (GraphQL, which lets admin keys in as console callers) forget it at once too.
   */
  onAdminKeyEnded?: (keyId: string) => void;
}

/** Largest JSON body an admin route accepts; bulk feeds go through the streaming imports route instead. */
export const ADMIN_JSON_LIMIT = '1mb';

/**
 * Mounts admin routes (from every layer) on one router under /admin/v1 with admin-key auth, zod validation,
 * problem+json errors and the OpenAPI document. Every route, the OpenAPI document (`GET /openapi.json`)
 * included, wants `Authorization: Bearer <admin key>`: 401 UNAUTHENTICATED without one, 403 FORBIDDEN with a
 * key that is not one. With `opts.consoleKeys`, a CONSOLE client key is accepted too, for the operations its
 * console scopes open (console-access.ts: checked after the input is parsed, before the route runs; anything
 * else 403 FORBIDDEN); the audit trail names it `client:<id>`. Rules every route follows, here and nowhere
 * else: a body is JSON or refused (`requireJsonBody`), a query parameter the route does not name is refused
 * (`refuseUnknownQuery`), both with 400 BAD_USER_INPUT.
 */
export function createAdminRouter(
  deps: BackofficeDeps,
  routes: readonly AdminRoute[],
  version = '1.0.0',
  opts: AdminRouterOptions = {},
): Router {
  const router = Router();
  const openapi = buildOpenApi(routes, version);
  const keys = adminKeyGuard(deps, opts.consoleKeys);
  const forgetAdminKey = (keyId: string): void => {
    keys.forget((actor) => actor.kind === 'ADMIN' && actor.keyId === keyId);
    opts.onAdminKeyEnded?.(keyId);
  };
  router.use(requireAdmin(deps, keys));
  // The document maps every admin operation and its inputs: it is for admin keys only (a console key is
  // refused, as for any operation not in CONSOLE_ROUTES).
  router.get('/openapi.json', (_req, res) => {
    if ((res.locals.actor as AdminActor).kind !== 'ADMIN')
      throw new DomainError('FORBIDDEN', 'A console key does not open this admin route', {});
    res.json(openapi);
  });
  const json = express.json({ limit: ADMIN_JSON_LIMIT, strict: true });
  for (const route of routes) {
    const handlers = route.rawBody ? [] : [requireJsonBody, json];
    router[route.method](route.path, ...handlers, async (req: Request, res: Response) => {
      const params = route.params ? parseInput(route.params, req.params, 'path') : req.params;
      refuseUnknownQuery(route, req.query);
      const query = route.query ? parseInput(route.query, req.query, 'query') : {};
      const body = route.body ? parseInput(route.body, req.body, 'body') : undefined;
      const actor = res.locals.actor as AdminActor;
      await requireConsoleAccess(actor, operationIdOf(route), {
        params: params as Record<string, unknown>,
        query: query as Record<string, unknown>,
        body,
        db: deps.db,
      });
      const result = await route.handle({ params, query, body, deps, actor, forgetAdminKey, raw: req });
      if (route.method !== 'get' && !route.readsOnly) {
        // Recorded after the change committed: the trail never claims a change that rolled back.
        const revision = (result as { revision?: unknown } | undefined)?.revision;
        await recordAudit(deps.db, deps.clock.now(), {
          actor: actor.audit,
          action: `${route.method.toUpperCase()} ${route.path}`,
          subject: req.path,
          revision: typeof revision === 'number' ? revision : null,
          details: actor.details,
        }).catch((e: unknown) => deps.logger.error({ err: e }, 'could not write the audit trail'));
      }
      res.status(route.status ?? 200).json(result ?? {});
    });
  }
  router.use((_req: Request, res: Response) => {
    sendProblem(res, problemOf('NOT_FOUND', 'No such admin route', _req));
  });
  // Express 5 forwards rejected promises here: the one place admin errors become problem documents.
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendProblem(res, toProblem(err, req, deps.logger));
  });
  return router;
}

/** Whether the request carries a body: a non-zero Content-Length, or one sent in chunks. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * A JSON route's body is `application/json` or it is refused (400 BAD_USER_INPUT): a form (`graceSeconds=0`)
 * or JSON sent as text/plain would otherwise be read as no body at all, and the route's defaults would apply
 * in its place (a rotation meant to end a key now would give it 24 hours).
 */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (!hasBody(req) || req.is('application/json')) return next();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  next(
    new DomainError(
      'BAD_USER_INPUT',
      `Send the body as application/json; got ${type ? `"${type}"` : 'no content type'}`,
      {
        issues: [{ path: 'header.content-type', message: 'must be application/json' }],
      },
    ),
  );
}

/**
 * Refuses (400 BAD_USER_INPUT naming each, `query.<name>`) a query parameter the route does not name: a route
 * without a query schema takes none, one with an object schema only its keys — so a misspelt filter is never
 * silently ignored.
 */
function refuseUnknownQuery(route: AdminRoute, query: Record<string, unknown>): void {
  const known =
    route.query instanceof z.ZodObject
      ? new Set(Object.keys(route.query.shape as Record<string, unknown>))
      : route.query
        ? undefined
        : new Set<string>();
  if (!known) return;
  const unknown = Object.keys(query)
    .filter((k) => !known.has(k))
    .slice(0, 20);
  if (unknown.length === 0) return;
  const issues = unknown.map((k) => ({
    path: `query.${storableText(k)}`,
    message: 'unknown query parameter',
  }));
  throw new DomainError(
    'BAD_USER_INPUT',
    `Invalid query: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    { issues },
  );
}
