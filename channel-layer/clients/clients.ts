import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  defineRoute,
  getLocation,
  type AdminRoute,
  type ConsoleKeyHolder,
} from '../../backoffice-layer/index.js';
import {
  ChannelKindSchema,
  CONSOLE_SCOPE_FORMS,
  CONSOLE_SCOPE_PATTERN,
  consoleGrants,
  fullConsoleGrants,
  isConsoleScope,
  displayName,
  DomainError,
  KnownCurrencySchema,
  LocationIdSchema,
  sha256,
  UuidSchema,
  type ChannelKind,
} from '../../shared/index.js';
import type { Database } from '../tables.js';

/** The kind of sales channel a client belongs to (shared/schemas.ts `CHANNEL_KINDS`). */
export type Channel = ChannelKind;

/** Who is calling the channel API: the client's channel decides what it may do, never what it is told. */
export interface ChannelClient {
  id: string;
  name: string;
  channel: Channel;
  /** The store of a terminal: it may reserve and sell only there. */
  locationId: string | null;
  scopes: string[];
  /**
   * The client's market: the ISO 4217 currency its quotes, offers and orders are priced in; null: the hub's
   * default (`OMNIHUB_DEFAULT_CURRENCY`). Pricing takes it as an input, so two clients of one market get
   * identical answers.
   */
  currency: string | null;
  /**
   * Set when the caller is an admin key let in on the channel API: a CONSOLE caller with every console area
   * (`id` the admin key's id, `name` its name), named `admin:<name>` on the audit trail (see clientActor).
   */
  admin?: true;
}

/**
 * How the audit trail, her data use and order histories name a channel caller: `client:<id>`, or
 * `admin:<name>` for an admin key (as the admin API names it).
 */
export function clientActor(client: Pick<ChannelClient, 'id' | 'name' | 'admin'>): string {
  return client.admin ? `admin:${client.name}` : `client:${client.id}`;
}

/**
 * An admin key as a channel caller: a CONSOLE client of the key's id and name with every console area, priced
 * in the hub's default market.
 */
export function adminAsClient(admin: { keyId: string; name: string }): ChannelClient {
  return {
    id: admin.keyId,
    name: admin.name,
    channel: 'CONSOLE',
    locationId: null,
    scopes: fullConsoleGrants().areas.map((g) => `console:${g.area}:write`),
    currency: null,
    admin: true,
  };
}

/**
 * The scopes a channel client can hold: signing customers in, its own limits (a whole number from 1), and —
 * CONSOLE clients only — the staff console's areas and locations (shared/console-scopes.ts).
 */
export const SCOPE_FORMS =
  '"customer-tokens", "rate:<n>", "subscriptions:<n>" or "held-units:<n>" (n a whole number from 1), ' +
  `or for a CONSOLE client ${CONSOLE_SCOPE_FORMS}`;
const LIMIT_SCOPE_PATTERN = /^(customer-tokens|(rate|subscriptions|held-units):[1-9]\d{0,8})$/;
const isScope = (s: string): boolean => LIMIT_SCOPE_PATTERN.test(s) || CONSOLE_SCOPE_PATTERN.test(s);

export const ClientBodySchema = z
  .strictObject({
    /** Absent: "<CHANNEL> client" (as the command line names it). */
    name: displayName(200).optional(),
    channel: ChannelKindSchema,
    locationId: LocationIdSchema.optional(),
    scopes: z
      .array(z.string().refine(isScope, { message: `a scope is ${SCOPE_FORMS}` }))
      .max(40)
      .default([]),
    /** Absent: the hub's default (`OMNIHUB_DEFAULT_CURRENCY`), whatever it is when the client calls. */
    currency: KnownCurrencySchema.optional().describe(
      'The currency (ISO 4217) of the client\u2019s market, which price lists it is priced from; ' +
        'absent: the hub\u2019s default (OMNIHUB_DEFAULT_CURRENCY)',
    ),
  })
  .refine((c) => c.channel !== 'STORE' || c.locationId, {
    message: 'a STORE client (terminal) needs its locationId',
    path: ['locationId'],
  })
  .superRefine((c, ctx) => {
    if (c.channel === 'CONSOLE') return;
    c.scopes.forEach((scope, i) => {
      if (isConsoleScope(scope))
        ctx.addIssue({
          code: 'custom',
          message: `only a CONSOLE client holds console and location scopes, not a ${c.channel} client`,
          path: ['scopes', i],
        });
    });
  });
export type ClientBody = z.infer<typeof ClientBodySchema>;

/**
 * A limit the client's scopes set (`<name>:<n>`, e.g. `rate:500`), else `fallback`.
 * @example scopeLimit({ ...client, scopes: ['rate:500'] }, 'rate', 200) // 500
 */
export function scopeLimit(
  client: Pick<ChannelClient, 'scopes'>,
  name: 'rate' | 'subscriptions' | 'held-units',
  fallback: number,
): number {
  const scope = client.scopes.find(
    (s) => s.startsWith(`${name}:`) && /^\d{1,9}$/.test(s.slice(name.length + 1)),
  );
  return scope ? Number(scope.slice(name.length + 1)) : fallback;
}

/** Issues a channel client key (shown once; only its hash is stored). */
export async function createChannelClient(
  db: Database,
  body: ClientBody,
  now: Date,
): Promise<{ id: string; key: string }> {
  const locationIds = [body.locationId, ...(consoleGrants(body.scopes).locations ?? [])];
  for (const locationId of locationIds) {
    if (locationId && !(await getLocation(db, locationId)))
      throw new DomainError('NOT_FOUND', `No location ${locationId}`, { locationId });
  }
  const id = randomUUID();
  const key = `ohk_${body.channel.toLowerCase()}_${randomBytes(24).toString('base64url')}`;
  await db
    .insertInto('channelClients')
    .values({
      id,
      name: body.name ?? `${body.channel} client`,
      channel: body.channel,
      locationId: body.locationId ?? null,
      scopes: body.scopes,
      currency: body.currency ?? null,
      keyHash: sha256(key),
      createdAt: now,
      revokedAt: null,
    })
    .execute();
  return { id, key };
}

/** The client a key belongs to, or undefined for an unknown or revoked key. */
export async function authenticateChannelClient(
  db: Database,
  key: string,
): Promise<ChannelClient | undefined> {
  const row = await db
    .selectFrom('channelClients')
    .select(['id', 'name', 'channel', 'locationId', 'scopes', 'currency'])
    .where('keyHash', '=', sha256(key))
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
  return row ?? undefined;
}

/**
 * The CONSOLE client a key belongs to, as the admin API sees it (see createAdminRouter's `consoleKeys`); null
 * for an unknown or revoked key, or a key of another channel.
 */
export async function consoleKeyHolder(db: Database, key: string): Promise<ConsoleKeyHolder | null> {
  const client = await authenticateChannelClient(db, key);
  if (client?.channel !== 'CONSOLE') return null;
  return { clientId: client.id, name: client.name, audit: clientActor(client), scopes: client.scopes };
}

/** A client as the admin API lists it: never its key (only its hash is stored). */
export interface ChannelClientView extends ChannelClient {
  createdAt: Date;
  revokedAt: Date | null;
}

const CLIENT_COLUMNS = [
  'id',
  'name',
  'channel',
  'locationId',
  'scopes',
  'currency',
  'createdAt',
  'revokedAt',
] as const;

/** Every channel client, newest first, revoked ones included. */
export async function listChannelClients(db: Database): Promise<ChannelClientView[]> {
  return db
    .selectFrom('channelClients')
    .select(CLIENT_COLUMNS)
    .orderBy('createdAt', 'desc')
    .orderBy('id')
    .execute();
}

/** One channel client (never its key). @throws NOT_FOUND for an unknown client. */
export async function getChannelClient(db: Database, id: string): Promise<ChannelClientView> {
  const row = await db
    .selectFrom('channelClients')
    .select(CLIENT_COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new DomainError('NOT_FOUND', `No channel client ${id}`, { clientId: id });
  return row;
}

/**
 * Revokes a client's key (idempotent: revoking again keeps the first time). Every API node stops accepting
 * it within KEY_CACHE_MS (5 s) — over HTTP and for every WebSocket operation — and its open subscriptions end
 * with UNAUTHENTICATED.
 * @throws NOT_FOUND for an unknown client.
 */
export async function revokeChannelClient(db: Database, id: string, now: Date): Promise<ChannelClientView> {
  await db
    .updateTable('channelClients')
    .set({ revokedAt: now })
    .where('id', '=', id)
    .where('revokedAt', 'is', null)
    .execute();
  return getChannelClient(db, id);
}

const ClientParams = z.strictObject({ id: UuidSchema });
/** A channel client as the admin API answers it: never its key nor the key's hash. */
const ClientViewSchema = z
  .object({
    id: UuidSchema,
    name: z.string(),
    channel: ChannelKindSchema,
    locationId: z.string().nullable().describe('A store terminal\u2019s store'),
    scopes: z.array(z.string()),
    currency: z
      .string()
      .nullable()
      .describe('The market\u2019s currency (ISO 4217); null: the hub\u2019s default'),
    createdAt: z.iso.datetime({ offset: true }),
    revokedAt: z.iso.datetime({ offset: true }).nullable(),
  })
  .meta({ id: 'ChannelClient' });
const ClientResponse = z.object({ client: ClientViewSchema });
const REVOKE_SUMMARY =
  'Revoke a channel client key (idempotent): refused on every node within 5 s, over HTTP and WebSocket; ' +
  'its open subscriptions end with UNAUTHENTICATED';

export const channelAdminRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'post',
    path: '/clients',
    tag: 'clients',
    operationId: 'createClient',
    status: 201,
    errors: ['NOT_FOUND'],
    summary:
      'Issue a channel client API key (WEB, APP, STORE with its location, CALL_CENTER, CONSOLE) and the ' +
      'currency of its market (else the hub\u2019s default); the key is shown only now',
    body: ClientBodySchema,
    response: z.object({
      id: UuidSchema,
      key: z.string().describe('The client key: shown only in this answer'),
    }),
    handle: async ({ deps, body }) => createChannelClient(deps.db, body, deps.clock.now()),
  }),
  defineRoute({
    method: 'get',
    path: '/clients',
    tag: 'clients',
    operationId: 'listClients',
    summary: 'Every channel client (never its key), newest first, revoked ones included',
    response: z.object({ clients: z.array(ClientViewSchema) }),
    handle: async ({ deps }) => ({ clients: await listChannelClients(deps.db) }),
  }),
  defineRoute({
    method: 'get',
    path: '/clients/:id',
    tag: 'clients',
    operationId: 'getClient',
    summary: 'One channel client (never its key)',
    params: ClientParams,
    response: ClientResponse,
    handle: async ({ deps, params }) => ({ client: await getChannelClient(deps.db, params.id) }),
  }),
  defineRoute({
    method: 'delete',
    path: '/clients/:id',
    tag: 'clients',
    operationId: 'revokeClient',
    summary: REVOKE_SUMMARY,
    params: ClientParams,
    response: ClientResponse,
    handle: async ({ deps, params }) => ({
      client: await revokeChannelClient(deps.db, params.id, deps.clock.now()),
    }),
  }),
  defineRoute({
    method: 'post',
    path: '/clients/:id/revoke',
    tag: 'clients',
    operationId: 'revokeClientByPost',
    summary: `${REVOKE_SUMMARY} (as DELETE /clients/{id})`,
    params: ClientParams,
    response: ClientResponse,
    handle: async ({ deps, params }) => ({
      client: await revokeChannelClient(deps.db, params.id, deps.clock.now()),
    }),
  }),
];
