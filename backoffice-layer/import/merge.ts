import { sql } from 'kysely';
import { DomainError, runWrite } from '../../shared/index.js';
import { byLockOrder } from '../stock/levels.js';
import type { WriteContext, WriteDeps } from '../tables.js';
import type { ImportKind, PriceRow, ProductRow, StockRow } from './import-rows.js';

export interface RowError {
  line: number;
  message: string;
}

export interface BatchResult {
  changed: number;
  unchanged: number;
  errors: RowError[];
  revision: number | null;
}

/**
 * Largest number of SKUs one `catalogue.bulk-changed` event lists; bigger batches announce in several events.
 */
const SKUS_PER_EVENT = 1000;

function announce(w: WriteContext, kind: ImportKind, skus: string[]): void {
  const unique = [...new Set(skus)].sort();
  for (let i = 0; i < unique.length; i += SKUS_PER_EVENT) {
    w.emit({
      type: 'catalogue.bulk-changed',
      aggregateType: 'catalogue',
      aggregateId: kind,
      payload: { kind, skus: unique.slice(i, i + SKUS_PER_EVENT) },
    });
  }
}

/**
 * Merges one batch of valid, de-duplicated rows as one transaction: rows naming unknown SKUs, locations or
 * price lists become row errors; rows equal to what is stored are skipped (so a re-run writes nothing and
 * takes no revision); the rest are applied with set-based SQL over arrays (`unnest`), with ledger / history
 * rows and one bulk event.
 */
async function mergeBatch(
  deps: WriteDeps,
  kind: ImportKind,
  rows: Array<{ line: number; row: ProductRow | PriceRow | StockRow }>,
  source: string,
  turn: Promise<unknown>,
): Promise<BatchResult> {
  if (rows.length === 0) return { changed: 0, unchanged: 0, errors: [], revision: null };
  // Products and prices are written one batch after another: their turn has come before they start.
  if (kind !== 'stock') await turn;
  if (kind === 'products') return mergeProducts(deps, rows as Array<{ line: number; row: ProductRow }>);
  if (kind === 'prices') return mergePrices(deps, rows as Array<{ line: number; row: PriceRow }>, source);
  return mergeStock(deps, rows as Array<{ line: number; row: StockRow }>, source, turn);
}

/**
 * Why the database refused a batch for the values of its rows — a data exception (SQLSTATE class 22) or a
 * broken integrity rule (class 23), which runWrite reports with the database's error as `cause` — or
 * undefined for any other failure (unavailable, a serialization conflict).
 */
function refusal(e: unknown): string | undefined {
  const sqlstate = e instanceof DomainError ? (e.cause as { code?: unknown } | undefined)?.code : undefined;
  if (typeof sqlstate !== 'string') return undefined;
  if (sqlstate.startsWith('22'))
    return 'the database refused a value of this row (out of range or malformed)';
  if (sqlstate.startsWith('23')) return 'the database refused this row (it breaks a data rule)';
  return undefined;
}

/**
 * {@link mergeBatch}, but a batch the database refuses because of the values of some row is split in halves
 * until the refused rows stand alone: they become row errors and every other row still lands (one result per
 * merged part). Other failures (the database unavailable, a conflict) are thrown as they are. `turn`: the
 * commit of the batch before this one, awaited (stock) before the batch draws its revision; a rejected turn
 * rolls this batch back with the same error.
 */
export async function mergeRows(
  deps: WriteDeps,
  kind: ImportKind,
  rows: Array<{ line: number; row: ProductRow | PriceRow | StockRow }>,
  source: string,
  turn: Promise<unknown> = Promise.resolve(),
): Promise<BatchResult[]> {
  try {
    return [await mergeBatch(deps, kind, rows, source, turn)];
  } catch (e) {
    const why = refusal(e);
    if (!why) throw e;
    if (rows.length === 1)
      return [{ changed: 0, unchanged: 0, errors: [{ line: rows[0]!.line, message: why }], revision: null }];
    const half = Math.ceil(rows.length / 2);
    return [
      ...(await mergeRows(deps, kind, rows.slice(0, half), source, turn)),
      ...(await mergeRows(deps, kind, rows.slice(half), source, turn)),
    ];
  }
}

async function mergeProducts(
  deps: WriteDeps,
  rows: Array<{ line: number; row: ProductRow }>,
): Promise<BatchResult> {
  const col = <T>(f: (r: ProductRow) => T) => rows.map((r) => f(r.row));
  const input = sql`unnest(${col((r) => r.sku)}::text[], ${col((r) => r.name)}::text[],
                           ${col((r) => r.category)}::text[],
                           ${col((r) => JSON.stringify(r.attributes))}::jsonb[],
                           ${col((r) => r.vatRateBp)}::int[], ${col((r) => r.status)}::text[])
                    AS i(sku, name, category, attributes, vat_rate_bp, status)`;
  const { result, revision } = await runWrite(deps, async (w) => {
    const changed = await sql<{ sku: string }>`
      SELECT i.sku FROM ${input} LEFT JOIN products p ON p.sku = i.sku
      WHERE p.sku IS NULL
         OR (p.name, p.category, p.attributes, p.vat_rate_bp, p.status)
            IS DISTINCT FROM (i.name, i.category, i.attributes, i.vat_rate_bp, i.status)`.execute(w.tx);
    if (changed.rows.length === 0) return { changed: 0 };
    w.atRevision(async (tx, rev) => {
      await sql`
        INSERT INTO products
          (sku, name, category, attributes, vat_rate_bp, status, revision, created_at, updated_at)
        SELECT i.sku, i.name, i.category, i.attributes, i.vat_rate_bp, i.status, ${rev}, ${w.now}, ${w.now}
        FROM ${input}
        ORDER BY i.sku
        ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category,
          attributes = EXCLUDED.attributes, vat_rate_bp = EXCLUDED.vat_rate_bp, status = EXCLUDED.status,
          revision = EXCLUDED.revision, updated_at = EXCLUDED.updated_at
        WHERE (products.name, products.category, products.attributes, products.vat_rate_bp, products.status)
              IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.category, EXCLUDED.attributes, EXCLUDED.vat_rate_bp,
                                EXCLUDED.status)`.execute(tx);
    });
    announce(
      w,
      'products',
      changed.rows.map((r) => r.sku),
    );
    return { changed: changed.rows.length };
  });
  return {
    changed: result.changed,
    unchanged: rows.length - result.changed,
    errors: [],
    revision: result.changed ? revision : null,
  };
}

async function mergePrices(
  deps: WriteDeps,
  rows: Array<{ line: number; row: PriceRow }>,
  source: string,
): Promise<BatchResult> {
  const col = <T>(f: (r: PriceRow) => T) => rows.map((r) => f(r.row));
  const input = sql`unnest(${rows.map((r) => r.line)}::int[], ${col((r) => r.priceListId)}::text[],
                           ${col((r) => r.sku)}::text[], ${col((r) => r.minQuantity)}::int[],
                           ${col((r) => r.amount)}::bigint[], ${col((r) => r.validFrom)}::timestamptz[],
                           ${col((r) => r.validTo)}::timestamptz[])
                    AS i(line, price_list_id, sku, min_quantity, amount, valid_from, valid_to)`;
  const { result, revision } = await runWrite(deps, async (w) => {
    const check = await sql<{ line: number; missingSku: boolean; missingList: boolean; changed: boolean }>`
      SELECT i.line, p.sku IS NULL AS missing_sku, l.id IS NULL AS missing_list,
             (x.sku IS NULL OR (x.amount, x.valid_from, x.valid_to)
                               IS DISTINCT FROM (i.amount, i.valid_from, i.valid_to)) AS changed
      FROM ${input} LEFT JOIN products p ON p.sku = i.sku LEFT JOIN price_lists l ON l.id = i.price_list_id
      LEFT JOIN prices x
        ON x.price_list_id = i.price_list_id AND x.sku = i.sku AND x.min_quantity = i.min_quantity`.execute(
      w.tx,
    );
    const errors: RowError[] = [];
    const good = new Set<number>();
    const skus: string[] = [];
    const byLine = new Map(rows.map((r) => [r.line, r.row]));
    for (const c of check.rows) {
      if (c.missingSku || c.missingList)
        errors.push({
          line: c.line,
          message: [
            c.missingSku ? `unknown SKU ${byLine.get(c.line)!.sku}` : '',
            c.missingList ? `unknown price list ${byLine.get(c.line)!.priceListId}` : '',
          ]
            .filter(Boolean)
            .join('; '),
        });
      else if (c.changed) {
        good.add(c.line);
        skus.push(byLine.get(c.line)!.sku);
      }
    }
    if (good.size === 0) return { changed: 0, errors };
    const lines = [...good];
    w.atRevision(async (tx, rev) => {
      await sql`
        WITH i AS (SELECT * FROM ${input} WHERE i.line = ANY(${lines}::int[])
                   ORDER BY i.price_list_id, i.sku, i.min_quantity),
        up AS (
          INSERT INTO prices (price_list_id, sku, min_quantity, amount, valid_from, valid_to, revision)
          SELECT price_list_id, sku, min_quantity, amount, valid_from, valid_to, ${rev} FROM i
          ON CONFLICT (price_list_id, sku, min_quantity) DO UPDATE SET amount = EXCLUDED.amount,
            valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, revision = EXCLUDED.revision
          RETURNING price_list_id, sku, min_quantity, amount, valid_from, valid_to
        )
        INSERT INTO price_history
          (price_list_id, sku, min_quantity, amount, valid_from, valid_to, revision, changed_at, source)
        SELECT price_list_id, sku, min_quantity, amount, valid_from, valid_to, ${rev}, ${w.now}, ${source}
        FROM up`.execute(tx);
    });
    announce(w, 'prices', skus);
    return { changed: good.size, errors };
  });
  return {
    changed: result.changed,
    unchanged: rows.length - result.changed - result.errors.length,
    errors: result.errors,
    revision: result.changed ? revision : null,
  };
}

/**
 * The stock batch, judged: one row per feed row, with what is stored for its (sku, location) and its verdict
 * — `E` refused (unknown SKU or location, or on-hand below what is reserved), `C` changes the level, `U`
 * equals it. A temporary table dropped at commit, so it holds no state between transactions (a pooler in
 * transaction mode may hand the next one another connection).
 */
const JUDGED_STOCK = sql`SET LOCAL jit = off;
  CREATE TEMP TABLE import_stock (
    line int, sku text, location_id text, on_hand int, safety_stock int,
    known_sku boolean, known_location boolean, existing boolean,
    old_on_hand int, reserved int, old_safety_stock int, verdict char(1)
  ) ON COMMIT DROP`;

/**
 * Merges one batch of stock rows as one transaction (`turn`: the commit of the batch before it, awaited
 * before this batch draws its revision, so revisions follow the feed): the rows go to the database as arrays
 * into a temporary table that judges them all at once — the stored levels probed by primary key (for SKUs
 * stocked anywhere) and locked in (sku, location) order, SKUs and locations looked up — then only the refused
 * rows and the changed SKUs come back. New levels are plain INSERTs, existing ones UPDATEs, each with its
 * COUNT movement in the ledger, all in the statement that draws the revision (with the outbox events). A
 * refused turn (the batch before failed) rolls this batch back with the same error.
 */
async function mergeStock(
  deps: WriteDeps,
  rows: Array<{ line: number; row: StockRow }>,
  source: string,
  turn: Promise<unknown>,
): Promise<BatchResult> {
  // In lock order ((sku, location) as byLockOrder and COLLATE "C" sort them): every sort below then finds its
  // input already in order, which costs PostgreSQL one pass.
  const sorted = rows.slice().sort((a, b) => byLockOrder(a.row, b.row));
  const col = <T>(f: (r: StockRow) => T) => sorted.map((r) => f(r.row));
  const { result, revision } = await runWrite(deps, async (w) => {
    await JUDGED_STOCK.execute(w.tx);
    // The stored levels are probed by primary key, in lock order, and locked; only for SKUs that have a level
    // somewhere (a SKU never stocked has nothing to probe: a feed's new levels cost one look-up per SKU).
    await sql`
      WITH i AS MATERIALIZED (
        SELECT * FROM unnest(${sorted.map((r) => r.line)}::int[], ${col((r) => r.sku)}::text[],
                             ${col((r) => r.locationId)}::text[], ${col((r) => r.onHand)}::int[],
                             ${col((r) => r.safetyStock ?? null)}::int[])
          AS i(line, sku, location_id, on_hand, safety_stock)),
      stocked AS MATERIALIZED (
        SELECT d.sku FROM (SELECT DISTINCT sku FROM i) d
        WHERE EXISTS (SELECT 1 FROM stock_levels s WHERE s.sku = d.sku)),
      judged AS MATERIALIZED (
        SELECT o.*, k.sku IS NOT NULL AS existing, k.on_hand AS old_on_hand, k.reserved,
               k.safety_stock AS old_safety_stock
        FROM (SELECT i.*, i.sku IN (SELECT sku FROM stocked) AS stocked FROM i
              ORDER BY i.sku COLLATE "C", i.location_id COLLATE "C") o
        LEFT JOIN LATERAL (SELECT s.sku, s.on_hand, s.reserved, s.safety_stock FROM stock_levels s
                           WHERE o.stocked AND s.sku = o.sku AND s.location_id = o.location_id
                           FOR UPDATE) k ON true)
      INSERT INTO import_stock
      SELECT j.line, j.sku, j.location_id, j.on_hand, j.safety_stock, p.sku IS NOT NULL, l.id IS NOT NULL,
             j.existing, j.old_on_hand, j.reserved, j.old_safety_stock,
             CASE WHEN p.sku IS NULL OR l.id IS NULL OR j.on_hand < j.reserved THEN 'E'
                  WHEN NOT j.existing OR j.old_on_hand <> j.on_hand
                       OR (j.safety_stock IS NOT NULL AND j.old_safety_stock <> j.safety_stock) THEN 'C'
                  ELSE 'U' END
      FROM judged j LEFT JOIN products p ON p.sku = j.sku LEFT JOIN locations l ON l.id = j.location_id
      ORDER BY j.sku COLLATE "C", j.location_id COLLATE "C"`.execute(w.tx);
    const refused = await sql<{
      line: number;
      sku: string;
      locationId: string;
      onHand: number;
      knownSku: boolean;
      knownLocation: boolean;
      reserved: number | null;
    }>`SELECT line, sku, location_id, on_hand, known_sku, known_location, reserved
       FROM import_stock WHERE verdict = 'E' ORDER BY line`.execute(w.tx);
    const errors: RowError[] = refused.rows.map((r) => ({
      line: r.line,
      message:
        !r.knownSku || !r.knownLocation
          ? [
              !r.knownSku ? `unknown SKU ${r.sku}` : '',
              !r.knownLocation ? `unknown location ${r.locationId}` : '',
            ]
              .filter(Boolean)
              .join('; ')
          : `onHand ${r.onHand} is below the ${r.reserved} units reserved for customers`,
    }));
    const changed = await sql<{ sku: string; n: number }>`
      SELECT sku, count(*)::int AS n FROM import_stock WHERE verdict = 'C' GROUP BY sku`.execute(w.tx);
    const count = changed.rows.reduce((n, r) => n + r.n, 0);
    // Revisions follow the feed: this batch draws its own only once the batch before it has committed.
    await turn;
    if (count === 0) return { changed: 0, errors };
    w.atRevisionSql(
      (rev) => sql`
        INSERT INTO stock_levels (sku, location_id, on_hand, reserved, safety_stock, revision, updated_at)
        SELECT sku, location_id, on_hand, 0, coalesce(safety_stock, 0), ${rev}, ${w.now}
        FROM import_stock WHERE verdict = 'C' AND NOT existing
        ORDER BY sku COLLATE "C", location_id COLLATE "C"`,
    );
    w.atRevisionSql(
      (rev) => sql`
        UPDATE stock_levels s
        SET on_hand = b.on_hand, safety_stock = coalesce(b.safety_stock, s.safety_stock),
          revision = ${rev}, updated_at = ${w.now}
        FROM import_stock b
        WHERE b.verdict = 'C' AND b.existing AND s.sku = b.sku AND s.location_id = b.location_id`,
    );
    w.atRevisionSql(
      (rev) => sql`
        INSERT INTO stock_movements
          (sku, location_id, kind, on_hand_delta, reserved_delta, safety_stock_delta, reference, reason,
           revision, created_at)
        SELECT sku, location_id, 'COUNT', on_hand - coalesce(old_on_hand, 0), 0,
               coalesce(safety_stock, old_safety_stock, 0) - coalesce(old_safety_stock, 0), ${source},
               'import', ${rev}, ${w.now}
        FROM import_stock WHERE verdict = 'C' ORDER BY sku COLLATE "C", location_id COLLATE "C"`,
    );
    announce(
      w,
      'stock',
      changed.rows.map((r) => r.sku),
    );
    return { changed: count, errors };
  });
  return {
    changed: result.changed,
    unchanged: rows.length - result.changed - result.errors.length,
    errors: result.errors,
    revision: result.changed ? revision : null,
  };
}
