import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

/** An `omnihub` process: its merged stdout and stderr so far, and its exit code once it ends. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Runs `node <script> <args>` (by default `bin/omnihub.js`, as `npx omnihub` does) with `env` on top of this
 * process's environment (a value of undefined removes the variable); `wrap` puts that command inside another
 * (`setpriv`, `script`).
 */
export function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  opts: { script?: string; wrap?: (argv: string[]) => string[]; spawn?: SpawnOptions } = {},
): CliProcess {
  const merged: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'warn', ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const command = [process.execPath, opts.script ?? 'bin/omnihub.js', ...args];
  const argv = opts.wrap ? opts.wrap(command) : command;
  const child = spawn(argv[0]!, argv.slice(1), {
    ...opts.spawn,
    env: merged as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Runs a command to its end: its exit code and output. */
export async function runCliToEnd(
  args: string[],
  env: Record<string, string | undefined>,
  opts: Parameters<typeof runCli>[2] = {},
): Promise<{ code: number | null; output: string }> {
  const run = runCli(args, env, opts);
  const code = await run.exited;
  return { code, output: run.output() };
}

/**
 * Waits until `pattern` appears in a running process's output; fails with that output if it exits or time
 * runs out.
 */
export async function waitForOutput(
  run: CliProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(run.output());
    if (m) return m;
    if (run.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`no ${pattern} in the output (exit ${run.child.exitCode}):\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP port free on 127.0.0.1 right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}
