/**
 * A big catalogue for benchmarks: `skus` products × `locations` stock levels each, and one price list with a
 * price per SKU, seeded once into a PostgreSQL template database (`omnihub_catalogue_<skus>x<locations>`)
 * and reused by later runs when the shape it recorded matches (the SKUs, the locations and the migrations
 * applied). A run gets its own copy (`CREATE DATABASE … TEMPLATE`, a file copy), so it may write freely.
 * @example npx tsx bench/catalogue.ts [skus] [locations]    # seeds (or finds) the template and says so
 */
import { readdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { migrate, MIGRATIONS_DIR, withDatabaseName } from '../shared/index.js';
import { BENCH_ADMIN_URL, createBenchDatabase, type BenchDatabase } from './support.js';

/** How big a catalogue is: products, and locations each product has a stock level at. */
export interface CatalogueShape {
  skus: number;
  locations: number;
}

/** The shape the benchmarks use: 1,000,000 SKUs × 20 locations (20M levels); `quick`: 100,000 × 20. */
export function catalogueShape(quick: boolean): CatalogueShape {
  return { skus: quick ? 100_000 : 1_000_000, locations: 20 };
}

/** The SKU of product number `n` (0-based), in the catalogue's order. */
export function catalogueSku(n: number): string {
  return `SKU-${String(n).padStart(7, '0')}`;
}

const log = (s: string) => process.stderr.write(`  [catalogue] ${s}\n`);

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The migrations a template must have been seeded under (the files of migrations/, in order). */
async function migrationList(): Promise<string> {
  return (await readdir(MIGRATIONS_DIR))
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .join(',');
}

/** The size of a database on disk, in MB. */
async function databaseMb(name: string): Promise<number> {
  return withClient(BENCH_ADMIN_URL, async (c) => {
    const r = await c.query<{ bytes: string }>('SELECT pg_database_size($1)::text AS bytes', [name]);
    return Math.round(Number(r.rows[0]!.bytes) / 1e6);
  });
}

/**
 * The template database holding a catalogue of this shape, seeded now unless a complete one with the same
 * shape and migrations is there already (an incomplete or stale one is dropped and seeded again). Prints
 * progress on stderr. Returns its name and size on disk (MB).
 */
export async function catalogueTemplate(shape: CatalogueShape): Promise<{ name: string; mb: number }> {
  const name = `omnihub_catalogue_${shape.skus}x${shape.locations}`;
  const url = withDatabaseName(BENCH_ADMIN_URL, name);
  const migrations = await migrationList();
  const exists = await withClient(BENCH_ADMIN_URL, async (c) => {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return r.rowCount === 1;
  });
  if (exists) {
    const recorded = await withClient(url, async (c) =>
      c
        .query<{ skus: number; locations: number; migrations: string }>(
          'SELECT skus, locations, migrations FROM bench_catalogue',
        )
        .then((r) => r.rows[0])
        .catch(() => undefined),
    );
    if (
      recorded?.skus === shape.skus &&
      recorded.locations === shape.locations &&
      recorded.migrations === migrations
    ) {
      const mb = await databaseMb(name);
      log(`reusing ${name} (${mb.toLocaleString('en-US')} MB)`);
      return { name, mb };
    }
    log(`${name} is incomplete or of another shape or schema: seeding it again`);
  }
  await withClient(BENCH_ADMIN_URL, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${name}"`);
  });
  const started = performance.now();
  const step = async (what: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    log(`${what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await step('migrated', () => migrate(pool));
    await withClient(url, async (c) => {
      // A seed of a fresh database: no trigger or foreign key check per row, no wait for each commit.
      await c.query('SET session_replication_role = replica');
      await c.query('SET synchronous_commit = off');
      const sku = (g: string) => `'SKU-' || lpad(${g}::text, 7, '0')`;
      await step(`${shape.locations} locations and a price list`, async () => {
        await c.query(
          `INSERT INTO locations (id, name, kind, fulfils_online, revision, created_at, updated_at)
           SELECT 'LOC-' || lpad(g::text, 3, '0'), 'Location ' || g,
                  CASE WHEN g = 0 THEN 'WAREHOUSE' ELSE 'STORE' END, g = 0, 1, now(), now()
             FROM generate_series(0, $1 - 1) g`,
          [shape.locations],
        );
        await c.query(
          `INSERT INTO price_lists (id, name, currency, priority, revision, created_at, updated_at)
           VALUES ('base', 'Base', 'EUR', 0, 1, now(), now())`,
        );
      });
      await step(`${shape.skus.toLocaleString('en-US')} products and prices`, async () => {
        await c.query(
          `INSERT INTO products
             (sku, name, category, attributes, vat_rate_bp, status, revision, created_at, updated_at)
           SELECT ${sku('g')}, 'Product ' || g, 'category-' || (g % 50),
                  jsonb_build_object('size', (ARRAY['S', 'M', 'L', 'XL'])[1 + g % 4]), 2100, 'ACTIVE', 1,
                  now(), now()
             FROM generate_series(0, $1 - 1) g`,
          [shape.skus],
        );
        await c.query(
          `INSERT INTO prices (price_list_id, sku, min_quantity, amount, revision)
           SELECT 'base', ${sku('g')}, 1, 995 + (g % 200) * 100, 1 FROM generate_series(0, $1 - 1) g`,
          [shape.skus],
        );
      });
      // Levels are written without their indexes, in SKU order, and indexed once at the end (a sort each).
      await c.query('ALTER TABLE stock_levels DROP CONSTRAINT stock_levels_pkey');
      await c.query('DROP INDEX stock_levels_location_idx');
      const chunk = 50_000;
      const t0 = performance.now();
      for (let from = 0; from < shape.skus; from += chunk) {
        const to = Math.min(shape.skus, from + chunk);
        await c.query(
          `INSERT INTO stock_levels
             (sku, location_id, on_hand, reserved, safety_stock, revision, updated_at)
           SELECT ${sku('s')}, 'LOC-' || lpad(l::text, 3, '0'), (s * 7 + l * 13) % 50, 0, l % 3, 1, now()
             FROM generate_series($1::int, $2::int - 1) s, generate_series(0, $3 - 1) l
            ORDER BY s, l`,
          [from, to, shape.locations],
        );
        const s = (performance.now() - t0) / 1000;
        process.stderr.write(
          `\r  [catalogue] stock levels ${((to * shape.locations) / 1e6).toFixed(1)}M of ` +
            `${((shape.skus * shape.locations) / 1e6).toFixed(1)}M (${s.toFixed(0)} s)`,
        );
      }
      process.stderr.write('\n');
      await step('stock levels indexed', async () => {
        await c.query('SET maintenance_work_mem = 1048576'); // kB: 1 GB for the index sorts
        await c.query(
          'ALTER TABLE stock_levels ADD CONSTRAINT stock_levels_pkey PRIMARY KEY (sku, location_id)',
        );
        await c.query('CREATE INDEX stock_levels_location_idx ON stock_levels (location_id)');
      });
      // Revision 1 for everything, and one event at it (already published: no consumer needs it).
      await c.query(`SELECT setval('revision_seq', 1)`);
      await c.query(
        `INSERT INTO outbox
           (id, revision, type, aggregate_type, aggregate_id, payload, created_at, published_at)
         VALUES (gen_random_uuid(), 1, 'catalogue.seeded', 'bench', 'catalogue', '{}', now(), now())`,
      );
      await step('analysed', () => c.query('VACUUM (ANALYZE, FREEZE)'));
      await c.query(
        `CREATE TABLE bench_catalogue (skus int NOT NULL, locations int NOT NULL, migrations text NOT NULL,
                                       seeded_at timestamptz NOT NULL)`,
      );
      await c.query(
        'INSERT INTO bench_catalogue (skus, locations, migrations, seeded_at) VALUES ($1, $2, $3, now())',
        [shape.skus, shape.locations, migrations],
      );
    });
  } finally {
    await pool.end();
  }
  const mb = await databaseMb(name);
  log(
    `seeded ${name} in ${((performance.now() - started) / 1000).toFixed(0)} s ` +
      `(${mb.toLocaleString('en-US')} MB on disk; kept as the template of later runs)`,
  );
  return { name, mb };
}

/**
 * A benchmark database holding the catalogue (a copy of its template, seeded first when needed), with deps
 * on it as `createBenchDatabase` gives; `close()` drops the copy, the template stays.
 */
export async function createCatalogueDatabase(
  name: string,
  shape: CatalogueShape,
  opts: { poolSize?: number } = {},
): Promise<BenchDatabase & { templateMb: number }> {
  const template = await catalogueTemplate(shape);
  const t0 = performance.now();
  const bench = await createBenchDatabase(name, { ...opts, template: template.name });
  log(`copied into a database of its own in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { ...bench, templateMb: template.mb };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const skus = Number(process.argv[2] ?? 1_000_000);
  const locations = Number(process.argv[3] ?? 20);
  await catalogueTemplate({ skus, locations });
}
