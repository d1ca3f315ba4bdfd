import { percentOf } from '../../../shared/index.js';
import type { WorkingLine } from '../types.js';

/**
 * A percentage off one line: `basisPoints` (1000 = 10 %) of the line's amount (minor units), rounded half-up
 * per line and never more than the line. The one per-line percentage rule: the percentage actions and the
 * member discount.
 * @example percentOffLine(1999, 1500) // 300 (15 % of 19,99 = 2,9985 → 3,00)
 */
export function percentOffLine(amount: number, basisPoints: number): number {
  return Math.min(amount, percentOf(amount, basisPoints));
}

/** `percentOffLine` of each line's current amount, by line id. */
export function percentOffLines(lines: readonly WorkingLine[], basisPoints: number): Map<string, number> {
  return new Map(lines.map((l) => [l.lineId, percentOffLine(l.amount, basisPoints)]));
}
