import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { type RequestHandler, type Response } from 'express';

/**
 * A browser front end the hub serves from a build folder (`index.html` and `assets/`): the GraphQL explorer
 * and the staff console. Everything it loads comes from this hub (no CDN).
 */
export interface FrontEndOptions {
  /** The build folder, e.g. `<root>/dist/console`. */
  dir: string;
  /** The Content-Security-Policy on everything served. */
  csp: string;
  /** The plain-text answer (503) when `dir` holds no build yet: what to run. */
  notBuilt: string;
  /**
   * A single-page app: every GET below the mount that is not an asset answers the page, so a deep link
   * (`/console/customers/…`) opens the app there.
   */
  spa?: boolean;
}

/** The routes of a front end: `router` for its mount point, `page` answering its index.html. */
export interface FrontEnd {
  router: express.Router;
  page: RequestHandler;
}

/**
 * Serves a front-end build: the page (read at each request, so a build made while the hub runs is served at
 * the next reload; `no-store`) and its assets under `/assets` (content-hashed names), with the CSP, no MIME
 * sniffing and no referrer on every answer. With no build the page answers 503 with `notBuilt`; the hub
 * starts and serves everything else either way.
 */
export function frontEndRoutes(opts: FrontEndOptions): FrontEnd {
  const secure = (res: Response): void => {
    res.set({
      'content-security-policy': opts.csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
  };
  const page: RequestHandler = async (_req, res) => {
    secure(res);
    res.set('cache-control', 'no-store');
    let html: string;
    try {
      html = await readFile(path.join(opts.dir, 'index.html'), 'utf8');
    } catch {
      res.status(503).type('text/plain').send(opts.notBuilt);
      return;
    }
    res.type('html').send(html);
  };
  const router = express.Router({ strict: false });
  router.get('/', page);
  router.use(
    '/assets',
    (_req, res, next) => {
      secure(res);
      next();
    },
    express.static(path.join(opts.dir, 'assets'), {
      index: false,
      redirect: false,
      fallthrough: !opts.spa,
      cacheControl: true,
      maxAge: 0,
    }),
  );
  if (opts.spa) router.get('/{*rest}', page);
  return { router, page };
}

/** Whether `dir` holds a front-end build (its index.html). */
export function frontEndBuilt(dir: string): boolean {
  return existsSync(path.join(dir, 'index.html'));
}
