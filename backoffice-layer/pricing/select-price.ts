import type { PriceCandidate } from '../events/event-types.js';

export interface SelectedPrice {
  amount: number;
  currency: string;
  priceListId: string;
  minQuantity: number;
  /**
   * The earliest instant after `at` at which this answer may change (a window of any candidate opens or
   * closes), or null when no window edge lies ahead. ISO 8601, UTC. Conservative: the answer may also stay
   * the same then.
   */
  validTo: string | null;
}

function opensBy(from: string | null, at: number): boolean {
  return from === null || Date.parse(from) <= at;
}
function openAt(to: string | null, at: number): boolean {
  return to === null || at < Date.parse(to);
}

/** Whether a candidate's list window and its own window both contain `at` (from inclusive, to exclusive). */
export function isOpenAt(c: PriceCandidate, at: Date): boolean {
  const t = at.getTime();
  return (
    opensBy(c.listValidFrom, t) && openAt(c.listValidTo, t) && opensBy(c.validFrom, t) && openAt(c.validTo, t)
  );
}

/**
 * Picks the price of one SKU at an instant and quantity. Pure: the same candidates give the same answer in
 * any order, on every node, for every channel.
 *
 * Rules:
 * 1. A candidate applies when its list window and its own window both contain `at` (from inclusive, to
 *    exclusive), `minQuantity <= quantity`, and (when asked) its currency matches.
 * 2. Among applicable candidates the list with the highest `priority` wins; equal priorities are broken by
 * the price list id (lowest first), so the answer never depends on row order.
 * 3. Within the winning list the largest quantity tier that the quantity reaches wins.
 * 4. Should two candidates still tie (the same list and tier twice — impossible for rows of one database,
 * possible for hand-built inputs), the lower amount wins, then the earlier-closing window, the
 * earlier-opening one and the lower currency code, so the answer stays independent of order.
 * Gaps (no window open) give null: the SKU has no sellable price at that instant. With a currency asked for,
 * the candidates of other currencies count for nothing: a SKU with no price in it is unpriced there.
 * `validTo` of the result is `nextPriceChange(candidates, at, currency)`: until then the same inputs give the
 * same answer (a window of another currency's list does not move it).
 *
 * @example selectPrice(candidates, { at: new Date('2026-12-01T10:00:00Z'), quantity: 1 })
 */
export function selectPrice(
  candidates: readonly PriceCandidate[],
  opts: { at: Date; quantity?: number; currency?: string },
): SelectedPrice | null {
  const quantity = opts.quantity ?? 1;
  let best: PriceCandidate | null = null;
  for (const c of candidates) {
    if (c.minQuantity > quantity || !isOpenAt(c, opts.at)) continue;
    if (opts.currency !== undefined && c.currency !== opts.currency) continue;
    if (best === null || better(c, best)) best = c;
  }
  if (!best) return null;
  const next = nextPriceChange(candidates, opts.at, opts.currency);
  return {
    amount: best.amount,
    currency: best.currency,
    priceListId: best.priceListId,
    minQuantity: best.minQuantity,
    validTo: next ? next.toISOString() : null,
  };
}

function better(a: PriceCandidate, b: PriceCandidate): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.priceListId !== b.priceListId) return a.priceListId < b.priceListId;
  if (a.minQuantity !== b.minQuantity) return a.minQuantity > b.minQuantity;
  if (a.amount !== b.amount) return a.amount < b.amount;
  const ca = closesAt(a);
  const cb = closesAt(b);
  if (ca !== cb) return ca < cb;
  if (opensAt(a) !== opensAt(b)) return opensAt(a) < opensAt(b);
  return a.currency < b.currency;
}

/** When a candidate stops applying (the earlier of its two closing edges); +∞ when open-ended. */
function closesAt(c: PriceCandidate): number {
  return Math.min(
    c.validTo === null ? Number.POSITIVE_INFINITY : Date.parse(c.validTo),
    c.listValidTo === null ? Number.POSITIVE_INFINITY : Date.parse(c.listValidTo),
  );
}
function opensAt(c: PriceCandidate): number {
  return Math.max(
    c.validFrom === null ? Number.NEGATIVE_INFINITY : Date.parse(c.validFrom),
    c.listValidFrom === null ? Number.NEGATIVE_INFINITY : Date.parse(c.listValidFrom),
  );
}

/**
 * The next instant strictly after `after` at which any candidate's window opens or closes (only candidates in
 * `currency`, when given), or null.
 */
export function nextPriceChange(
  candidates: readonly PriceCandidate[],
  after: Date,
  currency?: string,
): Date | null {
  const t = after.getTime();
  let next = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    if (currency !== undefined && c.currency !== currency) continue;
    for (const edge of [c.listValidFrom, c.listValidTo, c.validFrom, c.validTo]) {
      if (edge === null) continue;
      const e = Date.parse(edge);
      if (e > t && e < next) next = e;
    }
  }
  return Number.isFinite(next) ? new Date(next) : null;
}
