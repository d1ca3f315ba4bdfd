import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import { sql } from 'kysely';
import { migrationsCurrent, type Deps, type Metrics } from '../../shared/index.js';

export interface AppOptions {
  deps: Deps;
  metrics: Metrics;
  /** Routers to mount, e.g. `{ '/admin/v1': adminRouter }`. */
  mounts: Record<string, express.Router | express.RequestHandler[]>;
  /** Set while the process drains for shutdown: /readyz then answers 503 so load balancers stop sending work. */
  isDraining?: () => boolean;
}

/**
 * The one HTTP host of a hub node: health, readiness, metrics and the mounted APIs.
 * @example const app = createHttpApp({ deps, metrics, mounts: { '/admin/v1': adminRouter } });
 */
export function createHttpApp(opts: AppOptions): Express {
  const { deps, metrics } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpRequests.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      end({ method: req.method, route: route ? `${req.baseUrl}${route}` : 'unmatched', status: String(res.statusCode) });
    });
    next();
  });

  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.all([
      sql`SELECT 1`.execute(deps.db).then(() => true, () => false),
      deps.redis.ping().then((p) => p === 'PONG', () => false),
      migrationsCurrent(deps.pool).catch(() => false),
    ]);
    const [postgres, redis, migrations] = checks;
    const draining = opts.isDraining?.() ?? false;
    const ok = postgres && redis && migrations && !draining;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', postgres, redis, migrations, draining });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  for (const [path, handlers] of Object.entries(opts.mounts)) app.use(path, ...(Array.isArray(handlers) ? handlers : [handlers]));
  app.use((_req: Request, res: Response) => {
    res.status(404).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: 'Not found', status: 404, code: 'NOT_FOUND', detail: 'No such route' }));
  });
  return app;
}
