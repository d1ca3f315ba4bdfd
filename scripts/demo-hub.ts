import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A first `omnihub start` in a new data folder (the screenshot scripts' hub): what it printed, its key. */
export interface DemoHub {
  /** Everything the start printed so far (the banner with the admin key). */
  output(): string;
  /** The admin key the first start printed (once). */
  key: string;
  /** Stops the hub (SIGINT, as Ctrl-C) and removes its data folder. */
  stop(): Promise<void>;
}

/**
 * Starts `node bin/omnihub.js start` as a new user's first start: embedded PostgreSQL on `pgPort` in a new
 * data folder (the demo retailer seeded), its own Redis prefix, listening on `port`; waits until it is
 * ready (at most 180 s). @throws when it did not start or printed no admin key (the hub is stopped then).
 */
export async function startDemoHub(opts: { port: number; pgPort: number; name: string }): Promise<DemoHub> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `omnihub-${opts.name}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(opts.port),
    OMNIHUB_DATA_DIR: dataDir,
    OMNIHUB_EMBEDDED_PG_PORT: String(opts.pgPort),
    OMNIHUB_REDIS_PREFIX: `${opts.name}-${process.pid}`,
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  delete env.OMNIHUB_ADMIN_KEY;
  const hub: ChildProcess = spawn(process.execPath, ['bin/omnihub.js', 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  hub.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  hub.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  const stop = async () => {
    if (hub.exitCode === null) {
      hub.kill('SIGINT');
      await new Promise((r) => hub.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 180_000;
    while (!/ready\n[\s\S]*redis:.*\n/.test(output)) {
      if (Date.now() > deadline || hub.exitCode !== null)
        throw new Error(`the hub did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const key = /Admin API key[^\n]*\n\s+(\S+)/.exec(output)?.[1];
    if (!key) throw new Error('no admin key printed');
    return { output: () => output, key, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
