/**
 * The staff console's scopes, read the same way by the admin REST guard (backoffice-layer) and the GraphQL
 * access policy (channel-layer): which areas of the console a CONSOLE client key opens, to read or to act,
 * and at which locations. Pure: no I/O.
 *
 * Grammar (a CONSOLE client's `scopes`, beside its other scopes):
 * - `console:<area>` — reads the area; `console:<area>:write` — reads it and acts in it;
 * - `location:<id>` — one or more: the key reaches only these locations (stock, orders, fulfilments); none:
 *   every location.
 *
 * `<area>` is one of {@link CONSOLE_AREAS}; `<id>` a location id ({@link ID_PATTERN}).
 */
import { ID_PATTERN } from './schemas.js';

/** The console's areas, in the order the console lists its pages. */
export const CONSOLE_AREAS = [
  'mirror',
  'customers',
  'orders',
  'stock',
  'prices',
  'promotions',
  'dashboard',
  'quality',
  'audit',
] as const;
export type ConsoleArea = (typeof CONSOLE_AREAS)[number];

/** One area a key opens: `write` when it may act there too (a write grant includes reading). */
export interface ConsoleAreaGrant {
  area: ConsoleArea;
  write: boolean;
}

/**
 * What a key may do in the console: its areas (one entry an area, in {@link CONSOLE_AREAS} order) and its
 * locations (null: every location).
 */
export interface ConsoleGrants {
  areas: ConsoleAreaGrant[];
  locations: string[] | null;
}

const AREA_FORM = CONSOLE_AREAS.join('|');
const LOCATION_FORM = ID_PATTERN.source.slice(1, -1);
/** A console scope: `console:<area>`, `console:<area>:write` or `location:<id>`, and nothing else. */
export const CONSOLE_SCOPE_PATTERN = new RegExp(
  `^(console:(${AREA_FORM})(:write)?|location:${LOCATION_FORM})$`,
);

/** How the console scopes are written, for refusals. */
export const CONSOLE_SCOPE_FORMS =
  `"console:<area>", "console:<area>:write" (area: ${CONSOLE_AREAS.join(', ')}) ` +
  'or "location:<id>" (a location id)';

/** Whether a scope is one of the console's (`console:…`, `location:…`), well formed or not. */
export function isConsoleScope(scope: string): boolean {
  return scope.startsWith('console:') || scope.startsWith('location:');
}

/**
 * The console grants a key's scopes make: every well-formed `console:` and `location:` scope; other scopes
 * (and malformed ones) are ignored. A key holding no `console:` scope has no area.
 * @example consoleGrants(['console:orders', 'console:orders:write', 'location:ams-01', 'rate:50'])
 *   // { areas: [{ area: 'orders', write: true }], locations: ['ams-01'] }
 */
export function consoleGrants(scopes: readonly string[]): ConsoleGrants {
  const write = new Map<ConsoleArea, boolean>();
  const locations = new Set<string>();
  for (const scope of scopes) {
    if (!CONSOLE_SCOPE_PATTERN.test(scope)) continue;
    const [kind, name, mode] = scope.split(':') as [string, string, string | undefined];
    if (kind === 'location') locations.add(name);
    else write.set(name as ConsoleArea, (write.get(name as ConsoleArea) ?? false) || mode === 'write');
  }
  return {
    areas: CONSOLE_AREAS.filter((a) => write.has(a)).map((area) => ({ area, write: write.get(area)! })),
    locations: locations.size === 0 ? null : [...locations].sort(),
  };
}

/** Every area with write, every location: what an admin key may do in the console. */
export function fullConsoleGrants(): ConsoleGrants {
  return { areas: CONSOLE_AREAS.map((area) => ({ area, write: true })), locations: null };
}

/** Whether the grants open `area` (to act when `write`). */
export function grantsArea(grants: ConsoleGrants, area: ConsoleArea, write: boolean): boolean {
  return grants.areas.some((g) => g.area === area && (g.write || !write));
}

/**
 * The first of `locationIds` the grants do not reach, or undefined when they reach them all (always, for
 * grants of every location).
 */
export function locationOutside(grants: ConsoleGrants, locationIds: readonly string[]): string | undefined {
  if (grants.locations === null) return undefined;
  const held = grants.locations;
  return locationIds.find((l) => !held.includes(l));
}

/** Whether the grants reach at least one of `locationIds` (always, for grants of every location). */
export function reachesAnyLocation(grants: ConsoleGrants, locationIds: readonly string[]): boolean {
  if (grants.locations === null) return true;
  const held = grants.locations;
  return locationIds.some((l) => held.includes(l));
}
