/**
 * Runs test files again and again and counts the runs that passed, to show that a test is not flaky:
 * `npx tsx scripts/repeat-tests.ts [--times N] [jest args…]` (default: the fault tests, 20 times).
 * Prints one line per run and ends with "K of N runs passed"; exits 1 unless every run passed.
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
let times = 20;
const at = args.indexOf('--times');
if (at >= 0) {
  times = Number(args[at + 1]);
  args.splice(at, 2);
}
if (!Number.isInteger(times) || times < 1) {
  process.stderr.write('--times takes a positive whole number\n');
  process.exit(2);
}
const jestArgs = args.length > 0 ? args : ['tests/backoffice/events/faults.test.ts'];
let passed = 0;
for (let i = 1; i <= times; i++) {
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--no-warnings=ExperimentalWarning',
      'node_modules/jest/bin/jest.js',
      ...jestArgs,
    ],
    {
      encoding: 'utf8',
      env: process.env,
    },
  );
  const ok = r.status === 0;
  if (ok) passed++;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`run ${i}/${times}: ${ok ? 'passed' : 'FAILED'} (${seconds} s)\n`);
  if (!ok)
    process.stdout.write(
      `${(r.stderr ?? '')
        .split('\n')
        .filter((l) => /●|Error|expect|stuck|actual/.test(l))
        .slice(0, 12)
        .join('\n')}\n`,
    );
}
process.stdout.write(`${passed} of ${times} runs passed\n`);
process.exit(passed === times ? 0 : 1);
