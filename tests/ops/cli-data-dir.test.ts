import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeError } from '../../bin/cli-output.js';
import { freePort, runCliToEnd } from './cli-process.js';

const NOBODY = 65534;

// An OMNIHUB_DATA_DIR the embedded PostgreSQL cannot use stops the command with what is wrong and what to do,
// never with initdb's "Postgres init script failed" or `omnihub: undefined`.
describe('omnihub with a data folder or port it cannot use', () => {
  let dir: string;
  const env = (dataDir: string, extra: Record<string, string> = {}) => ({
    DATABASE_URL: undefined,
    REDIS_URL: process.env.OMNIHUB_TEST_REDIS_URL,
    OMNIHUB_DATA_DIR: dataDir,
    ...extra,
  });
  const clean = (output: string) => {
    expect(output).not.toMatch(/undefined|Postgres init script failed/);
    expect(output.trim().split('\n')).toHaveLength(1);
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'omnihub-datadir-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a path through a file', async () => {
    await writeFile(path.join(dir, 'a-file'), 'x');
    const run = await runCliToEnd(['migrate'], env(path.join(dir, 'a-file', 'data')));
    expect(run.code).toBe(1);
    expect(run.output).toBe(
      `omnihub: The embedded PostgreSQL's data folder ${path.join(dir, 'a-file', 'data')} ` +
        `cannot be created: ${path.join(dir, 'a-file')} is a file, not a folder. Set ` +
        `OMNIHUB_DATA_DIR to a folder this user can write (for example ` +
        `OMNIHUB_DATA_DIR=$HOME/.omnihub), or set DATABASE_URL to use a PostgreSQL server of ` +
        `your own instead of the embedded one.\n`,
    );
  });

  it(
    'a private folder of another user (under root: root without its power to override file ' + 'permissions)',
    async () => {
      const locked = path.join(dir, 'locked');
      await mkdir(locked, { mode: 0o700 });
      const asRoot = process.getuid?.() === 0;
      // Root passes every permission check; `setpriv` takes that power (CAP_DAC_OVERRIDE) away from the
      // command, so a 0700 folder of `nobody` is as closed to it as to any other user. Another user: a folder
      // it may not write.
      if (asRoot) await chown(locked, NOBODY, NOBODY);
      else await chmod(locked, 0o500);
      const run = await runCliToEnd(
        ['migrate'],
        env(path.join(locked, 'data')),
        asRoot
          ? { wrap: (argv) => ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', ...argv] }
          : {},
      );
      expect(run.code).toBe(1);
      clean(run.output);
      expect(run.output).toMatch(
        new RegExp(
          `^omnihub: The embedded PostgreSQL's data folder ${path.join(locked, 'data')} cannot ` +
            `be created: ${locked} is not writable by this process \\(EACCES; it is owned by \\S+, ` +
            `mode 0[75]00; this process runs as \\S+ \\(uid \\d+\\)\\)\\. `,
        ),
      );
      expect(run.output).toContain(
        `make this one usable (sudo mkdir -p ${path.join(locked, 'data')} && sudo chown -R `,
      );
    },
  );

  it('a database folder a first start left half-made', async () => {
    await mkdir(path.join(dir, 'half', 'pg'), { recursive: true });
    await writeFile(path.join(dir, 'half', 'pg', 'postgresql.conf'), '');
    const run = await runCliToEnd(['seed'], env(path.join(dir, 'half')));
    expect(run.code).toBe(1);
    clean(run.output);
    expect(run.output).toContain(
      `${path.join(dir, 'half', 'pg')} holds files but no PostgreSQL database (PG_VERSION is ` +
        `missing; a first start that stopped half-way leaves this). Remove it (rm -rf ` +
        `${path.join(dir, 'half', 'pg')})`,
    );
  });

  it('a folder under /proc, which cannot hold folders: another folder is advised, not sudo', async () => {
    const run = await runCliToEnd(['migrate'], env('/proc/omnihub-test'));
    expect(run.code).toBe(1);
    clean(run.output);
    expect(run.output).toMatch(
      new RegExp(
        "^omnihub: The embedded PostgreSQL's data folder \\/proc\\/omnihub-test cannot be created: " +
          '\\/proc cannot hold folders \\(E[A-Z]+; a special or read-only file system\\)\\. ' +
          'Set OMNIHUB_DATA_DIR to a folder this user can write',
      ),
    );
    expect(run.output).not.toContain('sudo');
  }, 30_000);

  it('a database folder with PG_VERSION but no postgresql.conf', async () => {
    await mkdir(path.join(dir, 'half2', 'pg'), { recursive: true });
    await writeFile(path.join(dir, 'half2', 'pg', 'PG_VERSION'), '16\n');
    const run = await runCliToEnd(['migrate'], env(path.join(dir, 'half2')));
    expect(run.code).toBe(1);
    clean(run.output);
    expect(run.output).toContain(
      `${path.join(dir, 'half2', 'pg')} holds a half-made PostgreSQL database (PG_VERSION but ` +
        `no postgresql.conf; a first start that stopped half-way leaves this). Remove it (rm -rf ` +
        `${path.join(dir, 'half2', 'pg')})`,
    );
  }, 30_000);

  it('the embedded port taken by another program', async () => {
    const port = await freePort();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const run = await runCliToEnd(
        ['migrate'],
        env(path.join(dir, 'taken'), { OMNIHUB_EMBEDDED_PG_PORT: String(port) }),
      );
      expect(run.code).toBe(1);
      clean(run.output);
      expect(run.output).toBe(
        `omnihub: The embedded PostgreSQL (data in ${path.join(dir, 'taken', 'pg')}, port ` +
          `${port}) did not start: port ${port} is taken by another program (perhaps the ` +
          `embedded PostgreSQL of another OMNIHUB_DATA_DIR). Stop it, or choose a free port with ` +
          `OMNIHUB_EMBEDDED_PG_PORT.\n`,
      );
    } finally {
      squatter.close();
    }
  }, 90_000);

  it('an error without a message is still said in words', () => {
    expect(describeError(undefined)).toMatch(/^failed without saying why/);
    expect(
      describeError(
        Object.assign(
          new AggregateError([
            Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
          ]),
          { code: 'ECONNREFUSED' },
        ),
      ),
    ).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(describeError(Object.assign(new Error(''), { code: 'EPIPE' }))).toBe('Error EPIPE');
    expect(describeError(new Error('outer', { cause: new Error('inner') }))).toBe('outer (cause: inner)');
    expect(
      describeError(
        Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:4000'), {
          code: 'EADDRINUSE',
        }),
      ),
    ).toMatch(/perhaps another omnihub: stop it, or choose another PORT\)$/);
  });
});
