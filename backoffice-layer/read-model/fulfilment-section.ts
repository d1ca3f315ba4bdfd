import type { BoundarySource } from '../jobs/price-schedule.js';
import { nextPromiseEdge, type PromiseLocation } from '../orders/delivery-promise.js';
import { getFulfilmentSettings, getSourcingRules, listShippingZones } from '../orders/fulfilment-config.js';
import type { FulfilmentSettings, ShippingZone } from '../orders/fulfilment-settings.schema.js';
import type { SourcingRules } from '../orders/sourcing.schema.js';
import type { Executor } from '../tables.js';
import type { SharedSection } from './store.js';

/** The name of the read model's shared section that holds what the delivery promise is computed from. */
export const FULFILMENT_SECTION = 'backoffice.fulfilment';

/**
 * What every delivery promise needs whatever the SKU (issue 12), as one shared section of the read model:
 * - `settings`: location id → its fulfilment settings, for the locations that declare some (a location
 *   without settings promises nothing and is not sourced from); name, kind and `fulfilsOnline` are the
 *   snapshot's `locations`, which the same `location.changed` event moves at the same revision;
 * - `zones`: the shipping zones, by country then id, without their revisions (what `zoneFor` chooses from);
 * - `rules`: the sourcing rules in force (the defaults while none are stored).
 */
export interface FulfilmentSectionValue {
  settings: Record<string, FulfilmentSettings>;
  zones: ShippingZone[];
  rules: SourcingRules;
}

/** The fulfilment configuration as of the executor's snapshot (see FulfilmentSectionValue). */
export async function loadFulfilmentSection(db: Executor): Promise<FulfilmentSectionValue> {
  const [locations, zones, rules] = await Promise.all([
    getFulfilmentSettings(db),
    listShippingZones(db),
    getSourcingRules(db),
  ]);
  return {
    settings: Object.fromEntries(locations.map((l) => [l.id, l.settings])),
    zones: zones.map(({ revision: _revision, updatedAt: _updatedAt, ...zone }) => zone),
    rules,
  };
}

/**
 * The fulfilment configuration as a shared section: reloaded after every event that changes a location's
 * settings, a shipping zone or the sourcing rules, labelled with that revision, part of every snapshot —
 * so an `offer` with a delivery promise reads no PostgreSQL, and an answer's revision covers the
 * configuration it promised from. Worker and API nodes must both be given it (the journey layer's section
 * list holds it).
 */
export const fulfilmentSection: SharedSection = {
  name: FULFILMENT_SECTION,
  types: ['location.changed', 'shipping-zone.changed', 'sourcing.changed'],
  load: loadFulfilmentSection,
};

/** The fulfilment configuration of a snapshot's shared sections, or null when it does not carry it. */
export function fulfilmentOf(
  globals: ReadonlyMap<string, unknown> | undefined,
): FulfilmentSectionValue | null {
  return (globals?.get(FULFILMENT_SECTION) as FulfilmentSectionValue | undefined) ?? null;
}

/**
 * The next instant strictly after `after` at which a delivery promise changes (nextPromiseEdge over every
 * location with fulfilment settings: its cut-offs, its local midnights, its stores' pickup steps), as a
 * source of the switch schedule: the scheduler commits a switch revision there, as at a price window's edge,
 * so every channel changes its promise at once. A location whose settings give no working day within the
 * search horizon (it can promise nothing) is left out rather than stopping every other switch. Null without
 * such locations.
 */
export const nextPromiseBoundary: BoundarySource = async (db, after) => {
  const locations = await getFulfilmentSettings(db);
  let best: number | null = null;
  for (const location of locations) {
    const edge = edgeOf(after, location);
    if (edge && (best === null || edge.getTime() < best)) best = edge.getTime();
  }
  return best === null ? null : new Date(best);
};

function edgeOf(after: Date, location: PromiseLocation): Date | null {
  try {
    return nextPromiseEdge(after, [location]);
  } catch {
    return null;
  }
}

/** Event types after which the next promise edge may have moved (a location's settings changed). */
export const PROMISE_SCHEDULE_EVENT_TYPES: readonly string[] = ['location.changed'];
