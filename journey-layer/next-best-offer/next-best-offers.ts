import { z } from 'zod';
import { saleableProducts, type ReadModel } from '../../backoffice-layer/index.js';
import {
  currencyExponent,
  DomainError,
  formatMoney,
  parseInput,
  UuidSchema,
  type Money,
} from '../../shared/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import { describeBenefits, nextTier } from '../loyalty/program.js';
import { consistentInputs, type PricingInputs } from '../pricing/consistent-inputs.js';
import { fingerprint } from '../pricing/fingerprint.js';
import { offers, type Offer } from '../pricing/offer.js';
import { QuoteInputSchema } from '../pricing/quote.js';
import { CONDITION_BY_KIND } from '../promotions/registry.js';
import type { PromotionRule } from '../promotions/rule.schema.js';
import type { CartLine } from '../promotions/types.js';

/*
 * Next best offers: what to offer one customer now, at one store or online — the promotions and personal
 * offers she qualifies for, each on the item in stock where it saves her most, her points to redeem and her
 * progress to the next tier. Reads only (no data-use row: the channel layer records staff reads of her
 * profile); deterministic: the answer takes no channel, and equal revisions give equal answers.
 */

export type NextBestOfferKind = 'PROMOTION' | 'PERSONAL_OFFER' | 'REDEEM_POINTS' | 'TIER_PROGRESS';

/** One suggestion; `saving` in minor units (null: no money, e.g. tier progress); `sku` for promotions. */
export interface NextBestOfferView {
  kind: NextBestOfferKind;
  id: string;
  label: string;
  reason: string;
  saving: Money | null;
  sku: string | null;
  revision: number;
  /** SHA-256 of the item's content and revision. */
  fingerprint: string;
}

/** How many SKUs of one promotion are priced, at most, in SKU order: the work an answer takes is bounded. */
export const CANDIDATES_PER_PROMOTION = 50;
/** How many SKUs one answer prices at most (over all promotions). */
export const MAX_CANDIDATES = 1000;
/**
 * How points are shown as money in a REDEEM_POINTS suggestion: in steps of `stepPoints` points (at least one
 * step), each worth one whole unit of the programme's currency (100 points = €1.00). The programme itself
 * gives points no value (redeemPoints spends them); this is the value the suggestion names.
 */
export const POINTS_REDEMPTION = { stepPoints: 100 } as const;

const KIND_ORDER: readonly NextBestOfferKind[] = [
  'PROMOTION',
  'PERSONAL_OFFER',
  'REDEEM_POINTS',
  'TIER_PROGRESS',
];

const RequestSchema = z.strictObject({
  customerId: UuidSchema,
  locationId: z.string().min(1).max(64).nullable(),
  first: z.int().min(1).max(20),
  currency: QuoteInputSchema.shape.currency,
  minRevision: z.int().min(0).optional(),
});

/** What is asked: whose offers, at which store (null: online), how many, in which market, how fresh. */
export interface NextBestOffersRequest {
  customerId: string;
  locationId: string | null;
  /** 1–20. */
  first: number;
  readModel?: ReadModel;
  /** The market's currency (ISO 4217); absent or null: the hub's default. */
  currency?: string | null;
  minRevision?: number;
}

/**
 * Up to `first` suggestions for one customer at `locationId` (null: online), ranked by saving — items with
 * money first, largest first; ties (and items without money) by kind (PROMOTION, PERSONAL_OFFER,
 * REDEEM_POINTS, TIER_PROGRESS), then id:
 * - PROMOTION / PERSONAL_OFFER (a promotion with a `target`; only with her PERSONALISATION consent): each
 *   automatic promotion (no coupon) that gives her money off one unit of a product in stock at the location
 *   (or available online), on the SKU where it saves her most (ties: the first SKU); the saving is that
 *   promotion's adjustment in the SKU's `offer` for her, as every channel shows it. At most
 *   CANDIDATES_PER_PROMOTION products on sale (in SKU order, matching its line conditions) are priced per
 *   promotion, MAX_CANDIDATES in all; a promotion that needs more than one unit (a cart threshold, 3 for 2)
 *   or gives only points is not suggested.
 * - REDEEM_POINTS: when her balance holds at least one redemption step (POINTS_REDEMPTION), its value.
 * - TIER_PROGRESS: the points she still needs in the rolling window to reach the next tier.
 * The answer's revision covers everything it read; items and answer carry a fingerprint of their content and
 * revision, equal in every channel at equal revision.
 * @throws BAD_USER_INPUT for invalid input or a `minRevision` ahead of the hub; NOT_FOUND for an unknown
 * customer or location.
 */
export async function nextBestOffers(
  deps: JourneyDeps,
  request: NextBestOffersRequest,
): Promise<{ items: NextBestOfferView[]; revision: number; fingerprint: string }> {
  const input = parseInput(
    RequestSchema,
    {
      customerId: request.customerId,
      locationId: request.locationId,
      first: request.first,
      currency: request.currency,
      minRevision: request.minRevision,
    },
    'input',
  );
  const { readModel } = request;
  let minRevision = input.minRevision;
  for (let attempt = 0; ; attempt++) {
    const inputs = await consistentInputs(deps, {
      skus: [],
      minRevision,
      readModel,
      customerId: input.customerId,
      couponCodes: [],
      now: deps.clock.now(),
      tierPreview: true,
      currency: input.currency,
    });
    const location = input.locationId
      ? inputs.snapshot.locations.find((l) => l.id === input.locationId)
      : null;
    if (location === undefined)
      throw new DomainError('NOT_FOUND', `No location ${input.locationId}`, { locationId: input.locationId });
    const promotions = offeredPromotions(inputs);
    const candidates = await candidateSkus(deps, promotions, inputs.pricing.currency);
    const priced = await pricedOffers(deps, [...new Set([...candidates.values()].flat())], {
      customerId: input.customerId,
      locationId: input.locationId,
      currency: input.currency,
      minRevision: inputs.snapshot.revision,
      readModel,
    });
    const revision = Math.max(inputs.snapshot.revision, ...priced.map((o) => o.revision));
    // The offers were read at a later revision than the customer and the promotions: read both again.
    if (revision > inputs.snapshot.revision && attempt < 3) {
      minRevision = revision;
      continue;
    }
    const balance = await deps.db
      .selectFrom('loyaltyAccounts')
      .select('balance')
      .where('customerId', '=', inputs.pricing.facts!.id)
      .executeTakeFirst();
    const items = [
      ...promotionItems(inputs, promotions, candidates, priced, location?.name ?? null),
      ...loyaltyItems(inputs, balance?.balance ?? 0),
    ]
      .sort(byRank)
      .slice(0, input.first)
      .map((item) => ({ ...item, revision, fingerprint: fingerprint({ content: item, revision }) }));
    return { items, revision, fingerprint: fingerprint({ items, revision }) };
  }
}

type Item = Omit<NextBestOfferView, 'revision' | 'fingerprint'>;

function byRank(a: Item, b: Item): number {
  if (a.saving && b.saving && a.saving.amount !== b.saving.amount) return b.saving.amount - a.saving.amount;
  if (!!a.saving !== !!b.saving) return a.saving ? -1 : 1;
  const k = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  return k !== 0 ? k : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The promotions that may be suggested to her: automatic ones (no coupon) with money off, personal ones only
 * with her PERSONALISATION consent and when they target her or a segment she is in.
 */
function offeredPromotions(inputs: PricingInputs): PromotionRule[] {
  const facts = inputs.pricing.facts!;
  return inputs.pricing.rules
    .filter((r) => !r.couponRequired && (r.action as { kind: string }).kind !== 'extraPoints')
    .filter(
      (r) =>
        !r.target ||
        (facts.consents.PERSONALISATION &&
          (r.target.customerIds.includes(facts.id) ||
            facts.segments.some((s) => r.target!.segments.includes(s)))),
    );
}

/** Each promotion's candidate SKUs: products on sale matching its line conditions, in SKU order, capped. */
async function candidateSkus(
  deps: JourneyDeps,
  promotions: readonly PromotionRule[],
  currency: string,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let total = 0;
  for (const rule of [...promotions].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const conds = rule.conditions as Array<{ kind: string; skus?: string[]; categories?: string[] }>;
    const lineConds = conds.filter((c) => CONDITION_BY_KIND.get(c.kind)?.scope === 'line');
    const skus = lineConds.find((c) => c.kind === 'sku')?.skus;
    const categories = lineConds.find((c) => c.kind === 'category')?.categories;
    const products = await saleableProducts(deps.db, {
      currency,
      limit: CANDIDATES_PER_PROMOTION * 4,
      ...(skus ? { skus } : {}),
      ...(categories ? { categories } : {}),
    });
    const ctx = { at: new Date(0), currency, customer: null, lines: [], subtotal: 0 };
    const matching = products
      .filter((p) => {
        const line: CartLine = { lineId: p.sku, quantity: 1, unitAmount: 0, vatRateBp: 0, ...p };
        return lineConds.every((c) => CONDITION_BY_KIND.get(c.kind)!.test(c, ctx, line, []));
      })
      .map((p) => p.sku)
      .slice(0, Math.min(CANDIDATES_PER_PROMOTION, MAX_CANDIDATES - total));
    total += matching.length;
    out.set(rule.id, matching);
  }
  return out;
}

/**
 * The offers of these SKUs for her (see `offers`); a SKU that cannot be priced now (no price in the market
 * at this instant) is left out.
 */
async function pricedOffers(
  deps: JourneyDeps,
  skus: readonly string[],
  request: {
    customerId: string;
    locationId: string | null;
    currency: string | null | undefined;
    minRevision: number;
    readModel: ReadModel | undefined;
  },
): Promise<Offer[]> {
  let asked = [...skus].sort();
  while (asked.length > 0) {
    try {
      return await offers(
        deps,
        {
          skus: asked,
          customerId: request.customerId,
          locationId: request.locationId,
          currency: request.currency,
          minRevision: request.minRevision,
        },
        request.readModel ? { readModel: request.readModel } : {},
      );
    } catch (e) {
      const sku = e instanceof DomainError && e.code === 'NOT_FOUND' ? e.details?.sku : undefined;
      if (typeof sku !== 'string' || !asked.includes(sku)) throw e;
      asked = asked.filter((s) => s !== sku);
    }
  }
  return [];
}

const money = (m: Money) => formatMoney(m, 'en-GB');

/** For each promotion, its best SKU in stock and what it saves her there. */
function promotionItems(
  inputs: PricingInputs,
  promotions: readonly PromotionRule[],
  candidates: ReadonlyMap<string, string[]>,
  priced: readonly Offer[],
  locationName: string | null,
): Item[] {
  const facts = inputs.pricing.facts!;
  const bySku = new Map(priced.map((o) => [o.sku, o]));
  const items: Item[] = [];
  for (const rule of promotions) {
    let best: { offer: Offer; saving: number; inStock: number } | null = null;
    for (const sku of candidates.get(rule.id) ?? []) {
      const o = bySku.get(sku);
      if (!o) continue;
      const inStock =
        locationName === null ? o.availability.online.available : o.availability.atLocation!.available;
      if (inStock <= 0) continue;
      const saving = o.price.adjustments.filter((a) => a.id === rule.id).reduce((s, a) => s + a.amount, 0);
      if (saving > 0 && (!best || saving > best.saving)) best = { offer: o, saving, inStock };
    }
    if (!best) continue;
    const segment = [...(rule.target?.segments ?? []), ...segmentConditions(rule)].find((s) =>
      facts.segments.includes(s),
    );
    const why = rule.target?.customerIds.includes(facts.id)
      ? 'A personal offer for you: '
      : segment
        ? `You are in the segment ${segment}: `
        : '';
    const saving = { amount: best.saving, currency: best.offer.price.currency };
    const where = locationName === null ? 'available online' : `in stock at ${locationName}`;
    items.push({
      kind: rule.target ? 'PERSONAL_OFFER' : 'PROMOTION',
      id: rule.id,
      label: rule.label,
      reason: `${why}${rule.label}, saves ${money(saving)} on ${best.offer.sku}, ${best.inStock} ${where}`,
      saving,
      sku: best.offer.sku,
    });
  }
  return items;
}

function segmentConditions(rule: PromotionRule): string[] {
  return (rule.conditions as Array<{ kind: string; segments?: string[] }>).flatMap((c) =>
    c.kind === 'segment' ? (c.segments ?? []) : [],
  );
}

/** Her points to redeem (when at least one step) and her progress to the next tier. */
function loyaltyItems(inputs: PricingInputs, balance: number): Item[] {
  const { program, tier, earnedInWindow } = inputs.pricing;
  const items: Item[] = [];
  const steps = Math.floor(balance / POINTS_REDEMPTION.stepPoints);
  if (steps > 0) {
    const points = steps * POINTS_REDEMPTION.stepPoints;
    const value = { amount: steps * 10 ** currencyExponent(program.currency), currency: program.currency };
    items.push({
      kind: 'REDEEM_POINTS',
      id: 'redeem-points',
      label: `Redeem ${points} points for ${money(value)}`,
      reason: `You have ${balance} points: ${points} of them are worth ${money(value)}`,
      // Money only in the answer's market; in another, the value is in words.
      saving: program.currency === inputs.pricing.currency ? value : null,
      sku: null,
    });
  }
  const next = tier ? nextTier(program, tier) : null;
  if (tier && next) {
    const missing = Math.max(0, next.threshold - earnedInWindow);
    const benefits = describeBenefits(next);
    items.push({
      kind: 'TIER_PROGRESS',
      id: `tier-${next.id.toLowerCase()}`,
      label: `${missing} points to ${next.name}`,
      reason:
        `You are ${tier.name} with ${earnedInWindow} points earned in the last ` +
        `${program.rollingWindowDays} days: ${missing} more reach ${next.name}` +
        (benefits.length ? ` (${benefits.join(', ')})` : ''),
      saving: null,
      sku: null,
    });
  }
  return items;
}
