// npm's `prepare` script (run by every `npm install` and `npm ci` of this checkout): builds dist/, so
// `omnihub` starts without transpiling TypeScript. An install without dev dependencies (`npm install
// --omit=dev`) has no TypeScript compiler: the build is skipped then, and bin/omnihub.js runs the sources
// through tsx.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url).resolve('typescript');
} catch {
  process.stderr.write(
    'prepare: TypeScript is not installed (an install without dev dependencies): dist/ is not built; ' +
      'omnihub runs the sources through tsx\n',
  );
  process.exit(0);
}
const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(build.status ?? 1);
