import { DomainError } from '../../shared/index.js';
import type { Executor } from '../tables.js';
import { availableOf } from '../stock/levels.js';
import { promiseDelivery, promisePickup, zoneFor, type DeliveryPromise } from './delivery-promise.js';
import { getSourcingRules, listShippingZones } from './fulfilment-config.js';
import {
  FulfilmentSettingsSchema,
  type FulfilmentSettings,
  type ShippingZone,
} from './fulfilment-settings.schema.js';
import {
  sourceOrder,
  type OrderLineToSource,
  type SourcingAllocation,
  type SourcingCandidate,
  type SourcingDecision,
} from './sourcing.js';
import type { SourcingRules } from './sourcing.schema.js';

/**
 * How the customer wants a cart (API.md `FulfilmentInput`): `DELIVERY` to `postcode` in `countryCode` (ISO
 * 3166-1 alpha-2, any case), or `PICKUP` at the store `pickupLocationId`.
 */
export interface CartPromiseRequest {
  method: 'DELIVERY' | 'PICKUP';
  pickupLocationId?: string | null | undefined;
  postcode?: string | null | undefined;
  countryCode?: string | null | undefined;
}

/**
 * A location as the cart promise reads it: what sourcing needs, its fulfilment settings (null: none
 * declared) and `available`, SKU → units it can give now (on hand − reserved − safety stock).
 */
export interface CartPromiseLocation {
  id: string;
  name: string;
  kind: 'WAREHOUSE' | 'STORE';
  fulfilsOnline: boolean;
  settings: FulfilmentSettings | null;
  available: ReadonlyMap<string, number>;
}

/** Everything {@link promiseCart} decides from: the instant, the cart, the request and the hub's state. */
export interface CartPromiseInput {
  now: Date;
  lines: readonly OrderLineToSource[];
  request: CartPromiseRequest;
  locations: readonly CartPromiseLocation[];
  zones: readonly ShippingZone[];
  rules: SourcingRules;
}

/**
 * Where the cart comes from and what is promised for it. `decision`: sourceOrder's allocations and reasons
 * per line. `promises`: DELIVERY — one per allocation (shipment), in the allocations' order, `from` the
 * shipping location; PICKUP — exactly one, `from` the pickup store, ready when its latest part is (see
 * {@link promiseCart}).
 */
export interface CartPromise {
  decision: SourcingDecision;
  promises: DeliveryPromise[];
}

/** The message and details of a request the hub cannot promise (BAD_USER_INPUT). */
function unservable(message: string, details: Record<string, unknown>): DomainError {
  return new DomainError('BAD_USER_INPUT', message, details);
}

/** The shipping zone of a DELIVERY request (see promiseCart for the refusals). */
function zoneOf(request: CartPromiseRequest, zones: readonly ShippingZone[]): ShippingZone {
  const countryCode = request.countryCode?.trim() ?? '';
  if (countryCode === '')
    throw unservable('A delivery needs the country to deliver to (countryCode)', { field: 'countryCode' });
  const postcode = request.postcode ?? '';
  const zone = zoneFor(zones, countryCode, postcode);
  if (!zone)
    throw unservable(
      `No shipping zone serves ${postcode === '' ? '' : `postcode ${postcode} in `}` +
        countryCode.toUpperCase(),
      {
        field: postcode === '' ? 'countryCode' : 'postcode',
        countryCode,
        postcode: request.postcode ?? null,
      },
    );
  return zone;
}

type Promising = CartPromiseLocation & { settings: FulfilmentSettings };
/** Where a request is served: the shipping zone of a DELIVERY, or the pickup store of a PICKUP. */
type Target = { zone: ShippingZone; store: null } | { zone: null; store: Promising };

/** The location with its settings, or null when it declares none (it promises nothing). */
const promising = (l: CartPromiseLocation | undefined): Promising | null =>
  l?.settings ? { ...l, settings: l.settings } : null;

/** The pickup store of a PICKUP request, with its settings (see promiseCart for the refusals). */
function pickupStore(request: CartPromiseRequest, locations: readonly CartPromiseLocation[]): Promising {
  const id = request.pickupLocationId ?? null;
  if (id === null)
    throw unservable('Click & collect needs the store to collect at (pickupLocationId)', {
      field: 'pickupLocationId',
    });
  const store = locations.find((l) => l.id === id);
  const withSettings = promising(store);
  if (!store || store.kind !== 'STORE' || !withSettings?.settings.pickup)
    throw unservable(`${store ? store.name : `Location ${id}`} offers no click & collect`, {
      field: 'pickupLocationId',
      pickupLocationId: id,
    });
  return withSettings;
}

function targetOf(
  request: CartPromiseRequest,
  locations: readonly CartPromiseLocation[],
  zones: readonly ShippingZone[],
): Target {
  return request.method === 'DELIVERY'
    ? { zone: zoneOf(request, zones), store: null }
    : { zone: null, store: pickupStore(request, locations) };
}

/**
 * The promises of allocations (see promiseCart): each shipment's, or the one pickup's. A location without
 * settings promises nothing: its shipment gets no promise, and a pickup with a transfer from it none at all.
 */
function promisesFor(
  now: Date,
  allocations: readonly SourcingAllocation[],
  target: Target,
  locations: readonly CartPromiseLocation[],
): DeliveryPromise[] {
  const byId = new Map(locations.map((l) => [l.id, l]));
  const { zone, store } = target;
  if (zone)
    return allocations.flatMap((a) => {
      const from = promising(byId.get(a.locationId));
      return from ? [promiseDelivery({ now, from, zone })!] : [];
    });
  const parts: Array<{ transfer: boolean; promise: DeliveryPromise }> = [];
  for (const a of allocations) {
    const from = a.transfer ? promising(byId.get(a.locationId)) : null;
    if (a.transfer && !from) return [];
    const promise = promisePickup({ now, at: store, ...(from ? { transferFrom: from } : {}) })!;
    parts.push({ transfer: from !== null, promise });
  }
  return parts.length === 0 ? [] : [pickupPromise(parts)];
}

/**
 * The promise of a cart at instant `now`, pure (no clock, no database): the cart is sourced with
 * `sourceOrder` by `rules`, then each allocation is promised.
 * - Candidates are the locations with fulfilment settings: a location that declares none has no cut-off nor
 *   opening hours, so nothing could be promised from it and the hub does not source from it. A store ships
 *   only if its settings say `shipsFromStore`.
 * - DELIVERY: the zone is `zoneFor(zones, countryCode, postcode)` (no postcode: only a zone with the prefix
 *   `""`, the whole country, serves it); each allocation gets `promiseDelivery` from its location to that
 *   zone.
 * - PICKUP at `pickupLocationId`: the store's own units are promised with `promisePickup`, a transfer from a
 *   warehouse with `promisePickup({ transferFrom })`. The customer collects once, so the pickup is one
 *   promise: the part ready last gives it (readyBy, reason); its `orderBefore` is the earliest of the
 *   transfers' (the store's own part is never ready later than a transfer, so it never moves the promise).
 * The same input gives the same answer.
 *
 * @throws DomainError `BAD_USER_INPUT` — a DELIVERY without `countryCode` (details `field: 'countryCode'`)
 *   or to a postcode no shipping zone serves (`field: 'postcode'`, or `'countryCode'` without a postcode);
 *   a PICKUP without `pickupLocationId`, or at a location that is no store offering click & collect
 *   (`field: 'pickupLocationId'`); and as sourceOrder (no lines, bad quantities) or the promise functions (no
 *   working day within 400 days). `INSUFFICIENT_STOCK` as sourceOrder `{ sku, requested, available }`.
 */
export function promiseCart(input: CartPromiseInput): CartPromise {
  const { now, lines, request, locations, zones, rules } = input;
  const target = targetOf(request, locations, zones);
  const candidates: SourcingCandidate[] = locations.flatMap((l) =>
    l.settings
      ? [
          {
            id: l.id,
            name: l.name,
            kind: l.kind,
            fulfilsOnline: l.fulfilsOnline,
            shipsFromStore: l.settings.shipsFromStore,
            available: l.available,
          },
        ]
      : [],
  );
  const decision = sourceOrder(lines, candidates, rules, {
    method: request.method,
    ...(target.store ? { pickupLocationId: target.store.id } : {}),
  });
  return { decision, promises: promisesFor(now, decision.allocations, target, locations) };
}

/**
 * The promises of allocations already decided (an order that named its reservation or location), at instant
 * `now`, as promiseCart makes them for its own allocations: one per DELIVERY shipment from a location with
 * settings, one for a PICKUP (an allocation with `transfer` travels to the store first). A location without
 * fulfilment settings promises nothing (no promise for its shipment; none for a pickup with a transfer from
 * it). Pure. `locations`' `available` is not read.
 * @throws DomainError `BAD_USER_INPUT` as promiseCart for a request it cannot serve (no zone for the
 *   postcode, no store offering click & collect).
 */
export function promiseAllocations(input: {
  now: Date;
  allocations: readonly SourcingAllocation[];
  request: CartPromiseRequest;
  locations: readonly CartPromiseLocation[];
  zones: readonly ShippingZone[];
}): DeliveryPromise[] {
  const target = targetOf(input.request, input.locations, input.zones);
  return promisesFor(input.now, input.allocations, target, input.locations);
}

/** One pickup promise of its parts (at least one): the latest ready, held until the earliest transfer's. */
function pickupPromise(
  parts: ReadonlyArray<{ transfer: boolean; promise: DeliveryPromise }>,
): DeliveryPromise {
  const latest = parts.reduce((a, b) => (b.promise.readyBy! > a.promise.readyBy! ? b : a)).promise;
  const moving = parts.some((p) => p.transfer) ? parts.filter((p) => p.transfer) : parts;
  const orderBefore = Math.min(...moving.map((p) => p.promise.orderBefore.getTime()));
  return { ...latest, orderBefore: new Date(orderBefore) };
}

/** What {@link promiseCart} reads of the hub besides the cart and the request. */
export interface PromiseInputs {
  locations: CartPromiseLocation[];
  zones: ShippingZone[];
  rules: SourcingRules;
}

/**
 * Reads what promiseCart needs for the cart's `skus` from PostgreSQL: every location (id order) with its
 * fulfilment settings (null when none) and the units of these SKUs it can give now (`availableOf` its level;
 * SKUs without a level there are absent: 0), the shipping zones (by country, then id) and the sourcing rules
 * in force (DEFAULT_SOURCING_RULES while none are stored). Reads committed state: units reserved after it
 * may be gone by the time they are reserved (the caller sources again then).
 */
export async function loadPromiseInputs(db: Executor, skus: readonly string[]): Promise<PromiseInputs> {
  const unique = [...new Set(skus)];
  const [rows, levels, zones, rules] = await Promise.all([
    db
      .selectFrom('locations')
      .select(['id', 'name', 'kind', 'fulfilsOnline', 'fulfilment'])
      .orderBy('id')
      .execute(),
    unique.length === 0
      ? []
      : db
          .selectFrom('stockLevels')
          .select(['sku', 'locationId', 'onHand', 'reserved', 'safetyStock'])
          .where('sku', 'in', unique)
          .execute(),
    listShippingZones(db),
    getSourcingRules(db),
  ]);
  const available = new Map<string, Map<string, number>>();
  for (const l of levels) {
    const at = available.get(l.locationId) ?? new Map<string, number>();
    at.set(l.sku, availableOf(l));
    available.set(l.locationId, at);
  }
  return {
    locations: rows.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      fulfilsOnline: r.fulfilsOnline,
      settings: r.fulfilment === null ? null : FulfilmentSettingsSchema.parse(r.fulfilment),
      available: available.get(r.id) ?? new Map<string, number>(),
    })),
    zones: zones.map(({ revision: _r, updatedAt: _u, ...zone }) => zone),
    rules,
  };
}
