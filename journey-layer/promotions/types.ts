import type { z } from 'zod';

/** One cart line as the engine sees it: base price from the backoffice, product facts for the rules. */
export interface CartLine {
  lineId: string;
  sku: string;
  quantity: number;
  /** Base unit price in minor units, VAT included. */
  unitAmount: number;
  category: string;
  attributes: Record<string, string>;
  vatRateBp: number;
}

/** What the rules may know about the customer (no identifiers, no channel). */
export interface CustomerContext {
  id: string;
  tier: string | null;
  segments: readonly string[];
  firstOrder: boolean;
  personalisationConsent: boolean;
}

export interface EvaluationContext {
  at: Date;
  currency: string;
  customer: CustomerContext | null;
  lines: readonly CartLine[];
  /** The cart's base subtotal (all lines). */
  subtotal: number;
}

/**
 * A condition kind: its zod schema and how it decides. Line conditions select lines; cart conditions gate the
 * rule.
 */
export interface ConditionKind<S extends z.ZodType = z.ZodType> {
  kind: string;
  schema: S;
  scope: 'line' | 'cart';
  /**
   * For line conditions: does this line qualify? For cart conditions: does the cart (with these eligible
   * lines)?
   */
  test(
    params: z.infer<S>,
    ctx: EvaluationContext,
    line: CartLine | null,
    eligible: readonly CartLine[],
  ): boolean;
  describe(params: z.infer<S>): string;
  /**
   * For conditions that depend on the instant: the next instant strictly after `after` at which the answer
   * may change (conservative: it may also stay the same then), or null when it never changes again. The
   * scheduler commits a switch revision at each such edge, so every channel moves at once and subscribers
   * hear of it.
   */
  nextEdge?(params: z.infer<S>, after: Date): Date | null;
}

/** A line's current state while rules apply: what it costs now. */
export interface WorkingLine extends CartLine {
  /** Current line amount (after earlier discounts), minor units. */
  amount: number;
}

/**
 * An action kind: its schema, the discount per eligible line it gives (never more than the line's amount),
 * extra points.
 */
export interface ActionKind<S extends z.ZodType = z.ZodType> {
  kind: string;
  schema: S;
  apply(
    params: z.infer<S>,
    lines: readonly WorkingLine[],
    ctx: EvaluationContext,
  ): { discounts: Map<string, number>; extraPoints: number };
  describe(params: z.infer<S>): string;
  /**
   * The currency of the action's amounts (amountOff, fixedPrice, bundlePrice, tieredSpend): the rule then
   * applies only to carts in it. Absent for actions without amounts (percentages, points).
   */
  currencyOf?(params: z.infer<S>): string;
}
