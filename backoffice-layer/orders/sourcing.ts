import { DomainError } from '../../shared/index.js';
import type { SourcingRules } from './sourcing.schema.js';

/** One line to source: a SKU and a whole number of units (≥ 1). Lines of the same SKU are added up. */
export interface OrderLineToSource {
  sku: string;
  quantity: number;
}

/**
 * A location the hub may source from. `available`: SKU → units it can give now (on hand less reserved and
 * safety stock; missing, negative or fractional counts are read as the whole units ≥ 0 they allow).
 * `name` is only for the reasons ("from Warehouse Tilburg"); the id is used when it is absent.
 */
export interface SourcingCandidate {
  id: string;
  name?: string;
  kind: 'WAREHOUSE' | 'STORE';
  fulfilsOnline: boolean;
  shipsFromStore: boolean;
  available: ReadonlyMap<string, number>;
}

/** How the customer receives the order: delivered, or collected at `pickupLocationId` (a store). */
export interface SourcingRequest {
  method: 'DELIVERY' | 'PICKUP';
  pickupLocationId?: string;
}

/**
 * One shipment or pickup: the units taken at `locationId`; with `transfer`, they travel to the pickup store
 * `transfer.toLocationId` first (click & collect of what the store lacks, with a later ready time).
 */
export interface SourcingAllocation {
  locationId: string;
  lines: OrderLineToSource[];
  transfer?: { toLocationId: string };
}

/** Why `sku` comes from `locationId`, in words a till or an agent can read out. */
export interface SourcingReason {
  sku: string;
  locationId: string;
  reason: string;
}

/** The hub's choice: the allocations (each line's units exactly once) and one reason per SKU and location. */
export interface SourcingDecision {
  allocations: SourcingAllocation[];
  reasons: SourcingReason[];
}

type Units = Map<string, number>;
interface Part {
  location: SourcingCandidate;
  take: Units;
  transfer?: { toLocationId: string };
}
type Mode = 'SINGLE' | 'COVER' | 'FILL';
interface Plan {
  mode: Mode;
  parts: Part[];
  /** SINGLE: how many locations had everything (the reason says "the only one" or "first of k"). */
  wholeCount: number;
}

/**
 * Chooses where an order's units come from, by the retailer's declared rules (issue 12: "locations that
 * fulfil online, in the retailer's priority order, fewest shipments first, a store only if it ships from
 * store; split when no single location has everything (and the split is allowed). Click & collect at a store
 * takes that store's stock, or a transfer from the warehouse with a later ready time."). Pure: no clock, no
 * database; the same input gives the same decision whatever the order of `candidates`.
 *
 * - DELIVERY: only candidates that fulfil online, a STORE only if it `shipsFromStore`. Locations are ranked
 *   by the rules (`LOCATION_PRIORITY`: `rules.locationPriority`, unlisted after; `SHIP_FROM_STORE_LAST`:
 *   warehouses first), ties by priority then id. Under `FEWEST_SHIPMENTS` (listed before
 *   `LOCATION_PRIORITY`, or alone) the first ranked location with everything wins; if none has everything
 *   and `allowSplit`, a greedy set cover (each step the location giving the most units still needed, ties
 *   by rank: at most ln(n)+1 times the true minimum of shipments, exact when one location suffices). With
 *   `LOCATION_PRIORITY` first, the order is filled from the first ranked location down.
 * - PICKUP: the pickup store's own units first; what it lacks is a transfer from warehouses, chosen as
 *   above (one warehouse unless `allowSplit`).
 *
 * @param lines SKUs and units (whole, ≥ 1).
 * @param candidates the locations and their available units; ids distinct.
 * @param rules validated by `SourcingRulesSchema`.
 * @returns allocations in shipment order, their lines in the order's line order, and the reasons.
 * @throws DomainError `INSUFFICIENT_STOCK` `{ sku, requested, available }` (units; plus `locationId` and
 *   `allowSplit: false` when only a split could serve it); `BAD_USER_INPUT` for no lines, a quantity that is
 *   not a whole number ≥ 1, duplicate candidate ids, or a pickup location that is not a candidate store.
 */
export function sourceOrder(
  lines: readonly OrderLineToSource[],
  candidates: readonly SourcingCandidate[],
  rules: SourcingRules,
  request: SourcingRequest,
): SourcingDecision {
  const need = mergeLines(lines);
  if (new Set(candidates.map((c) => c.id)).size !== candidates.length)
    throw new DomainError('BAD_USER_INPUT', 'Each sourcing candidate must have its own id', {});
  const rank = rankingOf(rules);
  if (request.method === 'DELIVERY') {
    const pool = candidates
      .filter((c) => c.fulfilsOnline && (c.kind === 'WAREHOUSE' || c.shipsFromStore))
      .sort(rank);
    const plan = planFrom(need, pool, rules);
    if (!plan) throw refusal(need, pool, new Map());
    return decision(plan.parts, (part, sku) => deliveryReason(plan, part, sku, need, pool));
  }
  const store = candidates.find((c) => c.id === request.pickupLocationId);
  if (!store || store.kind !== 'STORE')
    throw new DomainError('BAD_USER_INPUT', 'Click & collect needs a pickup store among the candidates', {
      pickupLocationId: request.pickupLocationId ?? null,
    });
  const left = new Map(need);
  const atStore = takeFrom(store, left);
  const parts: Part[] = atStore.size > 0 ? [{ location: store, take: atStore }] : [];
  if (total(left) > 0) {
    const warehouses = candidates.filter((c) => c.kind === 'WAREHOUSE').sort(rank);
    const plan = planFrom(left, warehouses, rules);
    if (!plan) throw refusal(left, warehouses, atStore);
    for (const part of plan.parts) parts.push({ ...part, transfer: { toLocationId: store.id } });
  }
  return decision(parts, (part, sku) => pickupReason(part, sku, store, need));
}

function mergeLines(lines: readonly OrderLineToSource[]): Units {
  const need: Units = new Map();
  for (const { sku, quantity } of lines) {
    if (!Number.isSafeInteger(quantity) || quantity < 1)
      throw new DomainError('BAD_USER_INPUT', `The quantity of ${sku} must be a whole number of at least 1`, {
        sku,
        quantity,
      });
    need.set(sku, (need.get(sku) ?? 0) + quantity);
  }
  if (need.size === 0) throw new DomainError('BAD_USER_INPUT', 'An order to source needs a line', {});
  return need;
}

/** Whole units ≥ 0 of `sku` at `c`. */
function unitsAt(c: SourcingCandidate, sku: string): number {
  const v = c.available.get(sku) ?? 0;
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

const total = (units: Units): number => [...units.values()].reduce((a, b) => a + b, 0);

/** The rules' order of locations: each ranking rule in its place, then priority, then id (a total order). */
function rankingOf(rules: SourcingRules): (a: SourcingCandidate, b: SourcingCandidate) => number {
  const priority = new Map(rules.locationPriority.map((id, i) => [id, i]));
  const prio = (c: SourcingCandidate): number => priority.get(c.id) ?? priority.size;
  const keys: Array<(c: SourcingCandidate) => number> = [];
  for (const rule of rules.rules) {
    if (rule === 'LOCATION_PRIORITY') keys.push(prio);
    if (rule === 'SHIP_FROM_STORE_LAST') keys.push((c) => (c.kind === 'STORE' ? 1 : 0));
  }
  keys.push(prio);
  return (a, b) => {
    for (const key of keys) {
      const d = key(a) - key(b);
      if (d !== 0) return d;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

/** Takes from `c` what it has of `left` (decreasing `left`); the units taken, SKUs with none left out. */
function takeFrom(c: SourcingCandidate, left: Units): Units {
  const take: Units = new Map();
  for (const [sku, q] of left) {
    const units = Math.min(q, unitsAt(c, sku));
    if (units > 0) {
      take.set(sku, units);
      if (units === q) left.delete(sku);
      else left.set(sku, q - units);
    }
  }
  return take;
}

const hasAll = (c: SourcingCandidate, need: Units): boolean =>
  [...need].every(([sku, q]) => unitsAt(c, sku) >= q);

/** The plan for `need` from `ranked` (already in the rules' order), or undefined when the rules refuse. */
function planFrom(need: Units, ranked: readonly SourcingCandidate[], rules: SourcingRules): Plan | undefined {
  const fewest = rules.rules.indexOf('FEWEST_SHIPMENTS');
  const priority = rules.rules.indexOf('LOCATION_PRIORITY');
  const fewestFirst = fewest >= 0 && (priority < 0 || fewest < priority);
  const whole = ranked.filter((c) => hasAll(c, need));
  const first = whole[0];
  if (first && (fewestFirst || !rules.allowSplit))
    return { mode: 'SINGLE', parts: [{ location: first, take: new Map(need) }], wholeCount: whole.length };
  if (!rules.allowSplit) return undefined;
  const left = new Map(need);
  const parts: Part[] = [];
  if (fewestFirst) {
    const unused = [...ranked];
    while (left.size > 0) {
      let best = -1;
      let bestUnits = 0;
      unused.forEach((c, i) => {
        const units = [...left].reduce((a, [sku, q]) => a + Math.min(q, unitsAt(c, sku)), 0);
        if (units > bestUnits) [best, bestUnits] = [i, units];
      });
      if (best < 0) return undefined;
      const [location] = unused.splice(best, 1) as [SourcingCandidate];
      parts.push({ location, take: takeFrom(location, left) });
    }
  } else {
    for (const location of ranked) {
      if (left.size === 0) break;
      const take = takeFrom(location, left);
      if (take.size > 0) parts.push({ location, take });
    }
    if (left.size > 0) return undefined;
  }
  return { mode: parts.length === 1 ? 'SINGLE' : fewestFirst ? 'COVER' : 'FILL', parts, wholeCount: 1 };
}

/**
 * The refusal: the first line short in total (`available`: all of `pool` plus `extra`, the pickup store's
 * units), else — enough in total but no split allowed — the first line the location with most of the order
 * lacks.
 */
function refusal(need: Units, pool: readonly SourcingCandidate[], extra: Units): DomainError {
  for (const [sku, q] of need) {
    const available = pool.reduce((a, c) => a + unitsAt(c, sku), 0) + (extra.get(sku) ?? 0);
    const requested = q + (extra.get(sku) ?? 0);
    if (available < requested)
      return new DomainError(
        'INSUFFICIENT_STOCK',
        `Only ${available} of ${requested} units of ${sku} in stock`,
        {
          sku,
          requested,
          available,
        },
      );
  }
  const score = (c: SourcingCandidate): number =>
    [...need].reduce((a, [sku, q]) => a + Math.min(q, unitsAt(c, sku)), 0);
  const best = pool.reduce((b, c) => (score(c) > score(b) ? c : b));
  const [sku, q] = [...need].find(([s, n]) => unitsAt(best, s) < n) as [string, number];
  const available = unitsAt(best, sku) + (extra.get(sku) ?? 0);
  const requested = q + (extra.get(sku) ?? 0);
  return new DomainError(
    'INSUFFICIENT_STOCK',
    `No single location has all ${need.size} items and the retailer does not split orders: ` +
      `${best.id} has ${unitsAt(best, sku)} of ${q} units of ${sku}`,
    { sku, requested, available, locationId: best.id, allowSplit: false },
  );
}

function decision(parts: Part[], why: (part: Part, sku: string) => string): SourcingDecision {
  const allocations: SourcingAllocation[] = [];
  const reasons: SourcingReason[] = [];
  for (const part of parts) {
    const lines = [...part.take].map(([sku, quantity]) => ({ sku, quantity }));
    const transfer = part.transfer;
    allocations.push({ locationId: part.location.id, lines, ...(transfer ? { transfer } : {}) });
    for (const { sku } of lines) reasons.push({ sku, locationId: part.location.id, reason: why(part, sku) });
  }
  return { allocations, reasons };
}

/** "Warehouse Tilburg", "store Utrecht": the name, saying what kind of place it is when the name does not. */
function label(c: SourcingCandidate): string {
  const name = c.name ?? c.id;
  const kind = c.kind === 'STORE' ? 'store' : 'warehouse';
  return name.toLowerCase().includes(kind) ? name : `${kind} ${name}`;
}

const itemsOf = (need: Units): string => (need.size === 1 ? 'the item' : `all ${need.size} items`);

function deliveryReason(
  plan: Plan,
  part: Part,
  sku: string,
  need: Units,
  pool: readonly SourcingCandidate[],
): string {
  const from = `from ${label(part.location)}`;
  const store = part.location.kind === 'STORE';
  if (plan.mode === 'SINGLE') {
    const which =
      plan.wholeCount === 1
        ? 'the only location'
        : `first in the retailer's order of ${plan.wholeCount} locations`;
    return `${from}: ${which} with ${itemsOf(need)}${store ? ', ships from store' : ''}`;
  }
  const q = need.get(sku) ?? 0;
  const units = part.take.get(sku) ?? 0;
  const share = units < q ? `${units} of ${q} units` : q === 1 ? 'the unit' : `all ${q} units`;
  const shipments = `${plan.parts.length} shipments`;
  const split =
    plan.mode === 'COVER'
      ? `no single location has ${itemsOf(need)}, ${shipments} at fewest`
      : `${plan.parts[0] === part ? 'first' : 'next'} in the retailer's order with it, ${shipments}`;
  if (!store) return `${from}: ${share}; ${split}`;
  const warehouses = pool.filter((c) => c.kind === 'WAREHOUSE');
  const atWarehouses = warehouses.reduce((a, c) => a + unitsAt(c, sku), 0);
  const the = warehouses.length === 1 ? 'the warehouse has' : 'the warehouses have';
  const lack =
    atWarehouses === 0
      ? warehouses.length === 1
        ? 'the warehouse has none'
        : 'no warehouse has any'
      : atWarehouses < q
        ? `${the} only ${atWarehouses} of ${q}`
        : split;
  return `${from}: ships from store, ${lack}${units < q ? ` (${share})` : ''}`;
}

function pickupReason(part: Part, sku: string, store: SourcingCandidate, need: Units): string {
  const q = need.get(sku) ?? 0;
  const units = part.take.get(sku) ?? 0;
  const share = units < q ? ` (${units} of ${q} units)` : '';
  if (!part.transfer) return `from ${label(store)}: in stock at the pickup store${share}`;
  const atStore = Math.min(unitsAt(store, sku), q);
  const has = atStore === 0 ? 'has none' : `has only ${atStore} of ${q}`;
  // Several warehouses share the transfer only when a split is allowed: then say how much comes from here.
  const portion = units < q - atStore ? ` (${units} of the ${q - atStore} units it lacks)` : '';
  return `from ${label(part.location)}: transfer to ${label(store)} for pickup, the store ${has}${portion}`;
}
