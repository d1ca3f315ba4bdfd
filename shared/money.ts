/** An amount in integer minor units (cents) of an ISO 4217 currency. Never a float. */
export interface Money {
  amount: number;
  currency: string;
}

/*
 * ISO 4217 List One (SIX, the maintenance agency): the currencies in use and their minor units. Fund codes,
 * precious metals, SDRs and testing codes (XAU, XDR, XTS, XXX…) are not currencies a retailer prices in and
 * are left out; so are withdrawn codes (HRK, SLL, ZWL…).
 */
const ISO_4217_CODES = (
  'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF ' +
  'CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD ' +
  'HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD ' +
  'LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK ' +
  'PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS ' +
  'TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG'
).split(' ');

/** Minor-unit exponents other than 2, as ISO 4217 List One gives them. */
const EXPONENTS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(
    'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF'.split(' ').map((c) => [c, 0]),
  ),
  ...Object.fromEntries('BHD IQD JOD KWD LYD OMR TND'.split(' ').map((c) => [c, 3])),
};

const KNOWN_CURRENCIES: ReadonlySet<string> = new Set(ISO_4217_CODES);

/** Whether `code` is a currency of ISO 4217 List One the hub prices in (see `currencyExponent`). */
export function isKnownCurrency(code: string): boolean {
  return KNOWN_CURRENCIES.has(code);
}

/**
 * The number of decimals of a currency's minor unit (ISO 4217 List One): 2 for EUR, 0 for JPY or CLP, 3 for
 * KWD or OMR. A code the hub does not know (`isKnownCurrency`) is taken as 2.
 */
export function currencyExponent(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

/** Throws unless `amount` is a safe integer: money never carries fractions of a minor unit. */
export function assertMinorUnits(amount: number): void {
  if (!Number.isSafeInteger(amount))
    throw new RangeError(`money amount must be an integer of minor units, got ${amount}`);
}

export function money(amount: number, currency: string): Money {
  assertMinorUnits(amount);
  return { amount, currency };
}

/**
 * `amount × numerator / denominator`, rounded half-up (away from zero for halves) to a whole minor unit.
 * This is the one rounding rule of the hub: percentage discounts per line and VAT parts use it.
 * @example mulDivHalfUp(1999, 15, 100) // 300  (15% of 19.99 = 2.9985 → 3.00)
 */
export function mulDivHalfUp(amount: number, numerator: number, denominator: number): number {
  assertMinorUnits(amount);
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator === 0) {
    throw new RangeError('numerator and denominator must be integers, denominator non-zero');
  }
  const n = BigInt(amount) * BigInt(numerator);
  const d = BigInt(denominator);
  const sign = n < 0n !== d < 0n ? -1n : 1n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an * 2n + ad) / (ad * 2n);
  return Number(sign * q);
}

/** Percentage of an amount given in basis points (1% = 100 bp), rounded half-up. */
export function percentOf(amount: number, basisPoints: number): number {
  return mulDivHalfUp(amount, basisPoints, 10_000);
}

/**
 * The VAT contained in a consumer price that includes VAT: price × rate / (1 + rate), half-up.
 * @example vatPart(12100, 2100) // 2100
 */
export function vatPart(grossAmount: number, vatRateBasisPoints: number): number {
  return mulDivHalfUp(grossAmount, vatRateBasisPoints, 10_000 + vatRateBasisPoints);
}

/**
 * Splits `total` over `weights` proportionally in whole minor units; the parts always sum to `total`
 * (largest-remainder method, ties to the earlier index), so prorated discounts never lose a cent.
 */
export function prorate(total: number, weights: readonly number[]): number[] {
  assertMinorUnits(total);
  if (total < 0) return prorate(-total, weights).map((x) => -x);
  if (weights.some((w) => !Number.isSafeInteger(w) || w < 0))
    throw new RangeError('weights must be non-negative integers');
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const big = BigInt(total);
  const bigSum = BigInt(sum);
  const base = weights.map((w) => (big * BigInt(w)) / bigSum);
  const rema = weights.map((w, i) => ({ i, r: (big * BigInt(w)) % bigSum }));
  let left = Number(big - base.reduce((a, b) => a + b, 0n));
  const step = left >= 0 ? 1n : -1n;
  rema.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  const out = base.map(Number);
  for (let k = 0; left !== 0; k = (k + 1) % rema.length) {
    const idx = rema[k]!.i;
    out[idx] = out[idx]! + Number(step);
    left -= Number(step);
  }
  return out;
}

/** Human-readable amount, e.g. "€ 129,95" for nl-NL; for display only, never for computation. */
export function formatMoney(m: Money, locale = 'nl-NL'): string {
  const exp = currencyExponent(m.currency);
  const major = m.amount / 10 ** exp;
  return formatter(locale, m.currency, exp).format(major);
}

// Building a formatter costs far more than formatting: keep one per locale and currency.
const formatters = new Map<string, Intl.NumberFormat>();
function formatter(locale: string, currency: string, exp: number): Intl.NumberFormat {
  const key = `${locale}|${currency}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: exp,
      maximumFractionDigits: exp,
    });
    if (formatters.size < 1000) formatters.set(key, f);
  }
  return f;
}

/**
 * The largest amount, in minor units, that any answer of the hub carries: 2,147,483,647 (€ 21.474.836,47),
 * the largest GraphQL `Int` (32-bit signed, GraphQL spec §3.5.1) that `Money.amount` is. A cart or order
 * above it is refused before anything is written, rather than committed and then unanswerable.
 */
export const MAX_MONEY_AMOUNT = 2_147_483_647;
