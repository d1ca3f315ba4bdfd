import {
  availableOf,
  fulfilmentOf,
  promiseCart,
  promisePickup,
  SCHEDULE_SECTION,
  zoneFor,
  type CartPromiseLocation,
  type CartPromiseRequest,
  type DeliveryPromise,
  type FulfilmentInput,
  type FulfilmentSectionValue,
  type ScheduleState,
  type Snapshot,
} from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';

/**
 * The delivery promise in an answer (issue 12, API.md "Orders, fulfilment, delivery promise"): what an
 * `offer` or a `quote` promises, computed from the answer's own snapshot — its stock, the fulfilment section
 * (location settings, shipping zones, sourcing rules) and the instant its revision determines — with the
 * pure `promiseCart` placement uses. So the promise is part of the answer's fingerprint, equal in every
 * channel at one revision, and it switches when the scheduler commits the switch at a cut-off (the promise's
 * edges are switch instants: see journeyScheduleSources).
 */

/** The most PICKUP promises an offer lists when it names no store (see offerDelivery). */
export const MAX_PICKUP_PROMISES = 3;

/**
 * A delivery promise as an answer carries it: `from` the whole location (as the snapshot has it), instants as
 * ISO 8601 UTC strings; otherwise DeliveryPromise (`orderBefore`: until when it holds; `deliverBy` for
 * DELIVERY, the end of the delivery day; `readyBy` for PICKUP; `reason` in words).
 */
export interface DeliveryPromiseAnswer {
  method: 'DELIVERY' | 'PICKUP';
  from: { id: string; name: string; kind: 'WAREHOUSE' | 'STORE'; fulfilsOnline: boolean };
  orderBefore: string;
  deliverBy: string | null;
  readyBy: string | null;
  reason: string;
}

/** Where an offer is to be promised: the customer's postcode and country, and the store the channel names. */
export interface OfferPromiseRequest {
  postcode: string | null;
  countryCode: string | null;
  locationId: string | null;
}

/** At most this many offer promises are remembered per fulfilment section and schedule interval. */
const MAX_REMEMBERED = 10_000;

/**
 * Offer promises remembered per fulfilment section (the read model's object, replaced whenever a location,
 * zone or the sourcing rules change) and schedule interval (see PromiseContext.remembered).
 */
const remembered = new WeakMap<
  FulfilmentSectionValue,
  { interval: string; answers: Map<string, DeliveryPromiseAnswer[]> }
>();

/**
 * What every SKU of one answer shares for its promise: the instant, the fulfilment section and the locations
 * of the snapshot; pickup promises from a store's own stock are worked out once per answer (they do not
 * depend on the SKU).
 */
export class PromiseContext {
  private readonly pickups = new Map<string, DeliveryPromise | null>();
  private stores: string[] | null = null;
  private detailsById: Map<string, DeliveryPromiseAnswer['from']> | null = null;
  private readonly answers: Map<string, DeliveryPromiseAnswer[]> | null;
  /** The zone key of the last request asked (offers ask one request for every SKU). */
  private zoneKey: { country: string | null; postcode: string | null; key: string } | null = null;

  private constructor(
    private readonly snapshot: Snapshot,
    private readonly section: FulfilmentSectionValue,
    private readonly at: Date,
  ) {
    this.answers = rememberedFor(section, snapshot.globals);
  }

  /** The snapshot's locations by id, as a promise's `from`. */
  private get details(): Map<string, DeliveryPromiseAnswer['from']> {
    this.detailsById ??= new Map(
      this.snapshot.locations.map((l) => [
        l.id,
        { id: l.id, name: l.name, kind: l.kind, fulfilsOnline: l.fulfilsOnline },
      ]),
    );
    return this.detailsById;
  }

  /**
   * The offer promise under `key` (the request and the stock it depends on), computed once per fulfilment
   * section and schedule interval. Sound because a promise is a function of the settings, the zone, the
   * locations holding the unit and the instant, and the instant's promise is the same all through the
   * snapshot's schedule interval [switchedAt, nextAt): the promise's edges are switch instants (the switch
   * schedule's sources include nextPromiseBoundary), and the answer is evaluated inside that interval
   * (effectiveInstant). The promise functions cost hundreds of microseconds each (luxon); this keeps them
   * off the hot path of `offer`. Without a schedule state (no worker has started it) nothing is remembered.
   */
  remembered(key: string, compute: () => DeliveryPromiseAnswer[]): DeliveryPromiseAnswer[] {
    if (!this.answers) return compute();
    let answer = this.answers.get(key);
    if (!answer) {
      if (this.answers.size >= MAX_REMEMBERED) this.answers.clear();
      answer = compute();
      this.answers.set(key, answer);
    }
    return answer;
  }

  /**
   * What the promise of one unit of `sku` depends on besides the section and the instant: the zone of the
   * request (not its postcode: every postcode of a zone is promised alike), the named location, and which
   * locations hold at least one unit.
   */
  offerKey(sku: string, request: OfferPromiseRequest): string {
    const { countryCode: country, postcode } = request;
    const last = this.zoneKey;
    if (last?.country !== country || last.postcode !== postcode) {
      const key = country === null ? '' : (zoneFor(this.section.zones, country, postcode ?? '')?.id ?? '-');
      this.zoneKey = { country, postcode, key };
    }
    return `${this.zoneKey!.key}|${request.locationId ?? ''}|${[...this.holding(sku)].sort().join(',')}`;
  }

  /** The context of a snapshot evaluated at `at`; null when the snapshot carries no fulfilment section. */
  static of(snapshot: Snapshot, at: Date): PromiseContext | null {
    const section = fulfilmentOf(snapshot.globals);
    return section ? new PromiseContext(snapshot, section, at) : null;
  }

  /**
   * The locations as promiseCart reads them, with what each can give now of `skus` (the snapshot's stock,
   * `availableOf`).
   */
  locations(skus: readonly string[]): CartPromiseLocation[] {
    const available = new Map<string, Map<string, number>>();
    for (const sku of skus)
      for (const level of this.snapshot.skus.get(sku)?.stock ?? []) {
        const at = available.get(level.locationId) ?? new Map<string, number>();
        at.set(sku, availableOf(level));
        available.set(level.locationId, at);
      }
    return this.snapshot.locations.map((l) => ({
      id: l.id,
      name: l.name,
      kind: l.kind,
      fulfilsOnline: l.fulfilsOnline,
      settings: this.section.settings[l.id] ?? null,
      available: available.get(l.id) ?? new Map<string, number>(),
    }));
  }

  /**
   * promiseCart at this answer's instant, with the section's zones and rules; null when it cannot be kept
   * (`INSUFFICIENT_STOCK`). Other refusals (BAD_USER_INPUT: no zone serves the postcode, no such pickup
   * store) are thrown.
   */
  cart(lines: ReadonlyArray<{ sku: string; quantity: number }>, request: CartPromiseRequest) {
    try {
      return promiseCart({
        now: this.at,
        lines,
        request,
        locations: this.locations(lines.map((l) => l.sku)),
        zones: this.section.zones,
        rules: this.section.rules,
      }).promises;
    } catch (e) {
      if (e instanceof DomainError && e.code === 'INSUFFICIENT_STOCK') return null;
      throw e;
    }
  }

  /** The pickup promise at store `id` from its own stock (memoised per answer), null when it offers none. */
  pickupAt(id: string): DeliveryPromise | null {
    if (!this.pickups.has(id)) {
      const settings = this.section.settings[id];
      const location = this.details.get(id);
      const promise =
        settings && location?.kind === 'STORE'
          ? promisePickup({ now: this.at, at: { id, name: location.name, settings } })
          : null;
      this.pickups.set(id, promise);
    }
    return this.pickups.get(id)!;
  }

  /** The locations that can give at least one unit of `sku` now (the snapshot's stock). */
  holding(sku: string): Set<string> {
    const levels = this.snapshot.skus.get(sku)?.stock ?? [];
    return new Set(levels.filter((l) => availableOf(l) >= 1).map((l) => l.locationId));
  }

  /** The stores that offer click & collect, in id order. */
  pickupStores(): readonly string[] {
    this.stores ??= this.snapshot.locations
      .filter((l) => l.kind === 'STORE' && this.section.settings[l.id]?.pickup)
      .map((l) => l.id);
    return this.stores;
  }

  /** A promise as an answer carries it (see DeliveryPromiseAnswer). */
  answer(p: DeliveryPromise): DeliveryPromiseAnswer {
    return {
      method: p.method,
      from: this.details.get(p.from.id) ?? {
        id: p.from.id,
        name: p.from.name,
        kind: 'STORE',
        fulfilsOnline: false,
      },
      orderBefore: p.orderBefore.toISOString(),
      deliverBy: p.deliverBy?.toISOString() ?? null,
      readyBy: p.readyBy?.toISOString() ?? null,
      reason: p.reason,
    };
  }
}

/**
 * What an offer of one unit of `sku` promises, DELIVERY first, then PICKUP by ready time (then store id):
 * - DELIVERY, when `countryCode` is given: from the location the hub would ship one unit from (promiseCart:
 *   the retailer's sourcing rules over the locations with fulfilment settings and the snapshot's stock — the
 *   last unit at the warehouse gone, it moves to a store that ships from store, or none), to the zone of
 *   `postcode` (none given: a zone serving the whole country). No promise when no zone serves the postcode
 *   or no location can ship the unit.
 * - PICKUP at the store `locationId` names (a store terminal, or a shopper's chosen store): from its own
 *   stock, else by transfer from a warehouse (later), else none; a location that offers no click & collect
 *   gets none.
 * - PICKUP without `locationId`: at the stores offering click & collect that hold the unit themselves, the
 *   soonest ready first, at most MAX_PICKUP_PROMISES (a store that would need a transfer is promised when it
 *   is named).
 * Empty when the snapshot carries no fulfilment configuration.
 */
export function offerDelivery(
  sku: string,
  context: PromiseContext | null,
  request: OfferPromiseRequest,
): DeliveryPromiseAnswer[] {
  if (!context) return [];
  return context.remembered(context.offerKey(sku, request), () => offerPromises(sku, context, request));
}

/** offerDelivery, computed. */
function offerPromises(
  sku: string,
  context: PromiseContext,
  request: OfferPromiseRequest,
): DeliveryPromiseAnswer[] {
  const out: DeliveryPromise[] = [];
  if (request.countryCode !== null) {
    const delivery = unlessRefused(() =>
      context.cart([{ sku, quantity: 1 }], {
        method: 'DELIVERY',
        postcode: request.postcode,
        countryCode: request.countryCode,
      }),
    );
    if (delivery?.[0]) out.push(delivery[0]);
  }
  const pickups: DeliveryPromise[] = [];
  if (request.locationId !== null) {
    const named = context.pickupStores().includes(request.locationId)
      ? context.cart([{ sku, quantity: 1 }], { method: 'PICKUP', pickupLocationId: request.locationId })
      : null;
    if (named?.[0]) pickups.push(named[0]);
  } else {
    const holding = context.holding(sku);
    for (const id of context.pickupStores()) {
      const p = holding.has(id) ? context.pickupAt(id) : null;
      if (p) pickups.push(p);
    }
    pickups.sort((a, b) => a.readyBy!.getTime() - b.readyBy!.getTime() || (a.from.id < b.from.id ? -1 : 1));
    pickups.splice(MAX_PICKUP_PROMISES);
  }
  return [...out, ...pickups].map((p) => context.answer(p));
}

/** Where offers of a section at the snapshot's schedule interval are remembered (null: no interval known). */
function rememberedFor(
  section: FulfilmentSectionValue,
  globals: ReadonlyMap<string, unknown>,
): Map<string, DeliveryPromiseAnswer[]> | null {
  const state = globals.get(SCHEDULE_SECTION) as ScheduleState | undefined;
  if (!state?.switchedAt) return null;
  const interval = `${state.switchedAt}/${state.nextAt ?? ''}`;
  let entry = remembered.get(section);
  if (entry?.interval !== interval) {
    entry = { interval, answers: new Map() };
    remembered.set(section, entry);
  }
  return entry.answers;
}

/** `fn`'s promises, or null when the hub cannot promise this request (BAD_USER_INPUT: no zone serves it). */
function unlessRefused(fn: () => DeliveryPromise[] | null): DeliveryPromise[] | null {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DomainError && e.code === 'BAD_USER_INPUT') return null;
    throw e;
  }
}

/**
 * What a cart is promised for `fulfilment` (promiseCart over the snapshot): DELIVERY — one promise per
 * shipment; PICKUP — one promise at the pickup store, ready when its last part is. Empty without
 * `fulfilment`, when the snapshot carries no fulfilment configuration, or when the stock cannot serve the
 * cart (the quote still prices it; placing the order is refused then).
 * @throws DomainError BAD_USER_INPUT as promiseCart: a DELIVERY without `countryCode` or to a postcode no
 *   zone serves, a PICKUP without `pickupLocationId` or at a location offering no click & collect.
 */
export function cartDelivery(
  lines: ReadonlyArray<{ sku: string; quantity: number }>,
  fulfilment: FulfilmentInput | null | undefined,
  context: PromiseContext | null,
): DeliveryPromiseAnswer[] {
  if (!fulfilment || !context) return [];
  const promises = context.cart(lines, fulfilment);
  return (promises ?? []).map((p) => context.answer(p));
}
