import { canonicalJson, DomainError, lockOrClaim, runWrite } from '../../shared/index.js';
import type { Selectable } from 'kysely';
import type { Executor, ShippingZonesTable, WriteDeps } from '../tables.js';
import {
  FulfilmentSettingsSchema,
  ShippingZoneSchema,
  type FulfilmentSettings,
  type ShippingZone,
} from './fulfilment-settings.schema.js';
import { SourcingRulesSchema, type SourcingRules } from './sourcing.schema.js';

/**
 * The stored fulfilment configuration (issue 12, migration 20261130T0900): each location's fulfilment
 * settings, the shipping zones and the sourcing rules, read by the delivery promise and sourcing, written by
 * the admin REST routes (fulfilment-config-routes.ts) — each write one transaction with its revision and its
 * outbox event, and a write that changes nothing commits nothing.
 */

/**
 * The sourcing rules in force while the retailer has declared none: fewest shipments first, then locations by
 * id (no priority list), splits allowed — the API.md example without a priority list.
 */
export const DEFAULT_SOURCING_RULES: SourcingRules = {
  rules: ['FEWEST_SHIPMENTS', 'LOCATION_PRIORITY'],
  allowSplit: true,
  locationPriority: [],
};

/** A location with fulfilment settings, as the promise and sourcing read it (fits `PromiseLocation`). */
export interface LocationFulfilment {
  id: string;
  name: string;
  kind: 'WAREHOUSE' | 'STORE';
  fulfilsOnline: boolean;
  settings: FulfilmentSettings;
}

/** A stored shipping zone with its revision (ISO 8601 `updatedAt`). */
export interface ShippingZoneView extends ShippingZone {
  revision: number;
  updatedAt: string;
}

/** The sourcing rules in force; `revision` and `updatedAt` null while the defaults apply (none stored). */
export interface SourcingRulesView {
  sourcing: SourcingRules;
  revision: number | null;
  updatedAt: string | null;
}

/**
 * The fulfilment settings of the locations that declare some, in id order; `locationIds` limits them to
 * those (unknown ids and locations without settings are left out: they promise nothing).
 * @throws an internal error (zod) if a stored setting no longer parses — the column is written validated.
 */
export async function getFulfilmentSettings(
  db: Executor,
  locationIds?: readonly string[],
): Promise<LocationFulfilment[]> {
  if (locationIds && locationIds.length === 0) return [];
  let q = db
    .selectFrom('locations')
    .select(['id', 'name', 'kind', 'fulfilsOnline', 'fulfilment'])
    .where('fulfilment', 'is not', null)
    .orderBy('id');
  if (locationIds) q = q.where('id', 'in', [...new Set(locationIds)]);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    fulfilsOnline: r.fulfilsOnline,
    settings: FulfilmentSettingsSchema.parse(r.fulfilment),
  }));
}

type ZoneRow = Selectable<ShippingZonesTable>;

function zoneView(r: ZoneRow): ShippingZoneView {
  return {
    id: r.id,
    countryCode: r.countryCode,
    postcodePrefixes: r.postcodePrefixes,
    transitDays: r.transitDays,
    carrierHolidays: r.carrierHolidays,
    revision: r.revision,
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Every shipping zone, by country then id (what `zoneFor` chooses from). */
export async function listShippingZones(db: Executor): Promise<ShippingZoneView[]> {
  const rows = await db
    .selectFrom('shippingZones')
    .selectAll()
    .orderBy('countryCode')
    .orderBy('id')
    .execute();
  return rows.map(zoneView);
}

/** One shipping zone, or null. */
export async function getShippingZone(db: Executor, id: string): Promise<ShippingZoneView | null> {
  const row = await db.selectFrom('shippingZones').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? zoneView(row) : null;
}

/**
 * Creates or replaces the shipping zone `zone.id` (validated with ShippingZoneSchema) in one transaction with
 * a `shipping-zone.changed` event; the same zone again commits nothing (`changed: false`, current revision).
 */
export async function putShippingZone(
  deps: WriteDeps,
  zone: ShippingZone,
): Promise<{ shippingZone: ShippingZoneView; revision: number; changed: boolean }> {
  const { result, revision } = await runWrite(deps, async (w) => {
    const values = {
      countryCode: zone.countryCode,
      postcodePrefixes: zone.postcodePrefixes,
      transitDays: zone.transitDays,
      carrierHolidays: zone.carrierHolidays,
    };
    const current = await lockOrClaim(
      () =>
        w.tx.selectFrom('shippingZones').selectAll().where('id', '=', zone.id).forUpdate().executeTakeFirst(),
      () =>
        w.tx
          .insertInto('shippingZones')
          .values({ id: zone.id, ...values, revision: 0, updatedAt: w.now })
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .executeTakeFirst(),
    );
    if (current && canonicalJson(toZone(current)) === canonicalJson(zone)) return { changed: false };
    w.atRevision(async (tx, rev) => {
      await tx
        .insertInto('shippingZones')
        .values({ id: zone.id, ...values, revision: rev, updatedAt: w.now })
        .onConflict((oc) => oc.column('id').doUpdateSet({ ...values, revision: rev, updatedAt: w.now }))
        .execute();
    });
    w.emit({
      type: 'shipping-zone.changed',
      aggregateType: 'shipping-zone',
      aggregateId: zone.id,
      payload: { shippingZone: zone },
    });
    return { changed: true };
  });
  const shippingZone = await getShippingZone(deps.db, zone.id);
  return { shippingZone: shippingZone!, revision, changed: result.changed };
}

const toZone = (r: ZoneRow): ShippingZone => {
  const { revision: _revision, updatedAt: _updatedAt, ...zone } = zoneView(r);
  return zone;
};

/** The sourcing rules in force: the stored ones, else DEFAULT_SOURCING_RULES. */
export async function getSourcingRules(db: Executor): Promise<SourcingRules> {
  return (await sourcingRulesView(db)).sourcing;
}

/** The sourcing rules in force with their revision (null while the defaults apply). */
export async function sourcingRulesView(db: Executor): Promise<SourcingRulesView> {
  const row = await db.selectFrom('sourcingRules').selectAll().executeTakeFirst();
  if (!row) return { sourcing: structuredClone(DEFAULT_SOURCING_RULES), revision: null, updatedAt: null };
  return {
    sourcing: SourcingRulesSchema.parse(row.definition),
    revision: row.revision,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Replaces the sourcing rules (validated with SourcingRulesSchema) in one transaction with a
 * `sourcing.changed` event; the same rules again commit nothing (`changed: false`, current revision).
 * @throws DomainError BAD_USER_INPUT when `locationPriority` names a location that does not exist, details
 *   `{ issues: [{ path: 'body.locationPriority.<i>', message }] }`.
 */
export async function putSourcingRules(
  deps: WriteDeps,
  sourcing: SourcingRules,
): Promise<{ sourcing: SourcingRules; revision: number; changed: boolean }> {
  const { result, revision } = await runWrite(deps, async (w) => {
    await assertLocationsExist(w.tx, sourcing.locationPriority);
    const current = await lockOrClaim(
      () => w.tx.selectFrom('sourcingRules').selectAll().forUpdate().executeTakeFirst(),
      () =>
        w.tx
          .insertInto('sourcingRules')
          .values({ definition: JSON.stringify(sourcing), revision: 0, updatedAt: w.now })
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .executeTakeFirst(),
    );
    if (current && canonicalJson(current.definition) === canonicalJson(sourcing)) return { changed: false };
    w.atRevision(async (tx, rev) => {
      await tx
        .updateTable('sourcingRules')
        .set({ definition: JSON.stringify(sourcing), revision: rev, updatedAt: w.now })
        .execute();
    });
    w.emit({
      type: 'sourcing.changed',
      aggregateType: 'sourcing',
      aggregateId: 'sourcing',
      payload: { sourcing },
    });
    return { changed: true };
  });
  const view = await sourcingRulesView(deps.db);
  return { sourcing: view.sourcing, revision, changed: result.changed };
}

async function assertLocationsExist(db: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await db
    .selectFrom('locations')
    .select('id')
    .where('id', 'in', [...ids])
    .execute();
  const known = new Set(found.map((f) => f.id));
  const issues = ids.flatMap((id, i) =>
    known.has(id) ? [] : [{ path: `body.locationPriority.${i}`, message: `no location ${id}` }],
  );
  if (issues.length > 0)
    throw new DomainError(
      'BAD_USER_INPUT',
      `Invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { issues },
    );
}

/** ShippingZoneSchema without `id`, which the path gives: the body of `PUT /admin/v1/shipping-zones/{id}`. */
export const ShippingZoneBodySchema = ShippingZoneSchema.omit({ id: true });
