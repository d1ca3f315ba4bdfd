import { prorate } from '../../../shared/index.js';
import type { WorkingLine } from '../types.js';

/**
 * Spreads an amount-type discount over lines in proportion to what they cost now (largest remainder, so the
 * parts add up exactly), never more than the lines cost together.
 */
export function spread(total: number, lines: readonly WorkingLine[]): Map<string, number> {
  const capped = Math.min(
    total,
    lines.reduce((s, l) => s + l.amount, 0),
  );
  const parts =
    capped > 0
      ? prorate(
          capped,
          lines.map((l) => l.amount),
        )
      : lines.map(() => 0);
  return new Map(lines.map((l, i) => [l.lineId, parts[i] ?? 0]));
}

/** Units of the lines, most expensive first (ties by SKU, then line id): the order unit-based offers use. */
export function unitsByPrice(lines: readonly WorkingLine[]): Array<{ lineId: string; price: number }> {
  const units: Array<{ lineId: string; price: number; sku: string }> = [];
  for (const l of lines) {
    const parts = prorate(
      l.amount,
      Array.from({ length: l.quantity }, () => 1),
    );
    parts.forEach((p) => units.push({ lineId: l.lineId, price: p, sku: l.sku }));
  }
  return units.sort(
    (a, b) =>
      b.price - a.price ||
      (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0),
  );
}
