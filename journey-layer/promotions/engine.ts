import { prorate, vatPart } from '../../shared/index.js';
import { percentOffLine } from './actions/percent-off-line.js';
import { ACTION_BY_KIND, CONDITION_BY_KIND } from './registry.js';
import type { PromotionRule } from './rule.schema.js';
import type { CartLine, CustomerContext, EvaluationContext, WorkingLine } from './types.js';

export type AdjustmentSource = 'PROMOTION' | 'COUPON' | 'LOYALTY';

export interface Adjustment {
  source: AdjustmentSource;
  id: string;
  label: string;
  /** Discount in minor units (positive = the customer pays less). */
  amount: number;
  reason: string;
}

export interface PricedLine {
  lineId: string;
  sku: string;
  quantity: number;
  unitAmount: number;
  base: number;
  final: number;
  savings: number;
  vat: number;
  adjustments: Adjustment[];
}

export interface MemberBenefit {
  tier: string;
  tierName: string;
  discountBp: number;
  /** Categories the member discount applies to; all when empty. */
  categories: readonly string[];
}

export interface PriceCartInput {
  currency: string;
  at: Date;
  lines: readonly CartLine[];
  customer?: CustomerContext | null;
  /** Automatic rules and the rules the given coupons unlock. */
  rules: readonly PromotionRule[];
  /**
   * Coupon codes the customer gave, each with the rule it unlocks (null: the code is unknown, expired or used
   * up).
   */
  coupons?: ReadonlyArray<{ code: string; ruleId: string | null; rejection?: string }>;
  member?: MemberBenefit | null;
  /**
   * What is left of each budgeted promotion's budget (rule id → minor units): the most discount it may still
   * give.
   */
  budgets?: ReadonlyMap<string, number>;
}

export interface PricedCart {
  currency: string;
  lines: PricedLine[];
  subtotal: number;
  discountTotal: number;
  total: number;
  vatTotal: number;
  extraPoints: number;
  appliedRules: string[];
  appliedCoupons: string[];
  /** Which rule each applied code unlocked: what the order counts against the code's limits at commit. */
  couponUse: Array<{ code: string; ruleId: string }>;
  rejectedCoupons: Array<{ code: string; reason: string }>;
}

/** Is the rule live at this instant, for this customer (personal offers need the personalisation consent)? */
function ruleOpen(rule: PromotionRule, ctx: EvaluationContext): boolean {
  const t = ctx.at.getTime();
  if (rule.validFrom && Date.parse(rule.validFrom) > t) return false;
  if (rule.validTo && t >= Date.parse(rule.validTo)) return false;
  if (rule.target) {
    const c = ctx.customer;
    if (!c || !c.personalisationConsent) return false;
    if (!rule.target.customerIds.includes(c.id) && !c.segments.some((s) => rule.target!.segments.includes(s)))
      return false;
  }
  return true;
}

/** The lines a rule may touch (all line conditions hold), or null when a cart condition fails. */
function eligibleLines(
  rule: PromotionRule,
  ctx: EvaluationContext,
  lines: readonly WorkingLine[],
): WorkingLine[] | null {
  const currency = ACTION_BY_KIND.get((rule.action as { kind: string }).kind)!.currencyOf?.(rule.action);
  if (currency !== undefined && currency !== ctx.currency) return null;
  const conds = rule.conditions.map((c) => ({
    c,
    kind: CONDITION_BY_KIND.get((c as { kind: string }).kind)!,
  }));
  const eligible = lines.filter((l) =>
    conds.every(({ c, kind }) => kind.scope !== 'line' || kind.test(c, ctx, l, [])),
  );
  for (const { c, kind } of conds)
    if (kind.scope === 'cart' && !kind.test(c, ctx, null, eligible)) return null;
  return eligible;
}

function explain(rule: PromotionRule): string {
  if (rule.reason) return rule.reason;
  const action = ACTION_BY_KIND.get((rule.action as { kind: string }).kind)!;
  const conds = rule.conditions
    .map((c) => CONDITION_BY_KIND.get((c as { kind: string }).kind)!.describe(c))
    .filter(Boolean);
  const when = conds.length ? ` ${conds.join(', ')}` : '';
  return `${rule.label}: ${action.describe(rule.action)}${when}`;
}

/**
 * A rule's discounts per line, capped at what is left of its budget (none: no cap). A cap is spread over the
 * lines in proportion to their discounts, largest remainder first, so the parts add up to exactly what is
 * left.
 */
function withinBudget(discounts: number[], left: number | undefined): number[] {
  const total = discounts.reduce((s, d) => s + d, 0);
  return left === undefined || total <= left ? discounts : prorate(Math.max(0, left), discounts);
}

/**
 * Prices a cart for a customer: base prices → automatic promotions → coupons → loyalty member discount. Pure
 * and deterministic: the same input gives the same output whatever the order of its lines, rules or coupons,
 * and it has no channel parameter. Rules apply in stage order, then by priority (high first), then by id;
 * each computes on what the lines cost after earlier rules; no line ever goes below zero. Percentages round
 * half-up per line; amounts are spread over lines pro rata so they add up exactly; a budgeted promotion gives
 * at most what is left of its budget. See RULES.md.
 */
export function priceCart(input: PriceCartInput): PricedCart {
  const order = [...input.lines].sort((a, b) => (a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0));
  const working: WorkingLine[] = order.map((l) => ({ ...l, amount: l.unitAmount * l.quantity }));
  const subtotal = working.reduce((s, l) => s + l.amount, 0);
  const ctx: EvaluationContext = {
    at: input.at,
    currency: input.currency,
    customer: input.customer ?? null,
    lines: order,
    subtotal,
  };
  const adjustments = new Map<string, Adjustment[]>(working.map((l) => [l.lineId, []]));
  const exclusive = new Set<string>();
  let stopped = false;
  let extraPoints = 0;
  const appliedRules: string[] = [];
  const appliedCoupons: string[] = [];
  const couponUse: Array<{ code: string; ruleId: string }> = [];
  const rejectedCoupons: Array<{ code: string; reason: string }> = [];

  const byPriority = (a: PromotionRule, b: PromotionRule) =>
    b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const couponsFor = new Map<string, string[]>();
  for (const c of [...(input.coupons ?? [])].sort((a, b) => (a.code < b.code ? -1 : 1))) {
    if (!c.ruleId) {
      rejectedCoupons.push({ code: c.code, reason: c.rejection ?? 'unknown coupon code' });
      continue;
    }
    couponsFor.set(c.ruleId, [...(couponsFor.get(c.ruleId) ?? []), c.code]);
  }

  const applyRule = (rule: PromotionRule, source: AdjustmentSource): boolean => {
    if (stopped || !ruleOpen(rule, ctx)) return false;
    const touched = working.filter((l) => !exclusive.has(l.lineId));
    const eligible = eligibleLines(
      rule,
      ctx,
      rule.stacking === 'EXCLUSIVE'
        ? touched.filter((l) => adjustments.get(l.lineId)!.length === 0)
        : touched,
    );
    if (!eligible || eligible.length === 0) return false;
    const action = ACTION_BY_KIND.get((rule.action as { kind: string }).kind)!;
    const effect = action.apply(rule.action, eligible, ctx);
    const reason = explain(rule);
    let any = effect.extraPoints > 0;
    const discounts = withinBudget(
      eligible.map((l) => Math.min(l.amount, Math.max(0, effect.discounts.get(l.lineId) ?? 0))),
      input.budgets?.get(rule.id),
    );
    for (const [i, l] of eligible.entries()) {
      const d = discounts[i]!;
      if (d <= 0) continue;
      l.amount -= d;
      any = true;
      adjustments.get(l.lineId)!.push({ source, id: rule.id, label: rule.label, amount: d, reason });
      if (rule.stacking === 'EXCLUSIVE') exclusive.add(l.lineId);
    }
    if (!any) return false;
    extraPoints += effect.extraPoints;
    appliedRules.push(rule.id);
    if (rule.stacking === 'EXCLUSIVE_ALL') stopped = true;
    return true;
  };

  for (const rule of input.rules.filter((r) => !r.couponRequired).sort(byPriority))
    applyRule(rule, 'PROMOTION');
  for (const rule of input.rules.filter((r) => r.couponRequired).sort(byPriority)) {
    const codes = couponsFor.get(rule.id);
    if (!codes) continue;
    couponsFor.delete(rule.id);
    if (applyRule(rule, 'COUPON')) {
      appliedCoupons.push(codes[0]!);
      couponUse.push({ code: codes[0]!, ruleId: rule.id });
      for (const c of codes.slice(1))
        rejectedCoupons.push({ code: c, reason: 'another code for the same offer is already applied' });
    } else
      for (const c of codes)
        rejectedCoupons.push({
          code: c,
          reason: stopped
            ? 'cannot be combined with an offer already applied'
            : 'the cart does not meet the conditions of this offer',
        });
  }
  for (const codes of couponsFor.values())
    for (const c of codes) rejectedCoupons.push({ code: c, reason: 'this code does not apply here' });

  const m = input.member;
  if (m && m.discountBp > 0 && !stopped) {
    const on = m.categories.length ? ` ${m.categories.join(', ')}` : '';
    const reason = `${m.tierName} member: ${m.discountBp / 100}% off${on}`;
    for (const l of working) {
      if (exclusive.has(l.lineId) || (m.categories.length > 0 && !m.categories.includes(l.category)))
        continue;
      const d = percentOffLine(l.amount, m.discountBp);
      if (d <= 0) continue;
      l.amount -= d;
      adjustments.get(l.lineId)!.push({
        source: 'LOYALTY',
        id: `tier:${m.tier}`,
        label: `${m.tierName} member discount`,
        amount: d,
        reason,
      });
    }
  }

  const priced = new Map(
    working.map((l) => {
      const base = l.unitAmount * l.quantity;
      return [
        l.lineId,
        {
          lineId: l.lineId,
          sku: l.sku,
          quantity: l.quantity,
          unitAmount: l.unitAmount,
          base,
          final: l.amount,
          savings: base - l.amount,
          vat: vatPart(l.amount, l.vatRateBp),
          adjustments: adjustments.get(l.lineId)!,
        } satisfies PricedLine,
      ];
    }),
  );
  const lines = input.lines.map((l) => priced.get(l.lineId)!);
  const total = lines.reduce((s, l) => s + l.final, 0);
  return {
    currency: input.currency,
    lines,
    subtotal,
    discountTotal: subtotal - total,
    total,
    vatTotal: lines.reduce((s, l) => s + l.vat, 0),
    extraPoints,
    appliedRules,
    appliedCoupons,
    couponUse,
    rejectedCoupons: rejectedCoupons.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)),
  };
}
