import path from 'node:path';
import { PROJECT_ROOT } from '../../shared/index.js';
import { frontEndBuilt, frontEndRoutes, type FrontEnd } from './front-end.js';

/**
 * Where `npm run build:console` writes the staff console: `<root>/dist/console` (scripts/build-console.ts).
 */
export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'dist', 'console');

/**
 * The console's Content-Security-Policy: scripts, fonts and images from this hub only, and it talks to this
 * hub only (GraphQL over HTTP and WebSocket, the admin REST). Styles also inline: the component library
 * (Mantine) writes its theme's CSS variables into a `<style>` element and the charts position by `style`
 * attributes; no inline or evaluated script, no plugin, no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The staff console's routes, mounted at `/console` on every API node (production too): the app at
 * `/console` and at every path below it (a single-page app), its bundle at `/console/assets/…`. With no build
 * the page answers 503 saying how to build it.
 */
export function consoleRoutes(dir = CONSOLE_DIR): FrontEnd {
  return frontEndRoutes({
    dir,
    csp: CONSOLE_CSP,
    spa: true,
    notBuilt:
      'The staff console is not built yet: run `npm run build` (or `npm run build:console`) in the ' +
      "hub's folder, then reload this page.\n",
  });
}

/** Whether `dir` (default CONSOLE_DIR) holds a build of the console. */
export function consoleBuilt(dir = CONSOLE_DIR): boolean {
  return frontEndBuilt(dir);
}
