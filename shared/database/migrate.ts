import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { PROJECT_ROOT } from '../project-root.js';

/** Where the append-only, timestamp-named SQL migrations live: `migrations/` at the project's root. */
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

/** Arbitrary but fixed key: every node that starts at once waits here, and only one applies migrations. */
const MIGRATION_LOCK_KEY = 7_401_355_120;

export interface MigrationResult {
  applied: string[];
  current: string[];
}

export async function listMigrations(dir = MIGRATIONS_DIR): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
}

/**
 * Applies every migration not yet recorded, each in its own transaction, under a session advisory lock.
 * @example await migrate(pool);
 */
export async function migrate(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations
         (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    const files = await listMigrations(dir);
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(path.join(dir, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(e as Error).message}`);
      }
      applied.push(file);
    }
    return { applied, current: files };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}

/** True when every migration file has been applied (used by /readyz). */
export async function migrationsCurrent(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<boolean> {
  const files = await listMigrations(dir);
  const res = await pool
    .query<{ name: string }>('SELECT name FROM schema_migrations')
    .catch(() => ({ rows: [] as { name: string }[] }));
  const done = new Set(res.rows.map((r) => r.name));
  return files.every((f) => done.has(f));
}
