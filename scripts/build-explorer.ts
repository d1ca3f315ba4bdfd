/**
 * `npm run build:explorer`: bundles the GraphQL explorer (explorer/: GraphiQL 4, React) with esbuild into
 * dist/explorer/ — index.html and assets/ (main.js, main.css, lazily loaded chunks) — which a development hub
 * serves at /explorer and at GET /graphql for a browser (channel-layer/http/explorer.ts). Type-checks
 * explorer/ first. Everything comes from npm packages: no CDN. Where the front end's packages (dev
 * dependencies) are not installed, as in `npm install --omit=dev` for production, it says so and builds
 * nothing: production never serves the explorer.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prepareFrontEndBuild, ROOT } from './front-end-build.js';

const root = ROOT;
const source = path.join(root, 'explorer');
const out = path.join(root, 'dist', 'explorer');

prepareFrontEndBuild('build:explorer', 'explorer', ['graphiql', 'react', 'react-dom', 'typescript']);

const { build } = await import('esbuild');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const started = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: path.join(source, 'main.tsx') },
  outdir: path.join(out, 'assets'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  minify: true,
  // GraphiQL titles its toolbar icons from component names ("Prettify icon"): keep them through minification.
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"' },
  loader: { '.svg': 'file', '.png': 'file', '.woff': 'file', '.woff2': 'file', '.ttf': 'file' },
  logLevel: 'warning',
  metafile: true,
});
copyFileSync(path.join(source, 'index.html'), path.join(out, 'index.html'));
copyFileSync(path.join(source, 'favicon.svg'), path.join(out, 'assets', 'favicon.svg'));
outlineDataUrls(path.join(out, 'assets', 'main.css'));
const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => !file.endsWith('.map'))
  .reduce((sum, [, o]) => sum + o.bytes, 0);
process.stdout.write(
  `build:explorer: dist/explorer/ (${Math.round(bytes / 1024)} KiB) in ${Date.now() - started} ms\n`,
);

/**
 * Moves the fonts and images GraphiQL's style sheets carry as `data:` URLs into files of their own beside
 * `css`, so the page's CSP can keep `font-src 'self'; img-src 'self'` (no `data:`).
 */
function outlineDataUrls(css: string): void {
  const extensions: Record<string, string> = {
    'font/woff2': 'woff2',
    'font/woff': 'woff',
    'image/png': 'png',
    'image/svg+xml': 'svg',
    'image/gif': 'gif',
  };
  const text = readFileSync(css, 'utf8').replace(
    /url\(\s*(["']?)data:([a-z0-9.+/-]+);base64,([A-Za-z0-9+/=]+)\1\s*\)/g,
    (match, _quote: string, mime: string, data: string) => {
      const extension = extensions[mime];
      if (!extension) return match;
      const bytes = Buffer.from(data, 'base64');
      const name = `inline-${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.${extension}`;
      writeFileSync(path.join(path.dirname(css), name), bytes);
      return `url(${name})`;
    },
  );
  if (/url\(\s*["']?data:/.test(text))
    throw new Error(`build:explorer: ${css} still holds a data: URL the CSP would block`);
  writeFileSync(css, text);
}
