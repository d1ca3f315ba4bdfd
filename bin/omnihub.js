#!/usr/bin/env node
// Runs the compiled command line (dist/, from `npm run build`, which `npm install` runs) when it is newer
// than every source file; otherwise the TypeScript sources through tsx's loader, so `omnihub` works straight
// from a clone, and an edited source is never shadowed by an old build.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = new URL('../dist/bin/omnihub.js', import.meta.url);
const SOURCES = ['bin', 'shared', 'backoffice-layer', 'journey-layer', 'channel-layer'];

/** Modification time of the build, or 0 when there is none. */
function builtAt() {
  try {
    return statSync(compiled).mtimeMs;
  } catch {
    return 0;
  }
}

/** Whether any TypeScript source (or this package's manifest) changed after `since`. */
function sourcesChangedSince(since) {
  if (statSync(`${root}package.json`).mtimeMs > since) return true;
  for (const folder of SOURCES) {
    for (const entry of readdirSync(`${root}${folder}`, { recursive: true, withFileTypes: true })) {
      if (
        entry.isFile() &&
        entry.name.endsWith('.ts') &&
        statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs > since
      )
        return true;
    }
  }
  return false;
}

const since = builtAt();
if (since > 0 && !sourcesChangedSince(since)) {
  await import(compiled.href);
} else {
  if (since > 0 && process.stderr.isTTY)
    process.stderr.write(
      'omnihub: dist/ is older than the sources, so they run through tsx (slower to start); ' +
        '`npm run build` refreshes it\n',
    );
  const { register } = await import('tsx/esm/api');
  register();
  await import('./omnihub.ts');
}
