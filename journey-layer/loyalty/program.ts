import { z } from 'zod';
import { KnownCurrencySchema, currencyExponent, displayName, type Money } from '../../shared/index.js';

const TierIdSchema = z.string().regex(/^[A-Z][A-Z0-9_]{0,31}$/, 'tier ids: upper-case letters, digits, "_"');

export const TierSchema = z.strictObject({
  id: TierIdSchema,
  name: displayName(60),
  /** Points earned in the rolling window needed to reach this tier. */
  threshold: z.number().int().min(0).max(100_000_000),
  benefits: z.strictObject({
    /** Member discount in basis points (1000 = 10 %) on the listed categories (all when empty). */
    memberDiscountBp: z.number().int().min(0).max(5000).default(0),
    discountCategories: z.array(z.string().min(1).max(100)).max(100).default([]),
    /** Points multiplier in percent (150 = 1.5 × points). */
    pointsMultiplierPct: z.number().int().min(0).max(1000).default(100),
    freeClickAndCollect: z.boolean().default(false),
    /** Extra benefits shown to the customer and staff, in words. */
    perks: z.array(z.string().min(1).max(200)).max(20).default([]),
  }),
});
export type Tier = z.infer<typeof TierSchema>;

export const LoyaltyProgramSchema = z
  .strictObject({
    currency: KnownCurrencySchema,
    /** Points per whole currency unit spent (1 = one point per euro), before the tier multiplier. */
    pointsPerUnit: z.number().int().min(0).max(100).default(1),
    /** Tier status counts the points earned in this many days. */
    rollingWindowDays: z.number().int().min(1).max(3660).default(365),
    /** Points not spent this many days after they were earned expire (null: never). */
    pointsExpireAfterDays: z.number().int().min(1).max(3660).nullable().default(730),
    tiers: z.array(TierSchema).min(1).max(20),
  })
  .superRefine((p, ctx) => {
    if (p.tiers.length === 0) return; // already reported by min(1)
    const ids = new Set<string>();
    p.tiers.forEach((t, i) => {
      if (ids.has(t.id))
        ctx.addIssue({ code: 'custom', message: `duplicate tier id ${t.id}`, path: ['tiers', i, 'id'] });
      ids.add(t.id);
      if (i > 0 && t.threshold <= p.tiers[i - 1]!.threshold)
        ctx.addIssue({
          code: 'custom',
          message: 'tiers must be ordered by rising threshold',
          path: ['tiers', i, 'threshold'],
        });
    });
    if (p.tiers[0]!.threshold !== 0)
      ctx.addIssue({
        code: 'custom',
        message: 'the first tier must start at 0 points',
        path: ['tiers', 0, 'threshold'],
      });
  });
export type LoyaltyProgram = z.infer<typeof LoyaltyProgramSchema>;

/** The programme a hub starts with until the retailer sets its own (`PUT /admin/v1/loyalty/tiers`). */
export const DEFAULT_PROGRAM: LoyaltyProgram = LoyaltyProgramSchema.parse({
  currency: 'EUR',
  pointsPerUnit: 1,
  rollingWindowDays: 365,
  pointsExpireAfterDays: 730,
  tiers: [
    { id: 'BRONZE', name: 'Bronze', threshold: 0, benefits: {} },
    {
      id: 'SILVER',
      name: 'Silver',
      threshold: 500,
      benefits: {
        memberDiscountBp: 500,
        discountCategories: ['coats', 'knitwear'],
        pointsMultiplierPct: 125,
      },
    },
    {
      id: 'GOLD',
      name: 'Gold',
      threshold: 1500,
      benefits: {
        memberDiscountBp: 1000,
        pointsMultiplierPct: 150,
        freeClickAndCollect: true,
        perks: ['a birthday gift in store'],
      },
    },
  ],
});

/**
 * The tier recorded for a member (`loyalty_accounts.tier`, recomputed on every ledger entry) in this
 * programme: the first tier when she has no account yet or the programme no longer has her recorded tier.
 * @example heldTier(program, 'SILVER') // the SILVER tier; heldTier(program, null) // the first tier
 */
export function heldTier(program: LoyaltyProgram, recorded: string | null | undefined): Tier {
  return program.tiers.find((t) => t.id === recorded) ?? program.tiers[0]!;
}

/** The tier a member holds with these points earned in the rolling window: the highest threshold reached. */
export function tierFor(program: LoyaltyProgram, earnedInWindow: number): Tier {
  let tier = program.tiers[0]!;
  for (const t of program.tiers) if (earnedInWindow >= t.threshold) tier = t;
  return tier;
}

/**
 * The tier a member holds once `points` more (negative: fewer) are counted with the points she earned in the
 * rolling window: what recording a sale or a return makes her, and what a quote previews. One rule for both.
 * @example tierAfterEarning(program, 450, 60) // SILVER with tiers BRONZE 0 / SILVER 500
 */
export function tierAfterEarning(program: LoyaltyProgram, earnedInWindow: number, points: number): Tier {
  return tierFor(program, Math.max(0, earnedInWindow + points));
}

export function nextTier(program: LoyaltyProgram, tier: Tier): Tier | null {
  const i = program.tiers.findIndex((t) => t.id === tier.id);
  return program.tiers[i + 1] ?? null;
}

/**
 * Points an order earns: whole currency units of the eligible amount (minor units ÷ 10^exponent of its
 * currency: 100 for EUR, 1 for JPY, 1000 for KWD) × points per unit × the tier's multiplier, rounded down
 * (a member never earns a point for a fraction of a unit). Extra points from promotions are added as is. An
 * order in another currency than the programme's earns nothing (its units are not the programme's).
 * @example pointsForOrder(program, gold, { amount: 12995, currency: 'EUR' }) // 129 € × 1 × 150 % = 193
 */
export function pointsForOrder(
  program: LoyaltyProgram,
  tier: Tier,
  eligible: Money,
  extraPoints = 0,
): number {
  if (eligible.currency !== program.currency) return 0;
  if (eligible.amount <= 0) return Math.max(0, extraPoints);
  const units = Math.floor(eligible.amount / 10 ** currencyExponent(eligible.currency));
  return (
    Math.floor((units * program.pointsPerUnit * tier.benefits.pointsMultiplierPct) / 100) +
    Math.max(0, extraPoints)
  );
}

/** Benefits in words, for tills and agents. */
export function describeBenefits(tier: Tier): string[] {
  const b = tier.benefits;
  const out: string[] = [];
  if (b.memberDiscountBp > 0) {
    const on = b.discountCategories.length ? ` on ${b.discountCategories.join(', ')}` : '';
    out.push(`${b.memberDiscountBp / 100}% member discount${on}`);
  }
  if (b.pointsMultiplierPct !== 100) out.push(`${b.pointsMultiplierPct / 100}× points`);
  if (b.freeClickAndCollect) out.push('free click & collect');
  for (const p of b.perks) if (!out.includes(p)) out.push(p);
  return [...new Set(out)];
}
