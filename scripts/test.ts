/**
 * `npm test`: type-check, lint (the layer rule, lines of at most 110 characters), no import cycles (madge,
 * over every source folder), the format (Prettier), then the jest suite against real PostgreSQL and Redis
 * (found on this machine or started: see tests/support/services.ts), then the consistency tests again on a
 * Redis Cluster of three local masters (`npm run test:cluster`, jest.cluster.config.js; skipped when jest
 * arguments pick tests). Ends with a plain "N passed, N failed" line over both jest runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

function run(label: string, cmd: string, args: string[]): number {
  process.stderr.write(`\n== ${label}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  return r.status ?? 1;
}

const jestArgs = process.argv.slice(2);
const steps: Array<[string, number]> = [];
steps.push(['typecheck', run('typecheck', 'npx', ['tsc', '--noEmit', '-p', '.'])]);
steps.push(['lint', run('lint', 'npx', ['eslint', '.'])]);
// Every folder of sources, tests and scripts: a cycle anywhere fails, type-only imports included.
const SOURCE_FOLDERS = [
  'backoffice-layer',
  'journey-layer',
  'channel-layer',
  'shared',
  'bin',
  'scripts',
  'bench',
  'explorer',
  'console',
  'tests',
];
steps.push([
  'cycles',
  run('cycles', 'npx', [
    'madge',
    '--circular',
    '--no-spinner',
    '--extensions',
    'ts,tsx',
    '--ts-config',
    'tsconfig.json',
    ...SOURCE_FOLDERS,
  ]),
]);
steps.push(['format', run('format', 'npx', ['prettier', '--check', '.'])]);

mkdirSync('.omnihub', { recursive: true });
/** Runs jest with these arguments, its results to `resultsFile`; its exit status. */
function jest(label: string, resultsFile: string, args: string[]): number {
  rmSync(resultsFile, { force: true });
  return run(label, 'node', [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    'node_modules/jest/bin/jest.js',
    '--json',
    `--outputFile=${resultsFile}`,
    ...args,
  ]);
}
const runs: string[] = ['.omnihub/jest-results.json'];
steps.push(['jest', jest('jest', runs[0]!, jestArgs)]);
if (jestArgs.length === 0) {
  runs.push('.omnihub/jest-cluster-results.json');
  steps.push([
    'jest (Redis Cluster)',
    jest('jest (Redis Cluster)', runs[1]!, ['--config', 'jest.cluster.config.js']),
  ]);
}

let passed = 0;
let failed = 0;
for (const resultsFile of runs) {
  try {
    const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      numRuntimeErrorTestSuites: number;
    };
    passed += results.numPassedTests;
    failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
  } catch {
    failed += 1;
  }
}
const failedSteps = steps.filter(([, s]) => s !== 0).map(([n]) => n);
process.stdout.write(`\nsteps failed: ${failedSteps.length ? failedSteps.join(', ') : 'none'}\n`);
process.stdout.write(`${passed} passed, ${failed + (failedSteps.length && failed === 0 ? 1 : 0)} failed\n`);
process.exit(failedSteps.length ? 1 : 0);
