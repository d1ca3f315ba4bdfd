import { createContext, useContext, type ReactNode } from 'react';
import { rest } from './client';

/** The console's areas: one per page; a key holds each for reading, or also for acting (`write`). */
export const AREAS = [
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
export type Area = (typeof AREAS)[number];

/**
 * Who signed in, as `GET /admin/v1/session` answers: an admin key (every area, every location) or a CONSOLE
 * client key with its scopes (`console:<area>[:write]`, `location:<id>`); `locations` null = every location.
 */
export interface Session {
  kind: 'ADMIN' | 'CONSOLE';
  name: string;
  clientId?: string;
  areas: Array<{ area: Area; write: boolean }>;
  locations: string[] | null;
}

/** Asks the hub who `key` (already set with setKey) is. @throws ApiError (401/403 for a bad key). */
export function fetchSession(): Promise<Session> {
  return rest<Session>('GET', '/session');
}

/** What the signed-in key may do: the console offers nothing else (and the hub refuses it anyway). */
export interface Access {
  session: Session;
  /** Whether the key may open `area` (read), or act in it with `write`. */
  can(area: Area, write?: boolean): boolean;
  /** Whether the key may work at `locationId` (any location when unscoped). */
  atLocation(locationId: string): boolean;
}

/** Builds the Access of a session. */
export function accessOf(session: Session): Access {
  return {
    session,
    can: (area, write = false) => session.areas.some((a) => a.area === area && (!write || a.write)),
    atLocation: (id) => session.locations === null || session.locations.includes(id),
  };
}

const AccessContext = createContext<Access | null>(null);

/** Provides the signed-in key's Access to every page. */
export function AccessProvider({ access, children }: { access: Access; children: ReactNode }) {
  return <AccessContext.Provider value={access}>{children}</AccessContext.Provider>;
}

/** The signed-in key's Access. Only inside the signed-in shell. */
export function useAccess(): Access {
  const access = useContext(AccessContext);
  if (!access) throw new Error('useAccess outside the signed-in console');
  return access;
}
