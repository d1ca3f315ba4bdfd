import express, { Router, type Request, type Response } from 'express';
import type { BackofficeDeps } from '../backoffice-deps.js';
import type { AdminActor, AdminRoute } from './admin-route.js';
import { requireAdmin } from './admin-auth.js';
import { recordAudit } from './audit.js';
import { buildOpenApi } from './openapi.js';
import { parseInput, sendProblem, toProblem } from './problem.js';

/** Largest JSON body an admin route accepts; bulk feeds go through the streaming imports route instead. */
export const ADMIN_JSON_LIMIT = '1mb';

/**
 * Mounts admin routes (from every layer) on one router under /admin/v1 with admin-key auth, zod validation,
 * problem+json errors and the OpenAPI document. Every route, the OpenAPI document (`GET /openapi.json`) included,
 * wants `Authorization: Bearer <admin key>`: 401 UNAUTHENTICATED without one, 403 FORBIDDEN with a key that is not one.
 */
export function createAdminRouter(deps: BackofficeDeps, routes: readonly AdminRoute[], version = '1.0.0'): Router {
  const router = Router();
  const openapi = buildOpenApi(routes, version);
  // The document maps every admin operation and its inputs: it is for admin callers only, like the routes it lists.
  router.use(requireAdmin(deps));
  router.get('/openapi.json', (_req, res) => { res.json(openapi); });
  const json = express.json({ limit: ADMIN_JSON_LIMIT, strict: true });
  for (const route of routes) {
    const handlers = route.rawBody ? [] : [json];
    router[route.method](route.path, ...handlers, async (req: Request, res: Response) => {
      const params = route.params ? parseInput(route.params, req.params, 'path') : req.params;
      const query = route.query ? parseInput(route.query, req.query, 'query') : {};
      const body = route.body ? parseInput(route.body, req.body, 'body') : undefined;
      const actor = res.locals.actor as AdminActor;
      const result = await route.handle({ params, query, body, deps, actor, raw: req });
      if (route.method !== 'get') {
        // Recorded after the change committed: the trail never claims a change that rolled back.
        const revision = (result as { revision?: unknown } | undefined)?.revision;
        await recordAudit(deps.db, deps.clock.now(), {
          actor: `admin:${actor.name}`, action: `${route.method.toUpperCase()} ${route.path}`, subject: req.path,
          revision: typeof revision === 'number' ? revision : null, details: { adminKeyId: actor.keyId },
        }).catch((e: unknown) => deps.logger.error({ err: e }, 'could not write the audit trail'));
      }
      res.status(route.status ?? 200).json(result ?? {});
    });
  }
  router.use((_req: Request, res: Response) => {
    sendProblem(res, { type: 'about:blank', title: 'Not found', status: 404, code: 'NOT_FOUND', detail: 'No such admin route' });
  });
  // Express 5 forwards rejected promises here: the one place admin errors become problem documents.
  router.use((err: unknown, req: Request, res: Response, _next: express.NextFunction) => {
    sendProblem(res, toProblem(err, req, deps.logger));
  });
  return router;
}
