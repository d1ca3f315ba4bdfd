import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder at or above `from` that holds a package.json; `fallback` when none does. */
function findRoot(from: string, fallback: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return fallback;
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The checkout's (or image's) root folder, the same whether this code runs from the sources (`shared/`) or
 * compiled (`dist/shared/`): where `migrations/` and the build output `dist/` are found.
 */
export const PROJECT_ROOT = findRoot(here, path.resolve(here, '..'));
