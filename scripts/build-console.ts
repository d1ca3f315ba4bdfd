/**
 * `npm run build:console`: builds the staff console (console/: React 19, Mantine, TanStack Query, React
 * Router, i18next) with Vite into dist/console/ — index.html and assets/ — which every API node serves at
 * /console (channel-layer/http/console.ts). Type-checks console/ first. Everything comes from the lockfile's
 * npm packages: no CDN. Where the console's packages (dev dependencies) are not installed, as in `npm install
 * --omit=dev`, it says so and builds nothing; the container image builds it in its build stage.
 */
import path from 'node:path';
import { prepareFrontEndBuild, ROOT } from './front-end-build.js';

const source = path.join(ROOT, 'console');
const out = path.join(ROOT, 'dist', 'console');

prepareFrontEndBuild('build:console', 'console', [
  'vite',
  'react',
  'react-dom',
  '@mantine/core',
  'typescript',
]);

const { build } = await import('vite');
const started = Date.now();
await build({
  configFile: false,
  root: source,
  base: '/console/',
  logLevel: 'warn',
  mode: 'production',
  oxc: { jsx: { runtime: 'automatic', development: false } },
  define: { 'process.env.NODE_ENV': '"production"' },
  build: {
    outDir: out,
    emptyOutDir: true,
    // Fonts and icons as files, never inlined as data: URLs (the console's CSP has no data:).
    assetsInlineLimit: 0,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      // The component library marks its modules "use client" (for server rendering); a browser bundle has no
      // use for the directive, so its warning is noise.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
});
process.stdout.write(`build:console: dist/console/ in ${Date.now() - started} ms\n`);
