import { createHash, timingSafeEqual } from 'node:crypto';
import express, {
  type Express,
  type Request,
  type RequestHandler,
  type Response,
  type NextFunction,
} from 'express';
import { sql } from 'kysely';
import { problemOf, sendProblem, toProblem } from '../../backoffice-layer/index.js';
import { bearerToken, DomainError, migrationsCurrent, type Deps, type Metrics } from '../../shared/index.js';

export interface AppOptions {
  deps: Deps;
  metrics: Metrics;
  /** Routers to mount, e.g. `{ '/admin/v1': adminRouter }`. */
  mounts: Record<string, express.Router | express.RequestHandler[]>;
  /**
   * Set while the process drains for shutdown: /readyz then answers 503 so load balancers stop sending work.
   */
  isDraining?: () => boolean;
  /**
   * The bearer token `GET /metrics` wants on this port (`OMNIHUB_METRICS_TOKEN`). Absent: `/metrics` here
   * answers 401 UNAUTHENTICATED naming the variables that open it — in every `NODE_ENV`, development
   * included.
   */
  metricsToken?: string;
}

/**
 * The one HTTP host of a hub node: health, readiness, metrics (behind `metricsToken`) and the mounted APIs.
 * @example const app = createHttpApp({ deps, metrics, mounts: { '/admin/v1': adminRouter }, metricsToken:
 *   config.metricsToken });
 */
export function createHttpApp(opts: AppOptions): Express {
  const { deps, metrics } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpRequests.startTimer();
    res.on('finish', () => {
      end({ method: req.method, route: routeLabel(req, res), status: String(res.statusCode) });
    });
    next();
  });

  // The URL the start-up banner prints: what this node serves, so a first click does not land on a 404.
  app.get('/', (_req, res) => {
    res.json({
      service: 'omnihub',
      serves: [...Object.keys(opts.mounts), '/healthz', '/readyz', '/metrics'],
    });
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.all([
      sql`SELECT 1`.execute(deps.db).then(
        () => true,
        () => false,
      ),
      deps.redis.ping().then(
        (p) => p === 'PONG',
        () => false,
      ),
      migrationsCurrent(deps.pool).catch(() => false),
    ]);
    const [postgres, redis, migrations] = checks;
    const draining = opts.isDraining?.() ?? false;
    const ok = postgres && redis && migrations && !draining;
    res
      .status(ok ? 200 : 503)
      .json({ status: ok ? 'ready' : 'not ready', postgres, redis, migrations, draining });
  });
  app.get('/metrics', metricsRoute(deps, metrics, { token: opts.metricsToken, open: false }));

  for (const [path, handlers] of Object.entries(opts.mounts)) {
    const mounted: RequestHandler = (_req, res, next) => {
      res.locals[MOUNT] = path;
      next();
    };
    app.use(path, mounted, ...(Array.isArray(handlers) ? handlers : [handlers]));
  }
  app.use(notFound);
  return app;
}

/**
 * The app of the metrics listener (`OMNIHUB_METRICS_PORT`): `GET /metrics` and nothing else (anything else is
 * a 404 problem). Open when no `token` is given — the operator keeps the port private by its bind address
 * (`OMNIHUB_METRICS_HOST`, `127.0.0.1` unless set) — and behind `Authorization: Bearer <token>` when one is.
 * @example const app = createMetricsApp({ deps, metrics, token: config.metricsToken });
 */
export function createMetricsApp(opts: { deps: Deps; metrics: Metrics; token?: string }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/metrics', metricsRoute(opts.deps, opts.metrics, { token: opts.token, open: true }));
  app.use(notFound);
  return app;
}

/**
 * `res.locals` key of the mount a request entered (its path pattern, e.g. `/graphql`), for the route label.
 */
const MOUNT = 'metricsMount';

/**
 * The `route` label of a request: the pattern of the route that answered it (`/admin/v1/products/:sku`,
 * `/healthz`), else the mount it entered (`/graphql`, whose router matches no route of its own; an unknown
 * path under a mount), else `unmatched` — never the raw path, whose values (SKUs, ids, anything a client
 * sends) would have no bound.
 */
function routeLabel(req: Request, res: Response): string {
  const mount = typeof res.locals[MOUNT] === 'string' ? res.locals[MOUNT] : '';
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return `${mount}${route}`;
  return mount || 'unmatched';
}

function notFound(req: Request, res: Response): void {
  sendProblem(res, problemOf('NOT_FOUND', 'No such route', req));
}

/** The metrics token's length as the header may carry it, in characters: longer values are refused unread. */
const METRICS_TOKEN_LENGTH = { minLength: 1, maxLength: 512 };

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * `GET /metrics`: the Prometheus text when `Authorization: Bearer <token>` carries `access.token` (compared
 * in constant time), or when no token is set and `access.open`. Otherwise 401 UNAUTHENTICATED as
 * problem+json, the same document the admin API answers, with `WWW-Authenticate: Bearer`; with no token
 * configured at all its detail tells the operator which variable to set.
 */
function metricsRoute(
  deps: Deps,
  metrics: Metrics,
  access: { token: string | undefined; open: boolean },
): RequestHandler {
  const expected = access.token === undefined ? undefined : digest(access.token);
  return async (req, res) => {
    if (expected) {
      const token = bearerToken(req.header('authorization'), METRICS_TOKEN_LENGTH);
      if (token === null || !timingSafeEqual(digest(token), expected)) {
        return refuse(
          req,
          res,
          deps,
          'Send the metrics token (OMNIHUB_METRICS_TOKEN) as "Authorization: Bearer <token>"',
        );
      }
    } else if (!access.open) {
      return refuse(
        req,
        res,
        deps,
        'Metrics on this port need a token: the operator sets OMNIHUB_METRICS_TOKEN ' +
          '(scrapes then send "Authorization: Bearer <token>"), ' +
          'or OMNIHUB_METRICS_PORT to serve them on a listener of their own',
      );
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}

function refuse(req: Request, res: Response, deps: Deps, detail: string): void {
  res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
  sendProblem(res, toProblem(new DomainError('UNAUTHENTICATED', detail), req, deps.logger));
}
