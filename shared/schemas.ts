import { z } from 'zod';
import { isKnownCurrency } from './money.js';

/**
 * The building blocks of every boundary schema (admin REST bodies, GraphQL inputs, imports, promotion rules):
 * each format and limit is written here once, so an identifier, a currency or an amount is refused for the
 * same reason at every entrance.
 */

/**
 * The hub's identifier rule (SKUs, location ids, price list, promotion and rule ids): 1–64 characters,
 * letters, digits, `.`, `_`, `-`, starting with a letter or digit — safe unquoted in a URL path segment, a
 * Redis key and a log line.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** An identifier schema whose refusal names what was expected ("a SKU: 1–64 letters, …"). */
const idOf = (what: string) =>
  z
    .string()
    .regex(ID_PATTERN, `${what}: 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit`);

/** Any identifier of the {@link ID_PATTERN} form: a price list, a promotion, a rule. */
export const IdSchema = idOf('an id');
/** A SKU ({@link ID_PATTERN}). */
export const SkuSchema = idOf('a SKU');
/** A location id: a warehouse or a store ({@link ID_PATTERN}). */
export const LocationIdSchema = idOf('a location id');

/**
 * A currency as its ISO 4217 alphabetic code: three upper-case letters (`EUR`, `GBP`, `JPY`). The shape only:
 * the minor-unit exponent of a code is `currencyExponent` (shared/money.ts).
 */
export const CurrencyCodeSchema = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. EUR');

/**
 * A currency the hub prices in: a code of ISO 4217 List One ({@link isKnownCurrency}, shared/money.ts, which
 * also knows its minor unit). Price lists, sales, promotions' amounts, the loyalty programme and a market (a
 * channel client's currency, the hub's default) take one.
 */
export const KnownCurrencySchema = z
  .string()
  .refine(isKnownCurrency, { message: 'an ISO 4217 currency code the hub knows, e.g. EUR' });

/**
 * The textual form of a UUID (RFC 9562 §4: 8-4-4-4-12 hexadecimal digits), lower case as the hub writes them;
 * the piece of a format that embeds one (`<client id>:<key>`, a customer token, a cursor anchor).
 */
export const UUID_FORM = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const UUID_TEXT = new RegExp(`^${UUID_FORM}$`, 'i');

/** A UUID at a boundary: RFC 9562 (version 1–8 and its variant, or the nil and max UUIDs), as zod checks. */
export const UuidSchema = z.uuid();

/**
 * Whether `value` has a UUID's textual form (either case): the guard before looking an id up in a `uuid`
 * column, so an id that cannot be one answers "not found" rather than a PostgreSQL cast error.
 * @example isUuid('6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c0a14') // true; isUuid('42') // false
 */
export function isUuid(value: string): boolean {
  return UUID_TEXT.test(value);
}

/**
 * The kinds of sales channel a channel client belongs to (its key's `ohk_<kind>_` prefix): web shop, app,
 * store terminal, call centre and the console. Each channel sees the same prices, promotions and stock.
 */
export const CHANNEL_KINDS = ['WEB', 'APP', 'STORE', 'CALL_CENTER', 'CONSOLE'] as const;
export const ChannelKindSchema = z.enum(CHANNEL_KINDS);
export type ChannelKind = z.infer<typeof ChannelKindSchema>;

/**
 * Where a recorded write came from — a reservation, a customer fact, a consent: one of the
 * {@link CHANNEL_KINDS}, the admin API (`ADMIN`) or a bulk import (`IMPORT`). The same vocabulary as the
 * channel kinds, widened by the two entrances that are not sales channels; recorded, never used to price.
 */
export const WriteOriginSchema = z.enum([...CHANNEL_KINDS, 'ADMIN', 'IMPORT']);
export type WriteOrigin = z.infer<typeof WriteOriginSchema>;

/**
 * Largest money amount, in minor units, one price, line amount or promotion figure may carry: 1,000,000,000
 * (10 million in major units of a two-decimal currency). An order's total has its own, larger bound
 * (`MAX_MONEY_AMOUNT`).
 */
export const MAX_AMOUNT = 1_000_000_000;
/** A money amount in minor units, 0 to {@link MAX_AMOUNT}. */
export const AmountSchema = z.number().int().min(0).max(MAX_AMOUNT);

/** Most units one line of a cart, a reservation, a sale or a return may carry. */
export const MAX_LINE_QUANTITY = 10_000;
