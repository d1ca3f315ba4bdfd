import { z } from 'zod';
import {
  findUnstorableText,
  ID_PATTERN,
  IdSchema,
  LocationIdSchema,
  MAX_AMOUNT,
  SkuSchema,
} from '../../shared/index.js';
import {
  ATTRIBUTE_NAME_PATTERN,
  AttributeNameSchema,
  ProductStatusSchema,
  VatRateSchema,
  vatRateToBasisPoints,
} from '../catalogue/catalogue.schema.js';
import { MAX_UNITS } from '../stock/stock.schema.js';

export const IMPORT_KINDS = ['products', 'prices', 'stock'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];
export const IMPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** CSV gives strings; NDJSON gives JSON types. Numbers are accepted as either, but must be exact integers. */
const int = (min: number, max: number) =>
  z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^-?\d+$/, 'a whole number')
        .transform(Number),
    ])
    .pipe(z.number().int().min(min).max(max));
const optionalInt = (min: number, max: number) =>
  z.union([z.literal('').transform(() => undefined), int(min, max)]).optional();
const instant = z
  .union([z.literal('').transform(() => null), z.null(), z.iso.datetime({ offset: true })])
  .optional()
  .transform((v) => (v ? new Date(v).toISOString() : null));

export const ProductRowSchema = z
  .object({
    sku: SkuSchema,
    name: z.string().trim().min(1).max(200),
    category: z.string().trim().min(1).max(100),
    vatRate: z
      .union([
        z.number(),
        z
          .string()
          .trim()
          .regex(/^\d+(\.\d{1,2})?$/, 'a percentage such as 21 or 5.5')
          .transform(Number),
      ])
      .pipe(VatRateSchema),
    status: z
      .union([z.literal('').transform(() => 'ACTIVE' as const), ProductStatusSchema])
      .default('ACTIVE'),
    attributes: z.record(AttributeNameSchema, z.string().max(200)).optional(),
  })
  .catchall(z.union([z.string().max(200), z.number()]))
  .transform(({ sku, name, category, vatRate, status, attributes, ...extra }) => {
    // CSV: every column beyond the known ones is an attribute (size, colour, …).
    const attrs: Record<string, string> = { ...(attributes ?? {}) };
    for (const [k, v] of Object.entries(extra))
      if (v !== '' && ATTRIBUTE_NAME_PATTERN.test(k)) attrs[k] = String(v);
    return { sku, name, category, vatRateBp: vatRateToBasisPoints(vatRate), status, attributes: attrs };
  })
  .refine((p) => Object.keys(p.attributes).length <= 50, 'at most 50 attributes');
export type ProductRow = z.infer<typeof ProductRowSchema>;

export const PriceRowSchema = z
  .strictObject({
    priceListId: IdSchema,
    sku: SkuSchema,
    amount: int(0, MAX_AMOUNT),
    minQuantity: optionalInt(1, 1_000_000).transform((v) => v ?? 1),
    validFrom: instant,
    validTo: instant,
  })
  .refine((p) => !p.validFrom || !p.validTo || p.validFrom < p.validTo, {
    message: 'validFrom must be before validTo',
    path: ['validTo'],
  });
export type PriceRow = z.infer<typeof PriceRowSchema>;

export const StockRowSchema = z.strictObject({
  sku: SkuSchema,
  locationId: LocationIdSchema,
  onHand: int(0, MAX_UNITS),
  safetyStock: optionalInt(0, MAX_UNITS),
});
export type StockRow = z.infer<typeof StockRowSchema>;

/** The columns of a stock feed: {@link StockRowSchema}'s keys. */
const STOCK_COLUMNS = ['sku', 'locationId', 'onHand', 'safetyStock'] as const;
/** A CSV count as {@link StockRowSchema} takes it: digits only, at most 9 (so never above 999,999,999). */
const PLAIN_COUNT = /^\d{1,9}$/;

/**
 * The fast path of a CSV stock feed: for a header made only of the stock columns (each at most once; `sku`,
 * `locationId` and `onHand` present), a reader of one record's fields (already trimmed, as many as the header
 * has) that returns the {@link StockRow} when the fields are plainly valid — ids of the {@link ID_PATTERN}
 * form (ASCII, so always storable), counts of digits within 0–{@link MAX_UNITS}, an empty safety stock read
 * as none — exactly the row {@link ROW_SCHEMAS}.stock makes of them, without building an object per record.
 * Any other record gives undefined and goes through the schema, which reports it with the same message as
 * ever: the fast path only skips work for rows the schema would accept as they are.
 * Returns undefined (no fast path) for any other header.
 * @example plainStockReader(['sku', 'locationId', 'onHand'])?.(['SKU-1', 'LOC-1', '7'])
 *   // → { sku: 'SKU-1', locationId: 'LOC-1', onHand: 7, safetyStock: undefined }
 */
export function plainStockReader(
  columns: readonly string[],
): ((fields: readonly string[]) => StockRow | undefined) | undefined {
  const at = STOCK_COLUMNS.map((c) => columns.indexOf(c));
  const [sku, locationId, onHand, safetyStock] = at as [number, number, number, number];
  const known = columns.every((c) => (STOCK_COLUMNS as readonly string[]).includes(c));
  if (!known || new Set(columns).size !== columns.length || sku < 0 || locationId < 0 || onHand < 0)
    return undefined;
  const count = (text: string): number | undefined => {
    if (!PLAIN_COUNT.test(text)) return undefined;
    const n = Number(text);
    return n <= MAX_UNITS ? n : undefined;
  };
  return (fields) => {
    const s = fields[sku]!;
    const l = fields[locationId]!;
    if (!ID_PATTERN.test(s) || !ID_PATTERN.test(l)) return undefined;
    const units = count(fields[onHand]!);
    if (units === undefined) return undefined;
    const safetyText = safetyStock < 0 ? '' : fields[safetyStock]!;
    const safety = safetyText === '' ? undefined : count(safetyText);
    if (safetyText !== '' && safety === undefined) return undefined;
    return { sku: s, locationId: l, onHand: units, safetyStock: safety };
  };
}

/**
 * A row schema that first refuses any text PostgreSQL cannot store (a NUL character, a lone surrogate), in
 * any field or key, with the path to it: such a row is a row error of its own instead of failing the batch it
 * would join.
 */
const storable = <S extends z.ZodType>(schema: S) =>
  z
    .unknown()
    .superRefine((value, ctx) => {
      const bad = findUnstorableText(value);
      if (bad) ctx.addIssue({ code: 'custom', path: bad.path, message: bad.message });
    })
    .pipe(schema);

/** The row schema of each kind, shared by every entrance (REST and the command line). */
export const ROW_SCHEMAS = {
  products: storable(ProductRowSchema),
  prices: storable(PriceRowSchema),
  stock: storable(StockRowSchema),
} as const;
export type ImportRow<K extends ImportKind> = K extends 'products'
  ? ProductRow
  : K extends 'prices'
    ? PriceRow
    : StockRow;

/** The key that identifies a row's target: within one batch the last row for a key wins. */
export function rowKey(kind: ImportKind, row: ProductRow | PriceRow | StockRow): string {
  if (kind === 'products') return (row as ProductRow).sku;
  if (kind === 'prices') {
    const p = row as PriceRow;
    return `${p.priceListId}\u0000${p.sku}\u0000${p.minQuantity}`;
  }
  const s = row as StockRow;
  return `${s.sku}\u0000${s.locationId}`;
}
