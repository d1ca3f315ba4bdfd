import { sql } from 'kysely';
import { DomainError } from '../../shared/index.js';
import { getCustomerFacts } from '../customers/customer-reads.js';
import type { JourneyDeps } from '../journey-deps.js';
import { earnedInWindow, getLoyaltyProgram } from '../loyalty/ledger.js';
import { heldTier, type LoyaltyProgram, type Tier } from '../loyalty/program.js';
import { activePromotionRules, resolveCoupons } from '../promotions/store.js';
import { computedSegmentIds } from '../segments/memberships.js';
import { journeyGlobals } from './read-model-sections.js';

/** Everything about the customer and the offers in force that a price needs, loaded once per request. */
export interface PricingContext {
  facts: Awaited<ReturnType<typeof getCustomerFacts>>;
  program: LoyaltyProgram;
  rules: Awaited<ReturnType<typeof activePromotionRules>>;
  coupons: Awaited<ReturnType<typeof resolveCoupons>>;
  /** The tier the customer holds (`heldTier`), null for an anonymous one. */
  tier: Tier | null;
  /**
   * Points the customer earned in the programme's rolling window, what her tier follows (0 for an anonymous
   * one, and when not asked for: offers preview no tier).
   */
  earnedInWindow: number;
  /** The newest revision among the journey data read: an answer must be at or above it. */
  revision: number;
  /** The market's currency (ISO 4217) every amount is in: the request's, else the hub's default. */
  currency: string;
}

/** Whose price, with which coupons, at which instant, from which snapshot's shared sections. */
export interface PricingContextRequest {
  customerId: string | null;
  couponCodes: readonly string[];
  /** The instant the price is evaluated at (coupon windows). */
  at: Date;
  /** The snapshot's shared sections (by name), when it carries the promotions and the programme. */
  globals?: ReadonlyMap<string, unknown> | undefined;
  /** Load the points she earned in the window, which only a quote's tier preview needs (default true). */
  tierPreview?: boolean | undefined;
  /** The market's currency (ISO 4217); absent or null: the hub's default. */
  currency?: string | null | undefined;
}

/**
 * The customer, her coupons and the offers in force. The promotions and the programme come from the
 * snapshot's shared sections when it carries them (then its revision covers them); else they are read here,
 * and counted in `revision`. An anonymous price without coupons from a read-model snapshot reads nothing at
 * all.
 * @throws NOT_FOUND for an unknown customer.
 */
export async function loadPricingContext(
  deps: JourneyDeps,
  request: PricingContextRequest,
): Promise<PricingContext> {
  const { customerId, couponCodes, at } = request;
  const shared = journeyGlobals(request.globals);
  const [profile, program, rules, coupons] = await Promise.all([
    customerId ? getCustomerFacts(deps.db, customerId) : Promise.resolve(null),
    shared ? shared.program : getLoyaltyProgram(deps.db),
    shared ? shared.rules : activePromotionRules(deps.db),
    couponCodes.length > 0 ? resolveCoupons(deps.db, couponCodes, customerId, at) : Promise.resolve([]),
  ]);
  if (customerId && !profile) throw new DomainError('NOT_FOUND', `No customer ${customerId}`, { customerId });
  const [account, earned, computed] = profile
    ? await Promise.all([
        deps.db
          .selectFrom('loyaltyAccounts')
          .select(['tier'])
          .where('customerId', '=', profile.id)
          .executeTakeFirst(),
        request.tierPreview === false ? 0 : earnedInWindow(deps.db, profile.id, program, at),
        // Computed segments count only with her PROFILING consent (her revision moves with either).
        profile.consents.PROFILING ? computedSegmentIds(deps.db, profile.id) : [],
      ])
    : [undefined, 0, []];
  // The segments staff set by hand, then the computed ones she is in.
  const facts = profile && {
    ...profile,
    segments: [...profile.segments, ...computed.filter((s) => !profile.segments.includes(s))],
  };
  const tier = facts ? heldTier(program, account?.tier) : null;
  const codes = coupons.map((c) => c.code);
  const revision =
    shared && !facts && codes.length === 0
      ? 0
      : await journeyRevision(deps, facts?.id ?? null, codes, !shared);
  const currency = request.currency ?? deps.config.defaultCurrency;
  return { facts, program, rules, coupons, tier, earnedInWindow: earned, revision, currency };
}

/**
 * The newest revision of the journey data a price depends on: the customer, the definitions of the segments
 * computed for her (archiving one changes her prices), her coupons, and (unless a snapshot carries them)
 * promotions and the programme.
 */
async function journeyRevision(
  deps: JourneyDeps,
  customerId: string | null,
  codes: string[],
  withShared: boolean,
): Promise<number> {
  const r = await sql<{ revision: number | null }>`
    SELECT greatest(
      CASE WHEN ${withShared} THEN (SELECT max(revision) FROM promotions) END,
      CASE WHEN ${withShared} THEN (SELECT max(revision) FROM loyalty_programs) END,
      (SELECT max(revision) FROM customers WHERE id = ${customerId}::uuid),
      (SELECT max(revision) FROM loyalty_accounts WHERE customer_id = ${customerId}::uuid),
      (SELECT max(d.revision) FROM segment_memberships m JOIN segment_definitions d ON d.id = m.segment_id
        WHERE m.customer_id = ${customerId}::uuid),
      (SELECT max(revision) FROM coupons WHERE code = ANY(${codes}::text[]))
    ) AS revision`.execute(deps.db);
  return r.rows[0]?.revision ?? 0;
}

/**
 * The newest revision of what a price reads of each of these customers (the customer part of `revision`
 * above: her profile, consents and segments — the definitions of her computed ones too —, her loyalty
 * account), over each id and the profiles it was merged into, in one read: id → revision. An answer priced
 * for her at revision R still holds while this is at most R; a later change of hers, not yet in any read
 * model, makes it greater. Ids none of whose profiles is known (erased or never there) are absent.
 * The read is the function `customer_data_revisions` (migration 20261201T0610), whose query PostgreSQL plans
 * once per connection instead of once per call: the answer cache asks it hundreds of times a second.
 */
export async function customerDataRevisions(
  deps: Pick<JourneyDeps, 'db'>,
  customerIds: readonly string[],
): Promise<Map<string, number>> {
  const r = await sql<{ id: string; revision: string | number | null }>`
    SELECT customer::text AS id, data_revision AS revision
      FROM customer_data_revisions(${[...customerIds]}::uuid[])`.execute(deps.db);
  const revisions = new Map<string, number>();
  for (const row of r.rows) if (row.revision !== null) revisions.set(row.id, Number(row.revision));
  return revisions;
}

/** What is left of the budget of each budgeted promotion in force (rule id → minor units). */
export function budgetsOf(rules: PricingContext['rules']): Map<string, number> {
  return new Map(
    rules.flatMap((r) => (typeof r.budgetLeft === 'number' ? [[r.id, r.budgetLeft] as const] : [])),
  );
}
