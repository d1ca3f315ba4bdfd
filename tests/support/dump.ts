import pg from 'pg';
import { TEST_ENV } from './services.js';
import { withDatabaseName } from '../../shared/index.js';

/**
 * A logical dump of one database restored into a new one, as a backup restore does: every table's rows (read
 * in one snapshot, written back with json_populate_recordset) and every sequence's position, into a database
 * created from the migrated template. Returns the new
 * database's name and connection string. Dropped by the caller (`dropDatabase`).
 */
export async function dumpAndRestore(
  sourceUrl: string,
): Promise<{ databaseName: string; databaseUrl: string }> {
  const adminUrl = process.env[TEST_ENV.adminUrl]!;
  const template = process.env[TEST_ENV.template]!;
  const databaseName = `omnihub_r_${Math.floor(Date.now() / 1000)}_${Math.random().toString(16).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${databaseName}" TEMPLATE "${template}"`).finally(() => admin.end());
  const databaseUrl = withDatabaseName(adminUrl, databaseName);
  await restoreInto(sourceUrl, databaseUrl);
  return { databaseName, databaseUrl };
}

/**
 * Replaces every row and sequence position of the database at `targetUrl` with those of `sourceUrl` (both
 * migrated alike), in one transaction: a backup restored in place, as `pg_restore --clean` into the same
 * database does — the database keeps its identity (the same database id, cluster and OID), only its data goes
 * back in time.
 */
export async function restoreInto(sourceUrl: string, targetUrl: string): Promise<void> {
  const from = new pg.Client({ connectionString: sourceUrl });
  const to = new pg.Client({ connectionString: targetUrl });
  await Promise.all([from.connect(), to.connect()]);
  try {
    await from.query('BEGIN ISOLATION LEVEL REPEATABLE READ'); // one consistent dump, as pg_dump takes it
    const tables = (
      await from.query<{ name: string }>(
        `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'`,
      )
    ).rows.map((r) => r.name);
    const sequences = (
      await from.query<{ name: string }>(
        `SELECT quote_ident(sequencename) AS name FROM pg_sequences WHERE schemaname = 'public'`,
      )
    ).rows.map((r) => r.name);
    await to.query('BEGIN');
    // rows arrive in table order, not foreign-key order
    await to.query(`SET session_replication_role = replica`);
    await to.query(`TRUNCATE ${tables.join(', ')} CASCADE`);
    for (const t of tables) {
      const rows = (await from.query(`SELECT coalesce(json_agg(x), '[]') AS rows FROM ${t} x`)).rows[0]
        .rows as unknown[];
      if (rows.length > 0)
        await to.query(`INSERT INTO ${t} SELECT * FROM json_populate_recordset(NULL::${t}, $1)`, [
          JSON.stringify(rows),
        ]);
    }
    for (const s of sequences) {
      const { rows } = await from.query<{ last: string; called: boolean }>(
        `SELECT last_value AS last, is_called AS called FROM ${s}`,
      );
      await to.query(`SELECT setval('${s}', $1, $2)`, [rows[0]!.last, rows[0]!.called]);
    }
    await to.query('COMMIT');
    await from.query('COMMIT');
  } finally {
    await Promise.all([from.end(), to.end()]);
  }
}

/** Drops a database made by `dumpAndRestore`, closing its connections. */
export async function dropDatabase(databaseName: string): Promise<void> {
  const admin = new pg.Client({ connectionString: process.env[TEST_ENV.adminUrl]! });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`).finally(() => admin.end());
}
