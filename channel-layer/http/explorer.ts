import path from 'node:path';
import type express from 'express';
import type { Request, RequestHandler } from 'express';
import { PROJECT_ROOT } from '../../shared/index.js';
import { frontEndBuilt, frontEndRoutes } from './front-end.js';

/**
 * Where `npm run build:explorer` writes the explorer: `<root>/dist/explorer` (index.html and assets/, see
 * scripts/build-explorer.ts), found the same from `channel-layer/http/` and from the compiled
 * `dist/channel-layer/http/`.
 */
export const EXPLORER_DIR = path.join(PROJECT_ROOT, 'dist', 'explorer');

/**
 * The explorer's Content-Security-Policy: its scripts, styles, fonts and images come from this hub only, and
 * it talks to this hub only (`'self'` covers ws:// and wss:// to the same host: the subscriptions). No inline
 * script or style, no eval, no plugin, no framing.
 */
export const EXPLORER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What a development hub serves of its explorer; a production hub mounts none of it. */
export interface ExplorerRoutes {
  /** Mounted at `/explorer`: the page at `/explorer`, its bundle at `/explorer/assets/…`. */
  router: express.Router;
  /**
   * Mounted at `/graphql` in front of the GraphQL handler: a browser's `GET /graphql` (one that prefers
   * text/html and carries no `query` parameter) gets the page; every other request goes on to GraphQL
   * unchanged.
   */
  forBrowsers: RequestHandler;
}

/**
 * The explorer's routes, serving the build in `dir` (default EXPLORER_DIR) as frontEndRoutes does; with no
 * build there, the page answers 503 in plain text telling the developer to run `npm run build`.
 * @example const explorer = explorerRoutes(); app.use('/explorer', explorer.router); app.use('/graphql',
 *   explorer.forBrowsers, graphqlHandler);
 */
export function explorerRoutes(dir = EXPLORER_DIR): ExplorerRoutes {
  const { router, page } = frontEndRoutes({
    dir,
    csp: EXPLORER_CSP,
    notBuilt:
      'The GraphQL explorer is not built yet: run `npm run build` (or `npm run build:explorer`) ' +
      "in the hub's folder, then reload this page.\n",
  });
  const forBrowsers: RequestHandler = (req, res, next) => {
    if (
      (req.method === 'GET' || req.method === 'HEAD') &&
      req.path === '/' &&
      !hasQueryParameter(req) &&
      prefersHtml(req)
    ) {
      void page(req, res, next);
      return;
    }
    next();
  };
  return { router, forBrowsers };
}

/** Whether `dir` (default EXPLORER_DIR) holds a build of the explorer. */
export function explorerBuilt(dir = EXPLORER_DIR): boolean {
  return frontEndBuilt(dir);
}

/**
 * A GraphQL GET carries its document as `query`: read from the raw query string, as the GraphQL handler reads
 * it.
 */
function hasQueryParameter(req: Request): boolean {
  const at = req.originalUrl.indexOf('?');
  return at >= 0 && new URLSearchParams(req.originalUrl.slice(at + 1)).has('query');
}

/**
 * Whether the client ranks HTML above the GraphQL response types (a browser's navigation does; fetch's `*\/*`
 * does not).
 */
function prefersHtml(req: Request): boolean {
  return req.accepts(['application/graphql-response+json', 'application/json', 'text/html']) === 'text/html';
}
