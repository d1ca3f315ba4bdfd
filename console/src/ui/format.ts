import { locale } from '../i18n';

/** Money as the hub sends it: integer minor units and an ISO 4217 currency. */
export interface Money {
  amount: number;
  currency: string;
}

/**
 * Formats minor units in the console's locale: `formatMoney({ amount: 12995, currency: 'EUR' })` → `€
 * 129,95`.
 */
export function formatMoney(m: Money | null | undefined): string {
  if (!m) return '—';
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency: m.currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: m.currency }).format(
    m.amount / 10 ** digits,
  );
}

/** An ISO 8601 instant in the console's locale, to the minute (with seconds when `seconds`). */
export function formatDateTime(iso: string | null | undefined, seconds = false): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: 'medium',
    timeStyle: seconds ? 'medium' : 'short',
  }).format(new Date(iso));
}

/** Basis points as a percentage: 1250 → `12,5 %` (nl) or `12.5%` (en). */
export function formatBasisPoints(bp: number): string {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(bp / 10_000);
}

/** A whole number in the console's locale. */
export function formatNumber(n: number): string {
  return new Intl.NumberFormat(locale()).format(n);
}
