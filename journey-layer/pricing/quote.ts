import { z } from 'zod';
import {
  effectiveInstant,
  loadSnapshotFromDatabase,
  selectPrice,
  type ReadModel,
  type Snapshot,
} from '../../backoffice-layer/index.js';
import { sql } from 'kysely';
import {
  canonicalJson,
  DomainError,
  formatMoney,
  MAX_LINE_QUANTITY,
  MAX_MONEY_AMOUNT,
  parseInput,
  sha256,
  UuidSchema,
} from '../../shared/index.js';
import { getCustomerFacts } from '../customers/customers.js';
import type { JourneyDeps } from '../journey-deps.js';
import { earnedInWindow, getLoyaltyProgram } from '../loyalty/ledger.js';
import {
  describeBenefits,
  pointsForOrder,
  tierAfterEarning,
  type LoyaltyProgram,
} from '../loyalty/program.js';
import { priceCart, type PricedCart } from '../promotions/engine.js';
import { activePromotionRules, resolveCoupons } from '../promotions/store.js';
import { journeyGlobals, journeyReadModelFacets } from './facets.js';

export const QuoteInputSchema = z.strictObject({
  lines: z
    .array(
      z.strictObject({
        sku: z.string().min(1).max(64),
        quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
      }),
    )
    .min(1)
    .max(200),
  customerId: UuidSchema.nullish(),
  couponCodes: z.array(z.string().min(1).max(40)).max(20).optional(),
  minRevision: z.number().int().min(0).optional(),
});
export type QuoteInput = z.infer<typeof QuoteInputSchema>;

export interface Quote extends PricedCart {
  loyalty: { pointsEarned: number; tierAfter: string | null } | null;
  revision: number;
  fingerprint: string;
  asOf: string;
}

/** The content of an answer, hashed: same inputs and revision give the same fingerprint in every channel. */
export function fingerprint(content: unknown): string {
  return sha256(canonicalJson(content));
}

async function snapshotFor(
  deps: JourneyDeps,
  skus: string[],
  minRevision: number | undefined,
  readModel?: ReadModel,
): Promise<Snapshot> {
  if (readModel) return readModel.getSnapshot(skus, { minRevision });
  const s = await loadSnapshotFromDatabase(deps.db, skus, journeyReadModelFacets);
  if (minRevision !== undefined && s.revision < minRevision)
    throw new DomainError(
      'BAD_USER_INPUT',
      `minRevision ${minRevision} is ahead of the hub (latest revision ${s.revision})`,
      { minRevision },
    );
  return {
    revision: s.revision,
    source: 'database',
    skus: s.views,
    locations: s.locations,
    globals: s.globals,
  };
}

/** Everything about the customer and the offers in force that a price needs, loaded once per request. */
export interface PricingContext {
  facts: Awaited<ReturnType<typeof getCustomerFacts>>;
  program: LoyaltyProgram;
  rules: Awaited<ReturnType<typeof activePromotionRules>>;
  coupons: Awaited<ReturnType<typeof resolveCoupons>>;
  tierId: string | null;
  /**
   * Points the customer earned in the programme's rolling window, what her tier follows (0 for an anonymous one, and
   * when not asked for: offers preview no tier).
   */
  earnedInWindow: number;
  /** The newest revision among the journey data read: an answer must be at or above it. */
  revision: number;
}

/**
 * The customer, her coupons and the offers in force. The promotions and the programme come from the snapshot's
 * global facets when it carries them (then its revision covers them); else they are read here, and counted in
 * `revision`. An anonymous price without coupons from a read-model snapshot reads nothing at all. `tierPreview`
 * (default true) loads the points she earned in the window, which only a quote's tier preview needs.
 */
export async function loadPricingContext(
  deps: JourneyDeps,
  customerId: string | null,
  couponCodes: readonly string[],
  at: Date,
  globals?: ReadonlyMap<string, unknown>,
  opts: { tierPreview?: boolean } = {},
): Promise<PricingContext> {
  const shared = journeyGlobals(globals);
  const [facts, program, rules, coupons] = await Promise.all([
    customerId ? getCustomerFacts(deps.db, customerId) : Promise.resolve(null),
    shared ? shared.program : getLoyaltyProgram(deps.db),
    shared ? shared.rules : activePromotionRules(deps.db),
    couponCodes.length > 0 ? resolveCoupons(deps.db, couponCodes, customerId, at) : Promise.resolve([]),
  ]);
  if (customerId && !facts) throw new DomainError('NOT_FOUND', `No customer ${customerId}`, { customerId });
  const [account, earned] = facts
    ? await Promise.all([
        deps.db
          .selectFrom('loyaltyAccounts')
          .select(['tier'])
          .where('customerId', '=', facts.id)
          .executeTakeFirst(),
        opts.tierPreview === false ? 0 : earnedInWindow(deps.db, facts.id, program, at),
      ])
    : [undefined, 0];
  const tierId = facts ? (program.tiers.find((t) => t.id === account?.tier) ?? program.tiers[0]!).id : null;
  const codes = coupons.map((c) => c.code);
  const revision =
    shared && !facts && codes.length === 0
      ? 0
      : await journeyRevision(deps, facts?.id ?? null, codes, !shared);
  return { facts, program, rules, coupons, tierId, earnedInWindow: earned, revision };
}

/** The newest revision of the journey data a price depends on: the customer, her coupons, and (unless a snapshot carries them) promotions and the programme. */
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
      (SELECT max(revision) FROM coupons WHERE code = ANY(${codes}::text[]))
    ) AS revision`.execute(deps.db);
  return r.rows[0]?.revision ?? 0;
}

/**
 * A snapshot and the journey data read after it, at one revision: when the journey data is newer than the snapshot,
 * the snapshot is taken again at least at that revision. So an answer's revision covers everything it used, and two
 * answers at one revision were computed from the same data.
 */
async function consistentInputs(
  deps: JourneyDeps,
  skus: string[],
  minRevision: number | undefined,
  readModel: ReadModel | undefined,
  customerId: string | null,
  couponCodes: readonly string[],
  now: Date,
  tierPreview: boolean,
): Promise<{ snapshot: Snapshot; pricing: PricingContext; at: Date }> {
  let min = minRevision;
  for (let attempt = 0; ; attempt++) {
    const snapshot = await snapshotFor(deps, skus, min, readModel);
    // Evaluated at the instant the snapshot's revision determines (between its latest switch and its next edge).
    const at = effectiveInstant(snapshot.globals, now);
    const pricing = await loadPricingContext(deps, customerId, couponCodes, at, snapshot.globals, {
      tierPreview,
    });
    if (pricing.revision <= snapshot.revision || attempt >= 4)
      return {
        snapshot: { ...snapshot, revision: Math.max(snapshot.revision, pricing.revision) },
        pricing,
        at,
      };
    min = pricing.revision;
  }
}

/**
 * What this customer pays for these lines now: base prices from the backoffice snapshot, then promotions, coupons and
 * the loyalty member discount, with every adjustment explained, the VAT part, and the points the order would earn.
 * Takes no channel: every channel gets the same answer, revision and fingerprint.
 */
export async function quote(
  deps: JourneyDeps,
  raw: QuoteInput,
  opts: { readModel?: ReadModel } = {},
): Promise<Quote> {
  return (await repricableQuote(deps, raw, opts)).quote;
}

/** A quote, the budgeted promotions it priced with, and the same cart priced again with other budgets. */
export interface RepricableQuote {
  quote: Quote;
  /** What was left of each budgeted promotion in force when the quote was priced (rule id → minor units). */
  budgets: ReadonlyMap<string, number>;
  /** The same cart, customer, coupons, rules and instant, priced with these budgets instead. */
  reprice(budgets: ReadonlyMap<string, number>): Quote;
}

/**
 * `quote`, keeping what it priced with so that an order can price the same cart again inside its transaction with
 * what is left of its promotions' budgets under their row locks (the same engine, the same cap).
 */
export async function repricableQuote(
  deps: JourneyDeps,
  raw: QuoteInput,
  opts: { readModel?: ReadModel } = {},
): Promise<RepricableQuote> {
  const input = parseInput(QuoteInputSchema, raw, 'body');
  const skus = [...new Set(input.lines.map((l) => l.sku))].sort();
  const inputs = await consistentInputs(
    deps,
    skus,
    input.minRevision,
    opts.readModel,
    input.customerId ?? null,
    input.couponCodes ?? [],
    deps.clock.now(),
    true,
  );
  const { at } = inputs;
  const budgets = budgetsOf(inputs.pricing.rules);
  const priceWith = (b: ReadonlyMap<string, number>): Quote => {
    const { priced, content } = priceLines(input.lines, inputs, at, b);
    return { ...priced, fingerprint: fingerprint({ content, revision: priced.revision }) };
  };
  return { quote: priceWith(budgets), budgets, reprice: priceWith };
}

/** What is left of the budget of each budgeted promotion in force. */
function budgetsOf(rules: PricingContext['rules']): Map<string, number> {
  return new Map(
    rules.flatMap((r) => (typeof r.budgetLeft === 'number' ? [[r.id, r.budgetLeft] as const] : [])),
  );
}

/** The priced lines of a valid input from inputs already read, and the content its fingerprint covers. */
function priceLines(
  inputLines: QuoteInput['lines'],
  inputs: { snapshot: Snapshot; pricing: PricingContext },
  at: Date,
  budgets: ReadonlyMap<string, number>,
): { priced: Omit<Quote, 'fingerprint'>; content: unknown } {
  const merged = new Map<string, number>();
  for (const l of inputLines) merged.set(l.sku, (merged.get(l.sku) ?? 0) + l.quantity);
  const skus = [...merged.keys()].sort();
  const snapshot = inputs.snapshot;
  const currency = 'EUR';
  const lines = skus.map((sku) => {
    const view = snapshot.skus.get(sku);
    if (!view || view.product.status !== 'ACTIVE')
      throw new DomainError('NOT_FOUND', `No sellable product ${sku}`, { sku });
    const quantity = merged.get(sku)!;
    const price = selectPrice(view.prices, { at, quantity, currency });
    if (!price) throw new DomainError('NOT_FOUND', `${sku} has no price at ${at.toISOString()}`, { sku });
    return {
      lineId: sku,
      sku,
      quantity,
      unitAmount: price.amount,
      category: view.product.category,
      attributes: view.product.attributes,
      vatRateBp: view.product.vatRateBp,
    };
  });

  const { facts, program, rules, coupons, tierId } = inputs.pricing;
  const tier = tierId ? program.tiers.find((t) => t.id === tierId)! : null;
  const priced = priceCart({
    currency,
    at,
    lines,
    rules,
    coupons,
    budgets,
    customer: facts
      ? {
          id: facts.id,
          tier: tier?.id ?? null,
          segments: facts.segments,
          firstOrder: facts.firstOrder,
          personalisationConsent: facts.consents.PERSONALISATION,
        }
      : null,
    member:
      tier && tier.benefits.memberDiscountBp > 0
        ? {
            tier: tier.id,
            tierName: tier.name,
            discountBp: tier.benefits.memberDiscountBp,
            categories: tier.benefits.discountCategories,
          }
        : null,
  });
  // The subtotal is the largest amount of the answer (every line's base and final, the total, are at most it).
  if (priced.subtotal > MAX_MONEY_AMOUNT) {
    throw new DomainError(
      'BAD_USER_INPUT',
      `This cart comes to ${formatMoney({ amount: priced.subtotal, currency })}, more than the largest amount an order may have (${formatMoney({ amount: MAX_MONEY_AMOUNT, currency })})`,
      { subtotal: priced.subtotal, max: MAX_MONEY_AMOUNT },
    );
  }
  const loyalty = tier ? loyaltyPreview(program, tier, inputs.pricing.earnedInWindow, priced) : null;
  const content = { ...priced, loyalty, benefits: tier ? describeBenefits(tier) : [] };
  return { priced: { ...priced, loyalty, revision: snapshot.revision, asOf: at.toISOString() }, content };
}

/** The points this order earns her, and the tier recording it gives her: her points earned in the window plus these. */
function loyaltyPreview(
  program: LoyaltyProgram,
  tier: LoyaltyProgram['tiers'][number],
  earned: number,
  priced: PricedCart,
): { pointsEarned: number; tierAfter: string | null } {
  const points = pointsForOrder(program, tier, priced.total, priced.extraPoints);
  return { pointsEarned: points, tierAfter: tierAfterEarning(program, earned, points).id };
}

export type StockStatus = 'IN_STOCK' | 'LOW_STOCK' | 'OUT_OF_STOCK';
export interface StockLevelAnswer {
  locationId: string | null;
  available: number;
  status: StockStatus;
}

export interface Offer {
  sku: string;
  product: {
    sku: string;
    name: string;
    category: string;
    attributes: Record<string, string>;
    vatRate: number;
  };
  price: {
    base: number;
    final: number;
    savings: number;
    currency: string;
    adjustments: Quote['lines'][number]['adjustments'];
  };
  availability: {
    online: StockLevelAnswer;
    atLocation: StockLevelAnswer | null;
    locations: StockLevelAnswer[];
  };
  revision: number;
  fingerprint: string;
  /** The locations of the snapshot the offer was computed from (names for the availability lines). */
  locationDetails: ReadonlyArray<{ id: string; name: string; kind: string; fulfilsOnline: boolean }>;
}

/** Units at or below which a location shows LOW_STOCK. */
export const LOW_STOCK_UNITS = 3;
const status = (available: number): StockStatus =>
  available <= 0 ? 'OUT_OF_STOCK' : available <= LOW_STOCK_UNITS ? 'LOW_STOCK' : 'IN_STOCK';

const OfferInputSchema = z.strictObject({
  skus: z.array(z.string().min(1).max(64)).max(1000),
  customerId: UuidSchema.nullish(),
  locationId: z.string().min(1).max(64).nullish(),
  minRevision: z.number().int().min(0).optional(),
});

/**
 * One SKU for one customer now: the price of one unit through the whole pipeline, and what may be promised online
 * (the sum over locations that fulfil online orders), at one location and at each location. Same revision ⇒ same
 * fingerprint in every channel.
 */
export async function offer(
  deps: JourneyDeps,
  input: { sku: string; customerId?: string | null; locationId?: string | null; minRevision?: number },
  opts: { readModel?: ReadModel } = {},
): Promise<Offer> {
  const { sku, ...rest } = input;
  return (await offers(deps, { ...rest, skus: [sku] }, opts))[0]!;
}

/**
 * One SKU's offer; `online` holds the locations that fulfil online orders, `locationId` is a known location, `budgets`
 * what is left of each budgeted promotion (worked out once per request).
 */
function offerFrom(
  input: { sku: string; locationId?: string | null },
  inputs: { snapshot: Snapshot; pricing: PricingContext },
  online: ReadonlySet<string>,
  asOf: Date,
  budgets: ReadonlyMap<string, number>,
): Offer {
  const { snapshot } = inputs;
  const { priced: q } = priceLines([{ sku: input.sku, quantity: 1 }], inputs, asOf, budgets);
  const view = snapshot.skus.get(input.sku)!;
  const levels = view.stock.map((l) => ({
    locationId: l.locationId,
    available: Math.max(0, l.onHand - l.reserved - l.safetyStock),
  }));
  const onlineUnits = levels.filter((l) => online.has(l.locationId)).reduce((s, l) => s + l.available, 0);
  const at = input.locationId
    ? (levels.find((l) => l.locationId === input.locationId)?.available ?? 0)
    : null;
  const line = q.lines[0]!;
  const p = view.product;
  const content = {
    sku: input.sku,
    product: {
      sku: p.sku,
      name: p.name,
      category: p.category,
      attributes: p.attributes,
      vatRate: p.vatRateBp / 100,
    },
    price: {
      base: line.base,
      final: line.final,
      savings: line.savings,
      currency: q.currency,
      adjustments: line.adjustments,
    },
    availability: {
      online: { locationId: null, available: onlineUnits, status: status(onlineUnits) },
      atLocation: at === null ? null : { locationId: input.locationId!, available: at, status: status(at) },
      locations: snapshot.locations.map((l) => {
        const a = levels.find((x) => x.locationId === l.id)?.available ?? 0;
        return { locationId: l.id, available: a, status: status(a) };
      }),
    },
  };
  const revision = snapshot.revision;
  return {
    ...content,
    revision,
    fingerprint: fingerprint({ content, revision }),
    locationDetails: snapshot.locations,
  };
}

/**
 * Many offers in one go: one snapshot of all SKUs and one load of the customer and the offers in force, shared by
 * every SKU — a constant number of backend reads however many SKUs are asked.
 */
export async function offers(
  deps: JourneyDeps,
  input: {
    skus: readonly string[];
    customerId?: string | null;
    locationId?: string | null;
    minRevision?: number;
  },
  opts: { readModel?: ReadModel } = {},
): Promise<Offer[]> {
  parseInput(OfferInputSchema, { ...input, skus: [...input.skus] }, 'query');
  const unique = [...new Set(input.skus)];
  const inputs = await consistentInputs(
    deps,
    unique,
    input.minRevision,
    opts.readModel,
    input.customerId ?? null,
    [],
    deps.clock.now(),
    false,
  );
  const { at } = inputs;
  const { locations } = inputs.snapshot;
  if (input.locationId && !locations.some((l) => l.id === input.locationId))
    throw new DomainError('NOT_FOUND', `No location ${input.locationId}`, { locationId: input.locationId });
  const online = new Set(locations.filter((l) => l.fulfilsOnline).map((l) => l.id));
  const budgets = budgetsOf(inputs.pricing.rules);
  return input.skus.map((sku) =>
    offerFrom({ sku, locationId: input.locationId }, inputs, online, at, budgets),
  );
}
