/**
 * `npm run build:console`: builds the staff console (console/: React 19, Mantine, TanStack Query, React
 * Router, i18next) with Vite into dist/console/ — index.html and assets/ — which every API node serves at
 * /console (channel-layer/http/console.ts). Type-checks console/ first. Everything comes from the lockfile's
 * npm packages: no CDN. Where the console's packages (dev dependencies) are not installed, as in `npm install
 * --omit=dev`, it says so and builds nothing; the container image builds it in its build stage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'console');
const out = path.join(root, 'dist', 'console');
const require = createRequire(import.meta.url);

const missing = ['vite', 'react', 'react-dom', '@mantine/core', 'typescript'].filter(
  (name) => !existsSync(path.join(root, 'node_modules', name, 'package.json')),
);
if (missing.length > 0) {
  process.stdout.write(
    "build:console: skipped, the console's build packages are not installed " +
      `(${missing.join(', ')}); install with dev dependencies to build it\n`,
  );
  process.exit(0);
}

const typecheck = spawnSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', path.join(source, 'tsconfig.json')],
  { stdio: 'inherit' },
);
if (typecheck.status !== 0) {
  process.stderr.write('build:console: console/ does not type-check\n');
  process.exit(1);
}

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
