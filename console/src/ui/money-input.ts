/**
 * Money as staff type it, in major units, to the hub's integer minor units: one reading for every form of the
 * console (prices, promotion amounts, budgets), so a text means the same amount everywhere.
 */

/** The number of minor-unit digits of an ISO 4217 currency (EUR: 2, JPY: 0); 2 for an unknown code. */
export function currencyDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2
    );
  } catch {
    return 2;
  }
}

/**
 * A typed amount in major units → minor units: `12,95` or `12.95` → 1295 (EUR). Either mark is the
 * decimal mark; there are no thousands separators, so `1.299` (a Dutch thousand, or an English 1.299) has
 * more decimals than EUR has and is refused rather than guessed, as is `129.955`. Null when it is not such
 * an amount (empty, negative, letters, two marks). The hub checks the range.
 */
export function parseMoneyInput(typed: string, currency: string): number | null {
  const digits = currencyDigits(currency);
  const text = typed.trim().replace(/\s/g, '');
  const match = /^(\d+)(?:[.,](\d+))?$/.exec(text);
  if (!match) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return null;
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/** Minor units as a form's text in major units: 1250 → "12.50" (EUR). */
export function moneyInputText(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  return (minor / 10 ** digits).toFixed(digits);
}
