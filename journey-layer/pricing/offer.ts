import { z } from 'zod';
import {
  availableOf,
  FulfilmentInputSchema,
  stockStatus,
  type ReadModel,
  type StockStatus,
} from '../../backoffice-layer/index.js';
import { DomainError, parseInput, UuidSchema } from '../../shared/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import type { Adjustment } from '../promotions/engine.js';
import { consistentInputs, type PricingInputs } from './consistent-inputs.js';
import {
  offerDelivery,
  PromiseContext,
  type DeliveryPromiseAnswer,
  type OfferPromiseRequest,
} from './delivery.js';
import { fingerprint } from './fingerprint.js';
import { priceLines } from './price-lines.js';
import { QuoteInputSchema } from './quote.js';
import { budgetsOf } from './pricing-context.js';

/**
 * Units that may be promised at one location (null: online, the sum over the locations that fulfil online).
 */
export interface StockLevelAnswer {
  locationId: string | null;
  available: number;
  status: StockStatus;
}

/** One SKU for one customer now: its product, the price of one unit, and what may be promised where. */
export interface Offer {
  sku: string;
  product: {
    sku: string;
    name: string;
    category: string;
    attributes: Record<string, string>;
    /** VAT rate in percent (21 = 21 %). */
    vatRate: number;
  };
  /** Amounts in minor units of `currency`. */
  price: {
    base: number;
    final: number;
    savings: number;
    currency: string;
    adjustments: Adjustment[];
  };
  availability: {
    online: StockLevelAnswer;
    atLocation: StockLevelAnswer | null;
    locations: StockLevelAnswer[];
  };
  /**
   * What is promised for one unit (see offerDelivery): a DELIVERY promise when a country (and postcode) is
   * given, PICKUP promises at the named store or at stores holding the unit.
   */
  delivery: DeliveryPromiseAnswer[];
  revision: number;
  fingerprint: string;
  /** The locations of the snapshot the offer was computed from (names for the availability lines). */
  locationDetails: ReadonlyArray<{ id: string; name: string; kind: string; fulfilsOnline: boolean }>;
}

const OfferInputSchema = z
  .strictObject({
    skus: z.array(z.string().min(1).max(64)).max(1000),
    customerId: UuidSchema.nullish(),
    locationId: z.string().min(1).max(64).nullish(),
    minRevision: z.number().int().min(0).optional(),
    currency: QuoteInputSchema.shape.currency,
    // As a fulfilment request spells them: a postcode of letters, digits, spaces and hyphens; ISO 3166-1.
    postcode: FulfilmentInputSchema.shape.postcode,
    countryCode: FulfilmentInputSchema.shape.countryCode,
  })
  .refine((i) => !i.postcode || i.countryCode, {
    message: 'a postcode needs its country (countryCode)',
    path: ['countryCode'],
  });

/** Where the offer is to be delivered or collected (see offerDelivery); absent or null: not asked. */
interface OfferDestination {
  /** The customer's postcode; needs `countryCode`. */
  postcode?: string | null;
  /** ISO 3166-1 alpha-2: with it (and without a postcode, a zone serving the whole country) DELIVERY. */
  countryCode?: string | null;
}

/**
 * One SKU for one customer now: the price of one unit through the whole pipeline, what may be promised
 * online (the sum over locations that fulfil online orders), at one location and at each location, and the
 * delivery promise for one unit (to `postcode`/`countryCode`, and pickup: see offerDelivery). Same revision
 * ⇒ same fingerprint in every channel.
 * @throws as `offers`.
 */
export async function offer(
  deps: JourneyDeps,
  input: {
    sku: string;
    customerId?: string | null;
    locationId?: string | null;
    minRevision?: number;
    /** The request's market (ISO 4217); absent or null: the hub's default. */
    currency?: string | null;
  } & OfferDestination,
  opts: { readModel?: ReadModel } = {},
): Promise<Offer> {
  const { sku, ...rest } = input;
  return (await offers(deps, { ...rest, skus: [sku] }, opts))[0]!;
}

/**
 * Many offers in one go: one snapshot of all SKUs and one load of the customer and the offers in force,
 * shared by every SKU — a constant number of backend reads however many SKUs are asked.
 * @throws BAD_USER_INPUT for invalid input (a postcode without its country among it) or a `minRevision`
 * ahead of the hub; NOT_FOUND for an unknown customer or location, or a SKU without a sellable product or
 * price.
 */
export async function offers(
  deps: JourneyDeps,
  input: {
    skus: readonly string[];
    customerId?: string | null;
    locationId?: string | null;
    minRevision?: number;
    /** The request's market (ISO 4217); absent or null: the hub's default. */
    currency?: string | null;
  } & OfferDestination,
  opts: { readModel?: ReadModel } = {},
): Promise<Offer[]> {
  parseInput(OfferInputSchema, { ...input, skus: [...input.skus] }, 'query');
  const inputs = await consistentInputs(deps, {
    skus: [...new Set(input.skus)],
    minRevision: input.minRevision,
    readModel: opts.readModel,
    customerId: input.customerId ?? null,
    couponCodes: [],
    now: deps.clock.now(),
    tierPreview: false,
    currency: input.currency,
  });
  const { locations } = inputs.snapshot;
  if (input.locationId && !locations.some((l) => l.id === input.locationId))
    throw new DomainError('NOT_FOUND', `No location ${input.locationId}`, { locationId: input.locationId });
  const context: OffersContext = {
    inputs,
    online: new Set(locations.filter((l) => l.fulfilsOnline).map((l) => l.id)),
    locationId: input.locationId ?? null,
    budgets: budgetsOf(inputs.pricing.rules),
    promise: PromiseContext.of(inputs.snapshot, inputs.at),
    destination: {
      postcode: input.postcode ?? null,
      countryCode: input.countryCode ?? null,
      locationId: input.locationId ?? null,
    },
  };
  return input.skus.map((sku) => offerFrom(sku, context));
}

/** What every SKU of an offers request shares, worked out once per request. */
interface OffersContext {
  inputs: PricingInputs;
  /** The locations that fulfil online orders. */
  online: ReadonlySet<string>;
  /** A known location, or null. */
  locationId: string | null;
  /** What is left of each budgeted promotion (rule id → minor units). */
  budgets: ReadonlyMap<string, number>;
  /** The snapshot's promise inputs at the answer's instant (null: it carries no fulfilment section). */
  promise: PromiseContext | null;
  destination: OfferPromiseRequest;
}

/** One SKU's offer. */
function offerFrom(sku: string, context: OffersContext): Offer {
  const { inputs, online, locationId, budgets, promise, destination } = context;
  const { snapshot } = inputs;
  const { priced: q } = priceLines([{ sku, quantity: 1 }], inputs, budgets);
  const view = snapshot.skus.get(sku)!;
  const levels = view.stock.map((l) => ({ locationId: l.locationId, available: availableOf(l) }));
  const availableAt = (id: string) => levels.find((l) => l.locationId === id)?.available ?? 0;
  const onlineUnits = levels.filter((l) => online.has(l.locationId)).reduce((s, l) => s + l.available, 0);
  const line = q.lines[0]!;
  const p = view.product;
  const content = {
    sku,
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
      online: stockLevelAnswer(null, onlineUnits),
      atLocation: locationId === null ? null : stockLevelAnswer(locationId, availableAt(locationId)),
      locations: snapshot.locations.map((l) => stockLevelAnswer(l.id, availableAt(l.id))),
    },
    delivery: offerDelivery(sku, promise, destination),
  };
  const revision = snapshot.revision;
  return {
    ...content,
    revision,
    // The promise enters the fingerprint as its own digest, worked out once per remembered promise.
    fingerprint: fingerprint({
      content: { ...content, delivery: promiseDigest(content.delivery) },
      revision,
    }),
    locationDetails: snapshot.locations,
  };
}

const digests = new WeakMap<readonly DeliveryPromiseAnswer[], string>();

/**
 * The fingerprint of an offer's promise (SHA-256 of its canonical JSON), kept with the promise: offers share
 * the promise objects offerDelivery remembers, so an offer hashes a digest instead of the whole promise.
 */
function promiseDigest(delivery: readonly DeliveryPromiseAnswer[]): string {
  let digest = digests.get(delivery);
  if (digest === undefined) {
    digest = fingerprint(delivery);
    digests.set(delivery, digest);
  }
  return digest;
}

/** Available units at a location (null: online) with their status. */
function stockLevelAnswer(locationId: string | null, available: number): StockLevelAnswer {
  return { locationId, available, status: stockStatus(available) };
}
