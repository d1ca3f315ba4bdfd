import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import type { Executor } from '../../shared/index.js';

/** One thing to fix: the keys that find it (e.g. `{ sku, locationId }`) and what is wrong, in words. */
export interface QualityItem {
  keys: Record<string, string>;
  problem: string;
}

/**
 * A data-quality check's verdict. `count`: items failing; `population`: how many were checked; `score`:
 * 0–100, the share of the population that passes, rounded down (100 when the population is empty); `items`:
 * the first failing items to fix (ordered by their keys), at most the limit asked.
 */
export interface QualityCheckResult {
  id: string;
  title: string;
  count: number;
  score: number;
  population: number;
  items: QualityItem[];
}

export const QualityItemSchema = z
  .object({
    keys: z.record(z.string(), z.string()).describe('What finds the item, e.g. { sku, locationId }'),
    problem: z.string().describe('What is wrong, in words'),
  })
  .meta({ id: 'DataQualityItem' });

export const QualityCheckResultSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    count: z.int().min(0).describe('Items failing'),
    score: z.int().min(0).max(100).describe('Share of the population that passes (0–100, rounded down)'),
    population: z.int().min(0).describe('How many were checked'),
    items: z.array(QualityItemSchema).describe('The first items to fix (at most `limit`)'),
  })
  .meta({ id: 'DataQualityCheck' });

/**
 * How one check is computed, as SQL fragments run in ONE statement: `population` is a scalar count of what
 * is checked; `failing` selects the failing items as `keys` (jsonb of camelCase keys, string values) and
 * `problem` (text). For checks of pairs, `involved` counts the population members that fail (each once), so
 * the score stays a share of the population; absent, the score uses the number of failing items.
 */
export interface QualityCheckSpec {
  id: string;
  title: string;
  population: RawBuilder<unknown>;
  failing: RawBuilder<unknown>;
  involved?: RawBuilder<unknown>;
}

/**
 * Score 0–100: the share of `population` that passes (`population - failing`), rounded down; 100 when the
 * population is empty.
 */
export function qualityScore(population: number, failing: number): number {
  if (population <= 0) return 100;
  const passing = Math.max(0, population - failing);
  return Math.floor((passing * 100) / population);
}

/**
 * Runs one check as a single SQL statement (a COUNT of the population, a COUNT of the failing items and the
 * first `limit` of them), so it stays cheap on a large catalogue: nothing is loaded beyond `limit` items.
 */
export async function runQualityCheck<T>(
  db: Executor<T>,
  spec: QualityCheckSpec,
  limit: number,
): Promise<QualityCheckResult> {
  const involved = spec.involved ?? sql`SELECT count(*) FROM failing`;
  const { rows } = await sql<{
    population: number;
    failing: number;
    involved: number;
    items: QualityItem[];
  }>`
    WITH failing AS (${spec.failing})
    SELECT (${spec.population})::int AS population,
           (SELECT count(*) FROM failing)::int AS failing,
           (${involved})::int AS involved,
           coalesce((SELECT json_agg(json_build_object('keys', f.keys, 'problem', f.problem))
                       FROM (SELECT keys, problem FROM failing ORDER BY keys::text LIMIT ${limit}) f),
                    '[]'::json) AS items`.execute(db);
  const row = rows[0]!;
  return {
    id: spec.id,
    title: spec.title,
    count: row.failing,
    score: qualityScore(row.population, row.involved),
    population: row.population,
    items: row.items,
  };
}
