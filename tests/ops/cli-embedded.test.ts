import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRedis, deleteKeysMatching, hubRedisPrefix } from '../../shared/index.js';
import { freePort, runCli, runCliToEnd, waitForOutput, type CliProcess } from './cli-process.js';

// The README's defaults: no DATABASE_URL, so `omnihub start` runs the embedded PostgreSQL in
// OMNIHUB_DATA_DIR, and every other command, run while it does, must find that server and use it (never start
// a second one, never stop it). The data folder, the hub's port and the embedded server's port are this
// file's own; Redis is the tests' Redis under a prefix of its own.
describe('omnihub commands next to a running `omnihub start` with the embedded defaults', () => {
  let dir: string;
  let env: Record<string, string | undefined>;
  let port: number;
  let hub: CliProcess;
  const prefix = `tcli${randomBytes(4).toString('hex')}`;
  const exists = (p: string) =>
    access(p).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'omnihub-cli-'));
    port = await freePort();
    env = {
      DATABASE_URL: undefined,
      OMNIHUB_HOST: undefined,
      OMNIHUB_ADMIN_KEY: undefined,
      NODE_ENV: undefined,
      OMNIHUB_DATA_DIR: path.join(dir, 'data'),
      PORT: String(port),
      OMNIHUB_EMBEDDED_PG_PORT: String(await freePort()),
      REDIS_URL: process.env.OMNIHUB_TEST_REDIS_URL,
      OMNIHUB_REDIS_PREFIX: prefix,
    };
    hub = runCli(['start'], env);
    await waitForOutput(hub, /listening: /, 120_000);
  }, 150_000);

  afterAll(async () => {
    if (hub.child.exitCode === null && hub.child.signalCode === null) {
      hub.child.kill('SIGTERM');
      await hub.exited;
    }
    // A server a failed test left behind (its hub killed) is stopped with it.
    const left = await readFile(path.join(dir, 'data', 'pg', 'postmaster.pid'), 'utf8').catch(
      () => undefined,
    );
    if (left)
      try {
        process.kill(Number(left.split('\n')[0]), 'SIGINT');
      } catch {
        /* gone already */
      }
    const redis = createRedis(process.env.OMNIHUB_TEST_REDIS_URL!);
    await deleteKeysMatching(redis, `${hubRedisPrefix(prefix)}:*`).catch(() => undefined);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('says where it listens: 127.0.0.1 by default for start, as a URL that answers', async () => {
    expect(hub.output()).toContain(
      `listening:  http://127.0.0.1:${port}/  (this machine only: set OMNIHUB_HOST=0.0.0.0 to ` +
        `serve other machines too)`,
    );
    expect(hub.output()).toContain(`(embedded, data in ${path.join(dir, 'data', 'pg')})`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('create-client issues a key from the running hub’s database', async () => {
    const run = await runCliToEnd(['create-client', '--channel', 'WEB', '--name', 'cli-test'], env);
    expect(run).toMatchObject({
      code: 0,
      output: expect.stringMatching(/Channel client \S+ \(WEB\)\n {2}key \(shown once\): ohk_\S+/),
    });
    expect(run.output).not.toMatch(/undefined/);
  });

  it('import lands a small file, its progress line printed once', async () => {
    const file = path.join(dir, 'stock.csv');
    await writeFile(file, 'sku,locationId,onHand\nNK-ACC-MUTS-ORANGE,ams-01,7\nNK-ACC-MUTS-NAVY,ams-01,3\n');
    const run = await runCliToEnd(['import', file], env);
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/2 rows — 2 changed, 0 unchanged, 0 rejected/);
    expect(run.output.split('\n').filter((l) => l.includes('%'))).toEqual([
      expect.stringMatching(/^█+ 100% {2}2 rows {2}[\d,]+ rows\/s$/),
    ]);
  });

  it('seed finds the demo retailer start loaded, and skips', async () => {
    const run = await runCliToEnd(['seed'], env);
    expect(run).toEqual({
      code: 0,
      output: 'The catalogue is not empty: seed skipped.\nMembers exist already: journey seed skipped.\n',
    });
  });

  it('migrate finds the migrations current', async () => {
    expect(await runCliToEnd(['migrate'], env)).toEqual({ code: 0, output: 'Migrations are current.\n' });
  });

  it(
    'consistency-check, with no options, asks the running ' + 'hub and finds every channel agreeing',
    async () => {
      const run = await runCliToEnd(['consistency-check'], env);
      expect(run.output).toMatch(/All 5 channels agree: equal revision, equal fingerprint\./);
      expect(run.code).toBe(0);
    },
    60_000,
  );

  it(
    'a second start on the same data folder uses the running server and leaves it running when ' + 'it stops',
    async () => {
      const second = runCli(['start'], { ...env, PORT: String(await freePort()) });
      await waitForOutput(second, /listening: /, 60_000);
      expect(second.output()).toMatch(/its server, pid \d+, was running already and is left running/);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      // The first hub still has its database: the commands and the second hub stopped nothing.
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    },
    90_000,
  );

  it(
    'a hub killed outright leaves its server: the next start uses it and says how to stop it; a ' +
      'stale lock file is cleared',
    async () => {
      const pidFile = path.join(dir, 'data', 'pg', 'postmaster.pid');
      hub.child.kill('SIGKILL');
      await hub.exited;
      const pgPid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
      const next = runCli(['start'], { ...env, PORT: String(await freePort()) });
      await waitForOutput(next, /listening: /, 60_000);
      expect(next.output()).toContain(
        `its server, pid ${pgPid}, was running already and is left running: the hub that started ` +
          `it is gone, so stop it with kill -INT ${pgPid} when done`,
      );
      next.child.kill('SIGTERM');
      expect(await next.exited).toBe(0);
      process.kill(pgPid, 'SIGINT');
      for (let i = 0; i < 300 && (await exists(pidFile)); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await exists(pidFile)).toBe(false);

      // What a server killed with SIGKILL leaves: a lock file naming a process that is gone.
      const gone = spawn(process.execPath, ['-e', '0']);
      await new Promise((r) => gone.once('exit', r));
      await writeFile(
        pidFile,
        `${gone.pid}\n${path.join(dir, 'data', 'pg')}\n1700000000\n` +
          `${env.OMNIHUB_EMBEDDED_PG_PORT}\n/tmp\nlocalhost\n  0  0\nready   \n`,
      );
      expect(await runCliToEnd(['migrate'], env)).toEqual({ code: 0, output: 'Migrations are current.\n' });
      expect(await exists(pidFile)).toBe(false); // it stopped the server it started
    },
    120_000,
  );
});
