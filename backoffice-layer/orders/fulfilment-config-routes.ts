import { z } from 'zod';
import { DomainError, IdSchema } from '../../shared/index.js';
import { defineRoute, type AdminRoute } from '../admin-api/admin-route.js';
import { IsoDateTime, Revision } from '../admin-api/responses.js';
import {
  getShippingZone,
  listShippingZones,
  putShippingZone,
  putSourcingRules,
  ShippingZoneBodySchema,
  sourcingRulesView,
} from './fulfilment-config.js';
import { ShippingZoneSchema } from './fulfilment-settings.schema.js';
import { SourcingRulesSchema } from './sourcing.schema.js';

const ZoneParams = z.strictObject({ id: IdSchema });

/** A shipping zone as the admin API answers it. */
const ShippingZoneView = ShippingZoneSchema.extend({ revision: Revision, updatedAt: IsoDateTime }).meta({
  id: 'ShippingZone',
});
/** The sourcing rules in force; `revision` null while the defaults apply (none stored yet). */
const SourcingView = z
  .object({ sourcing: SourcingRulesSchema, revision: Revision.nullable(), updatedAt: IsoDateTime.nullable() })
  .meta({ id: 'SourcingRulesInForce' });

/**
 * The admin REST routes of the fulfilment configuration (issue 12): shipping zones and the sourcing rules.
 * A location's fulfilment settings travel with the location (`PUT /admin/v1/locations/{id}`, catalogue).
 */
export const fulfilmentConfigRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'put',
    path: '/shipping-zones/:id',
    tag: 'fulfilment',
    operationId: 'putShippingZone',
    response: z.object({ shippingZone: ShippingZoneView, revision: Revision, changed: z.boolean() }),
    summary: 'Create or replace a shipping zone: carrier transit days for postcode prefixes of one country',
    params: ZoneParams,
    body: ShippingZoneBodySchema,
    handle: async ({ deps, params, body }) => putShippingZone(deps, { id: params.id, ...body }),
  }),
  defineRoute({
    method: 'get',
    path: '/shipping-zones/:id',
    tag: 'fulfilment',
    operationId: 'getShippingZone',
    response: z.object({ shippingZone: ShippingZoneView }),
    summary: 'One shipping zone',
    params: ZoneParams,
    errors: ['NOT_FOUND'],
    handle: async ({ deps, params }) => {
      const shippingZone = await getShippingZone(deps.db, params.id);
      if (!shippingZone)
        throw new DomainError('NOT_FOUND', `No shipping zone ${params.id}`, { shippingZoneId: params.id });
      return { shippingZone };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/shipping-zones',
    tag: 'fulfilment',
    operationId: 'listShippingZones',
    response: z.object({ shippingZones: z.array(ShippingZoneView) }),
    summary: 'All shipping zones, by country then id',
    handle: async ({ deps }) => ({ shippingZones: await listShippingZones(deps.db) }),
  }),
  defineRoute({
    method: 'put',
    path: '/sourcing',
    tag: 'fulfilment',
    operationId: 'putSourcingRules',
    response: z.object({ sourcing: SourcingRulesSchema, revision: Revision, changed: z.boolean() }),
    summary: 'Replace the sourcing rules: ordered rules, whether an order may split, location priority',
    body: SourcingRulesSchema,
    handle: async ({ deps, body }) => putSourcingRules(deps, body),
  }),
  defineRoute({
    method: 'get',
    path: '/sourcing',
    tag: 'fulfilment',
    operationId: 'getSourcingRules',
    response: SourcingView,
    summary: 'The sourcing rules in force (the defaults, revision null, until some are stored)',
    handle: async ({ deps }) => sourcingRulesView(deps.db),
  }),
];
