import { z } from 'zod';
import { formatMoney } from '../../shared/index.js';

/*
 * RFM segments (recency, frequency, monetary) by fixed thresholds: a membership is explained by her own
 * purchases alone and does not move when other customers buy (no quintiles over the population). The
 * reasoning behind the defaults and worked examples: RFM.md next to this file.
 */

const ascending = (what: string) => (t: readonly number[]) =>
  t.every((v, i) => i === 0 || v > t[i - 1]!) || `${what}: each threshold above the one before`;

/**
 * The thresholds that score each dimension 1–5 (see `rfmScores`):
 * - `recencyDays`: upper bounds in days since her last purchase for R5, R4, R3, R2 (R1 beyond the last);
 * - `frequency`: lower bounds of purchases in the window for F2, F3, F4, F5 (F1 below the first);
 * - `monetary`: lower bounds of the amount spent in the window (minor units of the loyalty programme's
 *   currency, refunds netted) for M2, M3, M4, M5 (M1 below the first).
 */
export const RfmThresholdsSchema = z.strictObject({
  recencyDays: z
    .tuple([z.int().min(0), z.int().min(0), z.int().min(0), z.int().min(0).max(3660)])
    .refine(ascending('recencyDays')),
  frequency: z
    .tuple([z.int().min(1), z.int().min(1), z.int().min(1), z.int().min(1).max(100_000)])
    .refine(ascending('frequency')),
  monetary: z
    .tuple([z.int().min(1), z.int().min(1), z.int().min(1), z.int().min(1).max(1_000_000_000_000)])
    .refine(ascending('monetary')),
});
export type RfmThresholds = z.infer<typeof RfmThresholdsSchema>;

/** The defaults: R5 ≤ 30 days … R2 ≤ 180; F2 ≥ 2 purchases … F5 ≥ 8; M2 ≥ €100 … M5 ≥ €1,000. */
export const DEFAULT_RFM_THRESHOLDS: RfmThresholds = {
  recencyDays: [30, 60, 120, 180],
  frequency: [2, 3, 5, 8],
  monetary: [10_000, 25_000, 50_000, 100_000],
};

const ScoreRange = z
  .tuple([z.int().min(1).max(5), z.int().min(1).max(5)])
  .refine(([min, max]) => min <= max, 'a range [min, max] with min ≤ max');

/**
 * An RFM segment's definition document: its `rank` (a profile is in the first RFM segment by rank whose
 * predicate holds, so RFM segments never overlap), the predicate as score ranges [min, max] per dimension
 * (absent: any score), and the thresholds the scores are computed with.
 */
export const RfmDefinitionSchema = z.strictObject({
  rank: z.int().min(1).max(100),
  when: z.strictObject({
    recency: ScoreRange.optional(),
    frequency: ScoreRange.optional(),
    monetary: ScoreRange.optional(),
  }),
  thresholds: RfmThresholdsSchema.default(DEFAULT_RFM_THRESHOLDS),
});
export type RfmDefinition = z.infer<typeof RfmDefinitionSchema>;

/**
 * The five RFM segments the hub starts with, written once as data (the reasoning: RFM.md). In rank order;
 * `when` gives [min, max] score ranges, a dimension left out takes any score.
 *
 * | rank | id        | R   | F   | M   | who                                                        |
 * |------|-----------|-----|-----|-----|------------------------------------------------------------|
 * | 1    | champions | 4–5 | 4–5 | 4–5 | bought within 60 days, 5+ times and €500+ in the window     |
 * | 2    | loyal     | 3–5 | 3–5 | any | bought within 120 days, 3+ times in the window              |
 * | 3    | new       | 4–5 | 1   | any | bought within 60 days, once in the window                   |
 * | 4    | at-risk   | 2   | 2–5 | any | a repeat buyer (2+ in the window) quiet for 121–180 days    |
 * | 5    | lapsed    | 1   | any | any | no purchase for more than 180 days                          |
 */
export const RFM_SEGMENTS: ReadonlyArray<{ id: string; name: string; definition: RfmDefinition }> = [
  { id: 'champions', name: 'Champions', when: { recency: [4, 5], frequency: [4, 5], monetary: [4, 5] } },
  { id: 'loyal', name: 'Loyal', when: { recency: [3, 5], frequency: [3, 5] } },
  { id: 'new', name: 'New', when: { recency: [4, 5], frequency: [1, 1] } },
  { id: 'at-risk', name: 'At risk', when: { recency: [2, 2], frequency: [2, 5] } },
  { id: 'lapsed', name: 'Lapsed', when: { recency: [1, 1] } },
].map((s, i) => ({
  id: s.id,
  name: s.name,
  definition: RfmDefinitionSchema.parse({ rank: i + 1, when: s.when }),
}));

/** What RFM is computed from: her last purchase ever and her purchases in the programme's window. */
export interface RfmFacts {
  /** Whole days since her last purchase (an order not cancelled, any channel); null: she never bought. */
  daysSinceLast: number | null;
  /** When that was. */
  lastAt: Date | null;
  /** Purchases (orders not cancelled, online and in store) in the window. */
  purchases: number;
  /** Spent in the window, refunds netted (minor units of `currency`). */
  spent: number;
  currency: string;
  windowDays: number;
}

/** Her RFM scores, each 1 (lowest) to 5 (highest): recency, frequency, monetary. */
export interface RfmScores {
  recency: number;
  frequency: number;
  monetary: number;
}

/** Scores 1–5 per dimension by the thresholds; null when she never bought (no recency at all). */
export function rfmScores(facts: RfmFacts, t: RfmThresholds): RfmScores | null {
  if (facts.daysSinceLast === null) return null;
  const r = t.recencyDays.findIndex((max) => facts.daysSinceLast! <= max);
  const atLeast = (bounds: readonly number[], v: number) => 1 + bounds.filter((min) => v >= min).length;
  return {
    recency: r === -1 ? 1 : 5 - r,
    frequency: atLeast(t.frequency, facts.purchases),
    monetary: atLeast(t.monetary, facts.spent),
  };
}

/** Whether the scores fall in every range the definition names. */
export function rfmMatches(definition: RfmDefinition, s: RfmScores): boolean {
  const inRange = (range: readonly [number, number] | undefined, v: number) =>
    !range || (v >= range[0] && v <= range[1]);
  const w = definition.when;
  return (
    inRange(w.recency, s.recency) && inRange(w.frequency, s.frequency) && inRange(w.monetary, s.monetary)
  );
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The reason in words, stable from one day to the next while her facts do not change (the last purchase by
 * its date, not "n days ago"), e.g. "R5 F4 M5: last purchase on 2026-11-27, 7 purchases and €1,240.00 in the
 * last 365 days".
 */
export function rfmReason(s: RfmScores, f: RfmFacts): string {
  const purchases = `${f.purchases} purchase${f.purchases === 1 ? '' : 's'}`;
  const spent = formatMoney({ amount: f.spent, currency: f.currency }, 'en-GB');
  return (
    `R${s.recency} F${s.frequency} M${s.monetary}: last purchase on ${f.lastAt ? day(f.lastAt) : 'never'}, ` +
    `${purchases} and ${spent} in the last ${f.windowDays} days`
  );
}
