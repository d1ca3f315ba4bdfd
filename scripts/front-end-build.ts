import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What a front-end build (the explorer's, the console's) does first: when one of `packages` is not installed
 * (an install without dev dependencies) it says so and ends the process with 0, building nothing; then it
 * type-checks `<root>/<folder>` with its own tsconfig.json and ends the process with 1 when that fails.
 * `script` names the build in what it prints (`build:console`).
 */
export function prepareFrontEndBuild(script: string, folder: string, packages: readonly string[]): void {
  const missing = packages.filter(
    (name) => !existsSync(path.join(ROOT, 'node_modules', name, 'package.json')),
  );
  if (missing.length > 0) {
    process.stdout.write(
      `${script}: skipped, the build packages of ${folder}/ are not installed (${missing.join(', ')}); ` +
        'install with dev dependencies to build it\n',
    );
    process.exit(0);
  }
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const typecheck = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, folder, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  if (typecheck.status !== 0) {
    process.stderr.write(`${script}: ${folder}/ does not type-check\n`);
    process.exit(1);
  }
}
