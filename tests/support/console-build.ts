import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCES = path.join(ROOT, 'console');
const BUILT = path.join(ROOT, 'dist', 'console', 'index.html');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

/**
 * Builds the console (`npm run build:console`) when dist/console is missing or older than a file of console/.
 * Jest's global set-up calls it once, before any worker starts, so no test file ever rebuilds under another's
 * feet. @throws when the build fails.
 */
export function ensureConsoleBuilt(): void {
  if (existsSync(BUILT) && newest(SOURCES) <= statSync(BUILT).mtimeMs) return;
  const built = spawnSync('npm', ['run', 'build:console'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build:console failed:\n${built.stdout}${built.stderr}`);
}
