/**
 * What a CONSOLE client key may reach of the admin REST API: one table, `CONSOLE_ROUTES`, one row an
 * operation the staff console needs (its area, whether it acts, the locations it touches). Every operation
 * not in the table is refused to a CONSOLE key (403 FORBIDDEN); admin keys reach every route. The scope
 * grammar is shared/console-scopes.ts, which the GraphQL policy reads too. Also `GET /admin/v1/session`.
 */
import { z } from 'zod';
import {
  CONSOLE_AREAS,
  DomainError,
  grantsArea,
  isUuid,
  locationOutside,
  reachesAnyLocation,
  type ConsoleArea,
  type ConsoleGrants,
} from '../../shared/index.js';
import { orderParties } from '../orders/order-parties.js';
import type { Database } from '../tables.js';
import { defineRoute, type AdminActor, type AdminRoute } from './admin-route.js';

/**
 * The locations one call touches, as a console key's `location:` scopes are checked against them:
 * `{ every }` — the key must hold each (a stock count, a movement's lines); `{ anyOf }` — at least one (an
 * order involves its sources and pickup store: staff at any of them may follow and act on it); `'all'` —
 * every location at once (a list with no location named): only a key of every location.
 */
export type LocationTouch = { every: readonly string[] } | { anyOf: readonly string[] } | 'all';

/** What a call passes, for `locations`: its parsed path, query and body, and the database. */
export interface ConsoleCallInput {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  db: Database;
}

/**
 * One operation the console may call: the `area` it belongs to (null: reference data any console key with an
 * area reads — products, locations, segments, tiers), whether it acts there (`write`), and — for those that
 * concern locations — the locations a call touches (an unknown order or fulfilment touches none: the route
 * answers NOT_FOUND).
 */
export interface ConsoleRouteAccess {
  area: ConsoleArea | null;
  write: boolean;
  locations?: (input: ConsoleCallInput) => Promise<LocationTouch>;
}

const read = (area: ConsoleArea | null): ConsoleRouteAccess => ({ area, write: false });
const act = (area: ConsoleArea): ConsoleRouteAccess => ({ area, write: true });

const paramText = (input: ConsoleCallInput, name: string): string => String(input.params[name] ?? '');

/** A list's `locationId` filter: that location; none named — every location at once. */
async function queriedLocation(input: ConsoleCallInput): Promise<LocationTouch> {
  return typeof input.query.locationId === 'string' ? { every: [input.query.locationId] } : 'all';
}

/** The locations an order involves (order-parties.ts); none for an unknown order. */
async function orderLocations(input: ConsoleCallInput): Promise<LocationTouch> {
  const parties = await orderParties(input.db, paramText(input, 'id'));
  return { anyOf: parties?.locationIds ?? [] };
}

/** A fulfilment's location and its pickup store; none for an unknown fulfilment. */
async function fulfilmentLocations(input: ConsoleCallInput): Promise<LocationTouch> {
  const id = paramText(input, 'id');
  if (!isUuid(id)) return { anyOf: [] };
  const f = await input.db
    .selectFrom('fulfilments')
    .select(['locationId', 'pickupLocationId'])
    .where('id', '=', id)
    .executeTakeFirst();
  return { anyOf: f ? [f.locationId, ...(f.pickupLocationId ? [f.pickupLocationId] : [])] : [] };
}

/**
 * The admin operations a CONSOLE key may call, by operationId. Stock levels of a SKU (`getStockLevels`) are
 * read at every location whatever the key's locations (as the channel mirror shows availability per store);
 * its movement ledger, counts and movements only at the key's locations.
 */
export const CONSOLE_ROUTES: Readonly<Record<string, ConsoleRouteAccess>> = {
  // Reference data.
  listProducts: read(null),
  getProduct: read(null),
  listLocations: read(null),
  getLocation: read(null),
  listSegments: read(null),
  getSegment: read(null),
  getLoyaltyProgram: read(null),
  // Pricing a cart changes nothing and answers what GraphQL's quote answers any console key: the price
  // preview of the prices page and the promotion preview alike.
  previewPromotions: read(null),
  // Pages.
  getKpis: read('dashboard'),
  getDataQuality: read('quality'),
  listAuditEntries: read('audit'),
  searchCustomers: read('customers'),
  listPriceLists: read('prices'),
  getPriceList: read('prices'),
  getPriceHistory: read('prices'),
  putPriceList: act('prices'),
  putPrice: act('prices'),
  deletePrice: act('prices'),
  getStockLevels: read('stock'),
  // The ledger names orders, reservations and who acted at a location: like a location's orders, a
  // location-scoped key names one of its own.
  listStockMovements: { ...read('stock'), locations: queriedLocation },
  putStockCount: {
    ...act('stock'),
    locations: async (input) => ({ every: [paramText(input, 'locationId')] }),
  },
  applyStockMovements: {
    ...act('stock'),
    // Every location a movement names: a receipt's or adjustment's, both ends of a transfer.
    locations: async (input) => {
      const body = input.body as { movements?: Array<Record<string, unknown>> } | undefined;
      const named = (body?.movements ?? []).flatMap((m) => [m.locationId, m.from, m.to]);
      return { every: named.filter((l): l is string => typeof l === 'string') };
    },
  },
  listOrders: { ...read('orders'), locations: queriedLocation },
  listFulfilments: { ...read('orders'), locations: queriedLocation },
  getOrder: { ...read('orders'), locations: orderLocations },
  cancelOrder: { ...act('orders'), locations: orderLocations },
  postFulfilmentEvent: { ...act('orders'), locations: fulfilmentLocations },
  listPromotions: read('promotions'),
  getPromotion: read('promotions'),
  putPromotion: act('promotions'),
  archivePromotion: act('promotions'),
  createCoupons: act('promotions'),
  // Who the key is: any key.
  getSession: read(null),
};

/** Operations any CONSOLE key calls, whatever its scopes. */
const OPEN_TO_EVERY_CONSOLE_KEY = new Set(['getSession']);

/**
 * Whether a CONSOLE key may make this call: nothing to check for an admin key. A CONSOLE key reaches only the
 * operations in CONSOLE_ROUTES, and those only when its console scopes open the area (reference data: any
 * area) and, for calls that touch locations, when its `location:` scopes reach them. A CONSOLE key with no
 * `console:` scope reaches none but `getSession`.
 * @throws DomainError FORBIDDEN (details `operationId`, and `area` or `locationId`), writing nothing.
 */
export async function requireConsoleAccess(
  actor: AdminActor,
  operationId: string,
  input: ConsoleCallInput,
): Promise<void> {
  if (actor.kind === 'ADMIN' || OPEN_TO_EVERY_CONSOLE_KEY.has(operationId)) return;
  const access = Object.prototype.hasOwnProperty.call(CONSOLE_ROUTES, operationId)
    ? CONSOLE_ROUTES[operationId]
    : undefined;
  if (!access || actor.grants.areas.length === 0)
    throw new DomainError('FORBIDDEN', 'A console key does not open this admin route', { operationId });
  if (access.area && !grantsArea(actor.grants, access.area, access.write))
    throw new DomainError(
      'FORBIDDEN',
      `This console key does not open ${access.area}${access.write ? ' to act' : ''} ` +
        `(scope console:${access.area}${access.write ? ':write' : ''})`,
      { operationId, area: access.area },
    );
  if (!access.locations || actor.grants.locations === null) return;
  refuseOutside(actor.grants, operationId, await access.locations(input));
}

function refuseOutside(grants: ConsoleGrants, operationId: string, touch: LocationTouch): void {
  if (touch === 'all')
    throw new DomainError(
      'FORBIDDEN',
      `This console key reaches ${grants.locations!.join(', ')} only: name one of its locations (locationId)`,
      { operationId },
    );
  if ('every' in touch) {
    const other = locationOutside(grants, touch.every);
    if (other !== undefined)
      throw new DomainError('FORBIDDEN', `This console key does not reach location ${other}`, {
        operationId,
        locationId: other,
      });
    return;
  }
  if (touch.anyOf.length > 0 && !reachesAnyLocation(grants, touch.anyOf))
    // Where an order's units are is none of another location's business: the refusal does not say.
    throw new DomainError('FORBIDDEN', 'This console key reaches none of the locations this concerns', {
      operationId,
    });
}

const ConsoleAreaSchema = z.enum(CONSOLE_AREAS);
const SessionView = z.object({
  kind: z.enum(['ADMIN', 'CONSOLE']),
  name: z.string().describe('The admin key\u2019s or the client\u2019s name'),
  clientId: z.string().optional().describe('CONSOLE only: the channel client\u2019s id'),
  areas: z
    .array(z.object({ area: ConsoleAreaSchema, write: z.boolean() }))
    .describe('The console areas the key opens (write: it may act there too); an admin key: all, with write'),
  locations: z.array(z.string()).nullable().describe('The locations the key reaches; null: every location'),
});

/** Who the calling key is, for either kind of key: what the staff console signs in with. */
export const sessionRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'get',
    path: '/session',
    tag: 'session',
    operationId: 'getSession',
    summary:
      'Who the calling key is: an admin key (every console area, every location) or a CONSOLE client key ' +
      '(the areas and locations its console scopes open)',
    response: SessionView,
    handle: async ({ actor }) => ({
      kind: actor.kind,
      name: actor.name,
      ...(actor.kind === 'CONSOLE' ? { clientId: actor.keyId } : {}),
      areas: actor.grants.areas,
      locations: actor.grants.locations,
    }),
  }),
];
