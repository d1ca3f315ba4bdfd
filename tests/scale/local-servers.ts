import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Servers a scale test starts for itself from the OS's packages — PgBouncer, and a PostgreSQL primary with a
 * streaming standby — each in a temporary folder, on free ports of 127.0.0.1, stopped and removed by `stop`.
 * PostgreSQL and PgBouncer refuse to run as root: under root they run as the `postgres` user (which Debian's
 * packages create).
 */

/** A free TCP port on 127.0.0.1 (asked of the OS, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** The user the servers run as: this process's own, or `postgres` under root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root, and there is no postgres user to run PostgreSQL and PgBouncer as');
  }
}

/** A temporary folder the server user owns. */
async function serverFolder(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const user = serverUser();
  if (user) await chown(dir, user.uid, user.gid);
  return dir;
}

/** Runs a server binary to its end as the server user; rejects with its output when it fails. */
function run(bin: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...serverUser() });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${path.basename(bin)} ${args.join(' ')}: ${out}`)),
    );
  });
}

/** Waits until `url` answers `SELECT 1`. */
async function answers(url: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      return;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  throw new Error(`${what} did not answer at ${url}: ${String(last)}`);
}

/** Runs one statement on a fresh connection to `url` and returns its rows. */
export async function queryOnce<R extends object = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface PgBouncer {
  /** The pooled database's URL through PgBouncer. */
  url: string;
  port: number;
  /** Runs an admin console command (`SHOW SERVERS`, `SHOW STATS`) and returns its rows. */
  admin<R extends object = Record<string, unknown>>(command: string): Promise<R[]>;
  stop(): Promise<void>;
}

/** Debian's pgbouncer binary (/usr/sbin is not on every PATH). */
function pgbouncerBinary(): string {
  if (existsSync('/usr/sbin/pgbouncer')) return '/usr/sbin/pgbouncer';
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('pgbouncer is not installed: apt-get install pgbouncer (.ci/run does)');
  }
}

/**
 * Starts PgBouncer in front of the database `target` names: transaction pooling with `poolSize` server
 * connections (few, so clients share them and any state a client left in a session would reach another),
 * clients let in without a password (`trust`; the server is logged into with the target's own credentials),
 * and `statement_timeout` accepted in the startup packet and left to the server's own settings, as the
 * README's "Scaling out" configures it.
 */
export async function startPgBouncer(target: string, opts: { poolSize?: number } = {}): Promise<PgBouncer> {
  const bin = pgbouncerBinary();
  const t = new URL(target);
  const user = decodeURIComponent(t.username || 'postgres');
  const database = decodeURIComponent(t.pathname.slice(1));
  const dir = await serverFolder('omnihub-pgbouncer-');
  const port = await freePort();
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  await writeFile(path.join(dir, 'userlist.txt'), `${q(user)} ${q(decodeURIComponent(t.password))}\n`);
  await writeFile(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${database} = host=${t.hostname} port=${t.port || 5432} dbname=${database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      `default_pool_size = ${opts.poolSize ?? 4}`,
      'max_client_conn = 500',
      'ignore_startup_parameters = statement_timeout',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  const serverUserIds = serverUser();
  if (serverUserIds)
    for (const f of ['userlist.txt', 'pgbouncer.ini'])
      await chown(path.join(dir, f), serverUserIds.uid, serverUserIds.gid);
  const child: ChildProcess = spawn(bin, [path.join(dir, 'pgbouncer.ini')], {
    cwd: dir,
    stdio: 'ignore',
    ...serverUserIds,
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const adminUrl = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/pgbouncer`;
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await answers(url, 10_000, 'PgBouncer');
  } catch (e) {
    const log = await readFile(path.join(dir, 'pgbouncer.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`${(e as Error).message}\n${log.slice(-2000)}`);
  }
  return {
    url,
    port,
    // The admin console speaks the simple query protocol only: what a query without parameters is sent as.
    admin: <R extends object>(command: string) => queryOnce<R>(adminUrl, command),
    stop,
  };
}

/**
 * The folder of the newest Debian PostgreSQL server binaries that include `pg_basebackup`
 * (/usr/lib/postgresql/<major>/bin, the `postgresql` package; .ci/run installs it when missing).
 */
export function debianPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, 'bin', 'pg_basebackup')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0)
    throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql: apt-get install postgresql');
  return path.join(root, majors[0]!, 'bin');
}

/** A PostgreSQL primary and a streaming standby made from it with `pg_basebackup -R`. */
export interface ReplicatedPostgres {
  /** The `postgres` database of each. */
  primaryUrl: string;
  standbyUrl: string;
  /** Stops WAL replay on the standby (`pg_wal_replay_pause()`), until `resumeReplay`. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Waits until the standby has replayed everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  stopStandby(): Promise<void>;
  startStandby(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * initdb's a primary on a free port (trust for local users and replication on 127.0.0.1), starts it, makes a
 * standby with `pg_basebackup -R` (streaming, hot standby) on another free port, starts it, and waits until
 * it answers. Both run from the Debian binaries (`debianPostgresBin`) in one temporary folder.
 */
export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const bin = debianPostgresBin();
  const dir = await serverFolder('omnihub-replica-');
  const primaryDir = path.join(dir, 'primary');
  const standbyDir = path.join(dir, 'standby');
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const settings = (port: number) =>
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'wal_level = replica',
      'max_wal_senders = 5',
      'hot_standby = on',
      'max_connections = 60',
      'shared_buffers = 32MB',
      'fsync = off',
      'full_page_writes = off',
      '',
    ].join('\n');
  const pgCtl = (args: string[]) => run(path.join(bin, 'pg_ctl'), args, dir);
  const startServer = (dataDir: string) =>
    pgCtl(['-D', dataDir, '-l', `${dataDir}.log`, '-w', '-t', '60', 'start']);
  const stopServer = (dataDir: string, mode: 'fast' | 'immediate') =>
    pgCtl(['-D', dataDir, '-m', mode, '-w', 'stop']).catch(() => undefined);
  const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/postgres`;
  const standbyUrl = `postgres://postgres@127.0.0.1:${standbyPort}/postgres`;
  let standbyRunning = false;
  const stop = async () => {
    if (standbyRunning) await stopServer(standbyDir, 'immediate');
    await stopServer(primaryDir, 'immediate');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run(
      path.join(bin, 'initdb'),
      ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'],
      dir,
    );
    await appendAsServerUser(path.join(primaryDir, 'postgresql.conf'), settings(primaryPort));
    await startServer(primaryDir);
    await run(
      path.join(bin, 'pg_basebackup'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(primaryPort),
        '-U',
        'postgres',
        '-D',
        standbyDir,
        '-R',
        '-X',
        'stream',
      ],
      dir,
    );
    // The copy carries the primary's port: the standby gets its own.
    await appendAsServerUser(path.join(standbyDir, 'postgresql.auto.conf'), `port = ${standbyPort}\n`);
    await startServer(standbyDir);
    standbyRunning = true;
    await answers(standbyUrl, 30_000, 'the standby');
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    primaryUrl,
    standbyUrl,
    pauseReplay: async () => {
      await queryOnce(standbyUrl, 'SELECT pg_wal_replay_pause()');
    },
    resumeReplay: async () => {
      await queryOnce(standbyUrl, 'SELECT pg_wal_replay_resume()');
    },
    caughtUp: async (timeoutMs = 20_000) => {
      const [at] = await queryOnce<{ lsn: string }>(primaryUrl, 'SELECT pg_current_wal_lsn()::text AS lsn');
      const lsn = at!.lsn;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [r] = await queryOnce<{ done: boolean }>(
          standbyUrl,
          'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
          [lsn],
        );
        if (r?.done) return;
        if (Date.now() > deadline) throw new Error(`the standby did not replay up to ${lsn}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    stopStandby: async () => {
      await stopServer(standbyDir, 'fast');
      standbyRunning = false;
    },
    startStandby: async () => {
      await startServer(standbyDir);
      standbyRunning = true;
      await answers(standbyUrl, 30_000, 'the standby');
    },
    stop,
  };
}

/** Appends to a server's configuration file, keeping it the server user's. */
async function appendAsServerUser(file: string, text: string): Promise<void> {
  const before = await readFile(file, 'utf8');
  await writeFile(file, `${before}\n${text}`);
  const user = serverUser();
  if (user) await chown(file, user.uid, user.gid);
}
