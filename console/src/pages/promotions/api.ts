import { rest } from '../../api/client';
import type { Money } from '../../ui/format';

/**
 * The promotions page's calls to the admin REST (`/admin/v1/promotions…`) and the shapes they answer, as
 * docs/API.md and the hub's route schemas define them.
 */

/** Whether a promotion applies: ACTIVE ones do; PAUSED ones may again; ARCHIVED ones never will. */
export const STATUSES = ['ACTIVE', 'PAUSED', 'ARCHIVED'] as const;
export type PromotionStatus = (typeof STATUSES)[number];

/** How a rule combines with the others (the hub's RULES.md, "Stacking"). */
export const STACKINGS = ['STACKABLE', 'EXCLUSIVE', 'EXCLUSIVE_ALL'] as const;
export type Stacking = (typeof STACKINGS)[number];

/** A condition or an action as data: its `kind` and that kind's fields (see kinds.ts). */
export type KindData = { kind: string } & Record<string, unknown>;

/** A promotion rule as the hub stores it (`PromotionRule`). Amounts in minor units. */
export interface PromotionRule {
  id: string;
  label: string;
  priority: number;
  stacking: Stacking;
  validFrom?: string | null;
  validTo?: string | null;
  conditions: KindData[];
  action: KindData;
  target?: { segments: string[]; customerIds: string[] };
  couponRequired: boolean;
  reason?: string;
}

/** `GET /promotions/{id}`: one promotion with its budget use (minor units; budgetAmount null = none). */
export interface Promotion {
  id: string;
  rule: PromotionRule;
  status: PromotionStatus;
  budgetAmount: number | null;
  budgetSpent: number;
  revision: number;
}

/** One row of `GET /promotions`: the terms at a glance; `window` as it stands at the hub's now. */
export interface PromotionSummary {
  id: string;
  label: string;
  status: PromotionStatus;
  window: 'SCHEDULED' | 'RUNNING' | 'ENDED';
  validFrom: string | null;
  validTo: string | null;
  recurring: boolean;
  priority: number;
  stacking: Stacking;
  action: string;
  couponRequired: boolean;
  personal: boolean;
  budgetAmount: number | null;
  budgetSpent: number;
  revision: number;
  updatedAt: string;
}

/** The body of `PUT /promotions/{id}`: the rule (its id is the path's), status and budget (minor units). */
export interface PromotionBody {
  rule: Omit<PromotionRule, 'id'>;
  status: PromotionStatus;
  budgetAmount: number | null;
}

/** `POST /promotions/{id}/coupons`: given codes or generated ones, with usage limits and window. */
export interface CouponBatchBody {
  codes?: string[];
  generate?: { count: number; prefix: string };
  batchId?: string;
  usageLimit?: number | null;
  perCustomerLimit?: number | null;
  validFrom?: string | null;
  validTo?: string | null;
}

/** The selling channels a cart can be previewed for. */
export const PREVIEW_CHANNELS = ['WEB', 'APP', 'STORE', 'CALL_CENTER'] as const;
export type PreviewChannel = (typeof PREVIEW_CHANNELS)[number];

/**
 * `POST /promotions/preview`: a cart, as whom, through which channel, at which instant, with which coupons,
 * and the draft promotion (as PUT takes it, with its id) taken as if saved.
 */
export interface PreviewBody {
  channel: PreviewChannel;
  customerId?: string;
  locationId?: string;
  at?: string;
  lines: Array<{ sku: string; quantity: number }>;
  couponCodes?: string[];
  promotion?: PromotionBody & { id: string };
}

/** One adjustment of a previewed line: who gave it and why, in words the customer is told. */
export interface PreviewAdjustment {
  source: string;
  id: string;
  label: string;
  reason: string;
  amount: Money;
}

/** The priced cart a preview answers; nothing was changed to compute it. */
export interface PreviewView {
  channel: PreviewChannel;
  customerId: string | null;
  locationId: string | null;
  at: string;
  currency: string;
  lines: Array<{
    sku: string;
    quantity: number;
    unitPrice: Money;
    base: Money;
    final: Money;
    savings: Money;
    vat: Money;
    adjustments: PreviewAdjustment[];
  }>;
  subtotal: Money;
  discountTotal: Money;
  total: Money;
  vatTotal: Money;
  loyalty: { pointsEarned: number; tierAfter: string | null } | null;
  appliedCoupons: string[];
  rejectedCoupons: Array<{ code: string; reason: string }>;
  revision: number;
  fingerprint: string;
}

/** A page of promotions in id order (`next`: the cursor of the following page, null on the last). */
export function listPromotions(opts: {
  status: PromotionStatus | null;
  after: string | null;
  limit: number;
}): Promise<{ promotions: PromotionSummary[]; next: string | null }> {
  const q = new URLSearchParams({ limit: String(opts.limit) });
  if (opts.status) q.set('status', opts.status);
  if (opts.after) q.set('after', opts.after);
  return rest('GET', `/promotions?${q.toString()}`);
}

/** One promotion. @throws ApiError NOT_FOUND. */
export async function getPromotion(id: string): Promise<Promotion> {
  return (await rest<{ promotion: Promotion }>('GET', `/promotions/${encodeURIComponent(id)}`)).promotion;
}

/** Creates or replaces a promotion. @throws ApiError BAD_USER_INPUT/BAD_INPUT with field issues. */
export function putPromotion(
  id: string,
  body: PromotionBody,
  idempotencyKey: string,
): Promise<{ promotion: Promotion; revision: number }> {
  return rest('PUT', `/promotions/${encodeURIComponent(id)}`, body, { idempotencyKey });
}

/** Archives a promotion (kept for the orders that used it). */
export function archivePromotion(id: string, idempotencyKey: string): Promise<{ revision: number }> {
  return rest('DELETE', `/promotions/${encodeURIComponent(id)}`, undefined, { idempotencyKey });
}

/** Adds coupon codes to a promotion. @throws ApiError (CONFLICT for a code that exists). */
export function createCoupons(
  id: string,
  body: CouponBatchBody,
  idempotencyKey: string,
): Promise<{ codes: string[]; revision: number }> {
  return rest('POST', `/promotions/${encodeURIComponent(id)}/coupons`, body, { idempotencyKey });
}

/** Prices a cart with the draft taken as if saved; changes nothing. */
export function previewPromotions(body: PreviewBody): Promise<PreviewView> {
  return rest('POST', '/promotions/preview', body);
}
