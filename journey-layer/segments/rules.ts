import { z } from 'zod';
import { displayName, formatMoney, LocationIdSchema, SkuSchema } from '../../shared/index.js';

/*
 * The rule language of the segments staff define: a few tests of her purchases, combined with `all`/`any`.
 * Each answers whether it holds and, when it does, why in words.
 */

const WithinDays = z.int().min(1).max(3660).describe('Counts purchases placed in this many days before now');

/**
 * She bought (an order not cancelled, with units of the line not all returned) `atLeast` times within
 * `withinDays`: of `category` and/or `sku` when given, through `channel` (STORE: a till sale; ONLINE: an
 * online order) and at `locationId` (the order's location, a till sale's store) when given.
 * @example { "bought": { "category": "coats", "channel": "STORE", "withinDays": 90 } }
 */
const BoughtSchema = z.strictObject({
  bought: z.strictObject({
    category: displayName(100).optional(),
    sku: SkuSchema.optional(),
    channel: z.enum(['STORE', 'ONLINE']).optional(),
    locationId: LocationIdSchema.optional(),
    atLeast: z.int().min(1).max(1000).default(1),
    withinDays: WithinDays,
  }),
});

/**
 * `atLeast` of her orders within `withinDays` had a fulfilment of `method` (PICKUP: click & collect).
 * @example { "fulfilment": { "method": "PICKUP", "atLeast": 1, "withinDays": 365 } }
 */
const FulfilmentSchema = z.strictObject({
  fulfilment: z.strictObject({
    method: z.enum(['PICKUP', 'DELIVERY']),
    atLeast: z.int().min(1).max(1000).default(1),
    withinDays: WithinDays,
  }),
});

/**
 * She spent at least `atLeast` (minor units of the loyalty programme's currency, refunds netted; purchases in
 * another currency do not count) within `withinDays`, every channel together.
 * @example { "spent": { "atLeast": 50000, "withinDays": 365 } }
 */
const SpentSchema = z.strictObject({
  spent: z.strictObject({ atLeast: z.int().min(1).max(1_000_000_000_000), withinDays: WithinDays }),
});

/** A segment rule: one test, or `all` / `any` of up to 10 rules (nested at most 3 deep). */
export type SegmentRule =
  | z.infer<typeof BoughtSchema>
  | z.infer<typeof FulfilmentSchema>
  | z.infer<typeof SpentSchema>
  | { all: SegmentRule[] }
  | { any: SegmentRule[] };

const depth = (r: SegmentRule): number =>
  'all' in r ? 1 + Math.max(...r.all.map(depth)) : 'any' in r ? 1 + Math.max(...r.any.map(depth)) : 1;

/** The deepest nesting of objects and arrays a rule document may have (3 levels of all/any use 10). */
const MAX_DOCUMENT_DEPTH = 12;

/** Whether objects and arrays in `value` nest deeper than `max`; iterative, so any depth is safe to ask. */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) return true;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

/** A rule document as parsed once its nesting is known to be bounded. */
const RuleDocumentSchema: z.ZodType<SegmentRule, unknown> = z
  .lazy(() =>
    z.union([
      BoughtSchema,
      FulfilmentSchema,
      SpentSchema,
      z.strictObject({ all: z.array(RuleDocumentSchema).min(1).max(10) }),
      z.strictObject({ any: z.array(RuleDocumentSchema).min(1).max(10) }),
    ]),
  )
  .refine((r) => depth(r) <= 4, 'rules nest at most 3 levels of all/any');

/**
 * The zod schema of a rule segment's definition document (see `SegmentRule`). A document nested deeper than
 * any rule can be is refused before it is parsed (the parser recurses per level).
 */
export const SegmentRuleSchema: z.ZodType<SegmentRule, unknown> = z
  // A transform in front of the pipe: the documented (JSON Schema) shape stays the rule's own.
  .transform((v: unknown, ctx) => {
    if (!nestsDeeperThan(v, MAX_DOCUMENT_DEPTH)) return v;
    ctx.issues.push({ code: 'custom', message: 'rules nest at most 3 levels of all/any', input: v });
    return z.NEVER;
  })
  .pipe(RuleDocumentSchema);

/** One purchase as the rules see it (cancelled orders are left out before). */
export interface RulePurchase {
  placedAt: Date;
  kind: 'ONLINE' | 'STORE';
  locationId: string | null;
  /** Paid less refunds, minor units of `currency`. */
  netAmount: number;
  currency: string;
  fulfilmentMethods: readonly string[];
  /** Units kept (sold less returned) per line. */
  lines: ReadonlyArray<{ sku: string; category: string | null; kept: number }>;
}

/** What a rule is evaluated with: the instant, and the loyalty programme's currency amounts count in. */
export interface RuleContext {
  now: Date;
  currency: string;
}

const DAY_MS = 86_400_000;
const day = (d: Date) => d.toISOString().slice(0, 10);
const times = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Whether the rule holds for these purchases, and why in words when it does (null when it does not). */
export function evaluateRule(
  rule: SegmentRule,
  purchases: readonly RulePurchase[],
  ctx: RuleContext,
): string | null {
  if ('all' in rule) {
    const reasons = rule.all.map((r) => evaluateRule(r, purchases, ctx));
    return reasons.every((r) => r !== null) ? reasons.join(' and ') : null;
  }
  if ('any' in rule) {
    const reasons = rule.any.map((r) => evaluateRule(r, purchases, ctx)).filter((r) => r !== null);
    return reasons.length > 0 ? reasons.join('; ') : null;
  }
  const within = (days: number) => {
    const since = ctx.now.getTime() - days * DAY_MS;
    return purchases.filter((p) => p.placedAt.getTime() >= since);
  };
  if ('bought' in rule) {
    const b = rule.bought;
    const hits = within(b.withinDays).filter(
      (p) =>
        (!b.channel || p.kind === b.channel) &&
        (!b.locationId || p.locationId === b.locationId) &&
        p.lines.some(
          (l) => l.kept > 0 && (!b.sku || l.sku === b.sku) && (!b.category || l.category === b.category),
        ),
    );
    if (hits.length < b.atLeast) return null;
    const what = [b.category, b.sku].filter(Boolean).join(' ') || 'something';
    const where =
      (b.channel === 'STORE' ? ' in a store' : b.channel === 'ONLINE' ? ' online' : '') +
      (b.locationId ? ` at ${b.locationId}` : '');
    return (
      `bought ${what}${where} ${times(hits.length, 'time', 'times')} in the last ${b.withinDays} days, ` +
      `the last on ${day(hits.at(-1)!.placedAt)}`
    );
  }
  if ('fulfilment' in rule) {
    const f = rule.fulfilment;
    const hits = within(f.withinDays).filter((p) => p.fulfilmentMethods.includes(f.method));
    if (hits.length < f.atLeast) return null;
    const how = f.method === 'PICKUP' ? 'chose click & collect for' : 'had delivered';
    return `${how} ${times(hits.length, 'order', 'orders')} in the last ${f.withinDays} days`;
  }
  const s = rule.spent;
  const spent = within(s.withinDays)
    .filter((p) => p.currency === ctx.currency)
    .reduce((sum, p) => sum + p.netAmount, 0);
  if (spent < s.atLeast) return null;
  const money = (amount: number) => formatMoney({ amount, currency: ctx.currency }, 'en-GB');
  return `spent ${money(spent)} in the last ${s.withinDays} days (at least ${money(s.atLeast)})`;
}

/** The longest look-back (days) a rule needs. */
export function ruleWindowDays(rule: SegmentRule): number {
  if ('all' in rule) return Math.max(...rule.all.map(ruleWindowDays));
  if ('any' in rule) return Math.max(...rule.any.map(ruleWindowDays));
  if ('bought' in rule) return rule.bought.withinDays;
  if ('fulfilment' in rule) return rule.fulfilment.withinDays;
  return rule.spent.withinDays;
}
