import { z } from 'zod';
import { defineRoute, getLocation, type AdminRoute } from '../../backoffice-layer/index.js';
import {
  DomainError,
  IdSchema,
  KnownCurrencySchema,
  LocationIdSchema,
  UuidSchema,
} from '../../shared/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import { quote, QuoteInputSchema, type Quote } from '../pricing/quote.js';
import { PromotionRuleBodySchema, PromotionRuleSchema } from './rule.schema.js';
import { PromotionBodySchema, type ActivePromotion } from './store.js';

/** The selling channels a cart can be previewed for. */
const PreviewChannelSchema = z.enum(['WEB', 'APP', 'STORE', 'CALL_CENTER']);

/**
 * `POST /admin/v1/promotions/preview`: a cart, for whom, through which channel, at which instant, with which
 * coupons, and optionally a draft promotion (as `PUT /admin/v1/promotions/{id}` takes it, with its `id`).
 */
export const PreviewBodySchema = z
  .strictObject({
    channel: PreviewChannelSchema,
    customerId: UuidSchema.optional().describe('Price the cart as this customer sees it'),
    locationId: LocationIdSchema.optional().describe('The store (needed for STORE)'),
    at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('The instant priced (ISO 8601); absent: now by the hub’s clock'),
    currency: KnownCurrencySchema.optional().describe('The market (ISO 4217); absent: the hub’s default'),
    lines: QuoteInputSchema.shape.lines,
    couponCodes: QuoteInputSchema.shape.couponCodes,
    promotion: PromotionBodySchema.extend({
      id: IdSchema.describe('The promotion the draft creates or replaces'),
      rule: PromotionRuleBodySchema,
    })
      .optional()
      .describe('A draft promotion, taken as if it were saved (in place of a saved one of the same id)'),
  })
  .refine((b) => b.channel !== 'STORE' || b.locationId !== undefined, {
    message: 'a STORE preview needs the store (locationId)',
    path: ['locationId'],
  });
export type PreviewBody = z.infer<typeof PreviewBodySchema>;

const Money = z.object({ amount: z.int().describe('Minor units'), currency: z.string() });
const PreviewLine = z.object({
  sku: z.string(),
  quantity: z.int(),
  unitPrice: Money.describe('The base price of one unit at that instant and quantity'),
  base: Money.describe('unitPrice × quantity'),
  final: Money,
  savings: Money,
  vat: Money.describe('The VAT part of `final`'),
  adjustments: z.array(
    z.object({
      source: z.string().describe('PROMOTION, COUPON or LOYALTY'),
      id: z.string().describe('The rule (or tier) that gave it'),
      label: z.string(),
      reason: z.string().describe('Why, in words the customer is told'),
      amount: Money.describe('The discount'),
    }),
  ),
});

/** The priced cart a preview answers (see previewCart). */
export const PreviewViewSchema = z
  .object({
    channel: PreviewChannelSchema,
    customerId: z.string().nullable(),
    locationId: z.string().nullable(),
    at: z.iso.datetime({ offset: true }).describe('The instant priced'),
    currency: z.string(),
    lines: z.array(PreviewLine),
    subtotal: Money,
    discountTotal: Money,
    total: Money,
    vatTotal: Money,
    loyalty: z
      .object({ pointsEarned: z.int(), tierAfter: z.string().nullable() })
      .nullable()
      .describe('What the order would earn her; null for nobody known'),
    appliedCoupons: z.array(z.string()),
    rejectedCoupons: z.array(z.object({ code: z.string(), reason: z.string() })),
    revision: z.int().min(0).describe('The data priced from'),
    fingerprint: z
      .string()
      .describe('The quote’s fingerprint: the same cart quoted in a channel then agrees'),
  })
  .meta({ id: 'PromotionPreview' });
export type PreviewView = z.infer<typeof PreviewViewSchema>;

/** A field error of the body, as parseInput reports them (the console shows it next to the field). */
function fieldError(path: string, message: string): DomainError {
  return new DomainError('BAD_USER_INPUT', `Invalid body: ${path}: ${message}`, {
    issues: [{ path, message }],
  });
}

/**
 * The promotions in force with the draft taken as if it were saved: its saved version (if any) left out, the
 * draft put in when its status is ACTIVE and its budget is not spent (what is spent of the saved one counts).
 */
async function withDraft(
  deps: JourneyDeps,
  draft: NonNullable<PreviewBody['promotion']>,
): Promise<(stored: ActivePromotion[]) => ActivePromotion[]> {
  const parsed = PromotionRuleSchema.safeParse({ ...draft.rule, id: draft.id });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw fieldError(['body', 'promotion', 'rule', ...issue.path.map(String)].join('.'), issue.message);
  }
  const saved = await deps.db
    .selectFrom('promotions')
    .select('budgetSpent')
    .where('id', '=', draft.id)
    .executeTakeFirst();
  const spent = saved?.budgetSpent ?? 0;
  const budget = draft.budgetAmount ?? null;
  const runs = draft.status === 'ACTIVE' && (budget === null || spent < budget);
  const rule: ActivePromotion = { ...parsed.data, budgetLeft: budget === null ? null : budget - spent };
  return (stored) =>
    [...stored.filter((r) => r.id !== draft.id), ...(runs ? [rule] : [])].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
}

/**
 * Prices a cart exactly as the quote pipeline would for that channel and customer at `at` (default now), with
 * the draft promotion taken as if it were saved — changing nothing: no coupon counted, no budget spent, no
 * hold, no row. Pricing takes no channel (every channel of one market gets one answer); the channel and store
 * are checked (a STORE preview names a store) and answered back. So a price at any instant is this preview
 * with one line.
 * @throws BAD_USER_INPUT with field issues (`body.locationId`, `body.customerId`, `body.lines.<i>.sku`,
 *   `body.promotion.rule.…`) for an unknown store, customer or SKU, a SKU without a price then, or an invalid
 *   draft.
 */
export async function previewCart(deps: JourneyDeps, body: PreviewBody): Promise<PreviewView> {
  const at = body.at ? new Date(body.at) : deps.clock.now();
  if (body.locationId !== undefined) {
    const location = await getLocation(deps.db, body.locationId);
    if (!location) throw fieldError('body.locationId', `no location ${body.locationId}`);
    if (body.channel === 'STORE' && location.kind !== 'STORE')
      throw fieldError('body.locationId', `${body.locationId} is not a store`);
  }
  const rules = body.promotion ? await withDraft(deps, body.promotion) : undefined;
  let q: Quote;
  try {
    q = await quote(
      deps,
      {
        lines: body.lines,
        customerId: body.customerId ?? null,
        ...(body.couponCodes ? { couponCodes: body.couponCodes } : {}),
        currency: body.currency ?? null,
      },
      { preview: { at, ...(rules ? { rules } : {}) } },
    );
  } catch (e) {
    throw asFieldError(e, body);
  }
  const c = q.currency;
  const money = (amount: number) => ({ amount, currency: c });
  return {
    channel: body.channel,
    customerId: body.customerId ?? null,
    locationId: body.locationId ?? null,
    at: q.asOf,
    currency: c,
    lines: q.lines.map((l) => ({
      sku: l.sku,
      quantity: l.quantity,
      unitPrice: money(l.unitAmount),
      base: money(l.base),
      final: money(l.final),
      savings: money(l.savings),
      vat: money(l.vat),
      adjustments: l.adjustments.map((a) => ({
        source: a.source,
        id: a.id,
        label: a.label,
        reason: a.reason,
        amount: money(a.amount),
      })),
    })),
    subtotal: money(q.subtotal),
    discountTotal: money(q.discountTotal),
    total: money(q.total),
    vatTotal: money(q.vatTotal),
    loyalty: q.loyalty,
    appliedCoupons: q.appliedCoupons,
    rejectedCoupons: q.rejectedCoupons,
    revision: q.revision,
    fingerprint: q.fingerprint,
  };
}

/** The quote's NOT_FOUND for a customer or SKU the body names, as a field error of that field. */
function asFieldError(e: unknown, body: PreviewBody): unknown {
  if (!(e instanceof DomainError) || e.code !== 'NOT_FOUND') return e;
  const d = e.details as { customerId?: unknown; sku?: unknown };
  if (typeof d.customerId === 'string') return fieldError('body.customerId', e.message);
  if (typeof d.sku === 'string') {
    const i = body.lines.findIndex((l) => l.sku === d.sku);
    return fieldError(`body.lines.${Math.max(0, i)}.sku`, e.message);
  }
  return e;
}

/** The promotion preview route (see previewCart). */
export const previewRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'post',
    path: '/promotions/preview',
    tag: 'promotions',
    operationId: 'previewPromotions',
    summary:
      'Price a cart as a customer would see it in a channel at an instant, with a draft promotion taken ' +
      'as if saved — changing nothing (no coupon counted, no budget spent, no hold, no row)',
    readsOnly: true,
    body: PreviewBodySchema,
    response: PreviewViewSchema,
    handle: async ({ deps, body }) => previewCart(deps, body),
  }),
];
