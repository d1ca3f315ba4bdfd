import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

/** A local time of day `HH:mm` (00:00–23:59), read on the location's clock. */
export const TimeOfDaySchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:mm');

/** A local calendar date `YYYY-MM-DD` that exists (a holiday), read on the location's clock. */
export const LocalDateSchema = z
  .string()
  .refine(
    (d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && DateTime.fromISO(d, { zone: 'utc' }).isValid,
    'a date that exists, YYYY-MM-DD',
  );

/** Dates each given once (a holiday listed twice is a mistake in the feed, not a longer holiday). */
const distinctDates = z
  .array(LocalDateSchema)
  .max(366)
  .refine((ds) => new Set(ds).size === ds.length, 'each date at most once');

/**
 * The canonical spelling of an IANA zone name (`europe/amsterdam` → `Europe/Amsterdam`), by this runtime's
 * ICU.
 */
const canonicalZone = (tz: string): string =>
  new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;

/**
 * An IANA time zone name such as Europe/Amsterdam, or UTC, stored in its canonical spelling. Fixed offsets
 * (`+05:00`) are refused: they ignore daylight saving time, so a cut-off would move by an hour twice a year.
 */
export const TimeZoneSchema = z
  .string()
  .refine(
    (tz) =>
      tz.length <= 64 &&
      (tz === 'UTC' || /^[A-Za-z]+(\/[A-Za-z0-9_+-]+)+$/.test(tz)) &&
      IANAZone.isValidZone(tz),
    'an IANA time zone such as Europe/Amsterdam',
  )
  .transform(canonicalZone);

/**
 * One day's opening hours: ISO day of the week `day` (1 = Monday … 7 = Sunday), `open` inclusive and `close`
 * exclusive as local `HH:mm`, `open` before `close` (no overnight opening). A day without an entry is closed.
 */
export const OpeningHoursSchema = z
  .strictObject({ day: z.number().int().min(1).max(7), open: TimeOfDaySchema, close: TimeOfDaySchema })
  .refine((h) => h.open < h.close, { message: 'open must be before close', path: ['close'] });

/** One day's opening hours (see OpeningHoursSchema). */
export type OpeningHours = z.infer<typeof OpeningHoursSchema>;

/**
 * A location's fulfilment settings (`PUT /admin/v1/locations/{id}` field `fulfilment`, API.md "Orders,
 * fulfilment, delivery promise"):
 * - `timeZone`: IANA zone of every local time and date below.
 * - `cutOff`: local `HH:mm`; an order strictly before it on a working day leaves that day (22:00 by default).
 * - `handlingDays`: whole working days between the shipping day and the hand-over to the carrier (0 = same
 *   day).
 * - `openingHours`: at most one entry per day of the week, at least one. A working day is a local date whose
 *   day of the week has opening hours and that is not in `holidays`.
 * - `holidays`: local dates `YYYY-MM-DD` on which the location neither ships nor opens.
 * - `shipsFromStore`: a store may be chosen to ship online orders; `pickup`: click & collect offered here;
 *   `pickupHoldDays`: days a ready pickup is held before its units return to stock.
 */
export const FulfilmentSettingsSchema = z.strictObject({
  timeZone: TimeZoneSchema,
  cutOff: TimeOfDaySchema.default('22:00'),
  handlingDays: z.number().int().min(0).max(30).default(0),
  openingHours: z
    .array(OpeningHoursSchema)
    .min(1)
    .max(7)
    .refine((hs) => new Set(hs.map((h) => h.day)).size === hs.length, 'one entry per day of the week'),
  holidays: distinctDates.default([]),
  shipsFromStore: z.boolean().default(false),
  pickup: z.boolean().default(false),
  pickupHoldDays: z.number().int().min(1).max(60).default(7),
});

/** A location's fulfilment settings, parsed (see FulfilmentSettingsSchema). */
export type FulfilmentSettings = z.infer<typeof FulfilmentSettingsSchema>;

// Country names by ISO 3166-1 code (this runtime's CLDR data): a code it cannot name is not a country.
const REGIONS = new Intl.DisplayNames('en', { type: 'region', fallback: 'code' });
// Regions CLDR names that are not countries: unknown, the EU, the eurozone, the UN, outlying Oceania.
const NOT_COUNTRIES: ReadonlySet<string> = new Set(['ZZ', 'EU', 'EZ', 'UN', 'QO']);

/**
 * A shipping zone (`PUT /admin/v1/shipping-zones/{id}`): carrier transit for the postcodes of one country.
 * - `countryCode`: ISO 3166-1 alpha-2, upper case.
 * - `postcodePrefixes`: prefixes matched against the postcode with spaces removed, upper case; an empty
 *   prefix (`""`) matches the whole country.
 * - `transitDays`: carrier days from hand-over to delivery (0 = delivered the day it is handed over).
 * - `carrierHolidays`: local dates `YYYY-MM-DD` (on the shipping location's clock) the carrier does not
 *   deliver.
 */
export const ShippingZoneSchema = z.strictObject({
  id: z.string().min(1).max(64),
  countryCode: z
    .string()
    .refine(
      (c) => /^[A-Z]{2}$/.test(c) && REGIONS.of(c) !== c && !NOT_COUNTRIES.has(c),
      'a country of ISO 3166-1 (alpha-2, upper case)',
    ),
  postcodePrefixes: z
    .array(
      z
        .string()
        .max(16)
        .regex(/^[0-9A-Z]*$/, 'digits and upper-case letters, no spaces'),
    )
    .min(1)
    .max(1000)
    .refine((ps) => new Set(ps).size === ps.length, 'each prefix at most once'),
  transitDays: z.number().int().min(0).max(30),
  carrierHolidays: distinctDates.default([]),
});

/** A shipping zone, parsed (see ShippingZoneSchema). */
export type ShippingZone = z.infer<typeof ShippingZoneSchema>;
