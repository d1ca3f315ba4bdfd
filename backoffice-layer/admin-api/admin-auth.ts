import { randomBytes, randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import {
  bearerToken,
  callerAddress,
  CHANNEL_KINDS,
  consoleGrants,
  fullConsoleGrants,
  DomainError,
  KeyGuard,
  sha256,
  type Logger,
  type Redis,
} from '../../shared/index.js';
import type { Database } from '../tables.js';
import type { AdminActor, ConsoleKeyHolder } from './admin-route.js';

/** Admin keys are random 32-byte secrets; only their SHA-256 is stored. */
export function generateAdminKey(): string {
  return `ohk_admin_${randomBytes(32).toString('base64url')}`;
}

/** Stores a key's hash; idempotent for the same key. */
export async function registerAdminKey(db: Database, key: string, name: string, now: Date): Promise<void> {
  await db
    .insertInto('adminKeys')
    .values({ id: randomUUID(), name, keyHash: sha256(key), createdAt: now })
    .onConflict((oc) => oc.column('keyHash').doNothing())
    .execute();
}

/** What a channel client key looks like (`ohk_web_…`, `ohk_store_…`): such a value is never an admin key. */
const CHANNEL_KEY_PREFIX = new RegExp(`^ohk_(${CHANNEL_KINDS.join('|')})_`, 'i');

/** An admin key's length as the header may carry it, in characters: longer values are refused unread. */
export const ADMIN_KEY_LENGTH = { minLength: 1, maxLength: 512 };

/**
 * What `bootstrapAdminKey` found: `generated`, a new key to print once (no key was configured and none
 * works); `configured`, the state of the key configured in OMNIHUB_ADMIN_KEY: ACTIVE (works), REVOKED or
 * EXPIRED (it was revoked or rotated out: the hub starts, but that key opens nothing — the caller should say
 * so).
 */
export interface AdminKeyBootstrap {
  generated?: string;
  configured?: 'ACTIVE' | 'REVOKED' | 'EXPIRED';
}

/** What `bootstrapAdminKey` may be told by the process that calls it. */
export interface AdminKeyBootstrapOptions {
  /** Where to say that the configured key opens nothing. */
  logger?: Pick<Logger, 'warn'>;
  /**
   * Whether a value is the key of a registered channel client. The channel layer owns its clients, so it
   * passes this in (bin/omnihub.ts does); without it only the `ohk_<channel>_` prefix reveals a channel key.
   */
  isChannelKey?: (key: string) => Promise<boolean>;
}

/**
 * The admin-key bootstrap of docs/API.md ("Admin keys"): a key given in OMNIHUB_ADMIN_KEY is registered (a
 * value that was revoked or rotated out stays so: registering it again does not revive it, and a warning is
 * logged); with none and no working key (none unrevoked and unexpired), one is generated and returned so the
 * caller can print it once.
 * @throws DomainError BAD_USER_INPUT when the configured value is a channel client's key (its
 *   `ohk_<channel>_` prefix, or the key of a registered client per `isChannelKey`): a channel key must never
 *   open the admin API.
 */
export async function bootstrapAdminKey(
  db: Database,
  configured: string | undefined,
  now: Date,
  opts: AdminKeyBootstrapOptions = {},
): Promise<AdminKeyBootstrap> {
  const { logger } = opts;
  if (configured) {
    const channelKey =
      CHANNEL_KEY_PREFIX.test(configured) || ((await opts.isChannelKey?.(configured)) ?? false);
    if (channelKey) {
      throw new DomainError(
        'BAD_USER_INPUT',
        'OMNIHUB_ADMIN_KEY holds a channel client key (ohk_<channel>_…), not an admin key: ' +
          'set it to an admin key (e.g. `openssl rand -base64 32`) or leave it unset',
        { variable: 'OMNIHUB_ADMIN_KEY' },
      );
    }
    await registerAdminKey(db, configured, 'OMNIHUB_ADMIN_KEY', now);
    const row = await db
      .selectFrom('adminKeys')
      .select(['revokedAt', 'expiresAt'])
      .where('keyHash', '=', sha256(configured))
      .executeTakeFirstOrThrow();
    const state = row.revokedAt ? 'REVOKED' : row.expiresAt && row.expiresAt <= now ? 'EXPIRED' : 'ACTIVE';
    if (state !== 'ACTIVE')
      logger?.warn(
        { variable: 'OMNIHUB_ADMIN_KEY', state },
        `OMNIHUB_ADMIN_KEY is ${state.toLowerCase()}: it opens nothing; ` +
          'use another admin key or configure a new one',
      );
    return { configured: state };
  }
  const any = await db
    .selectFrom('adminKeys')
    .select('id')
    .where('revokedAt', 'is', null)
    .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)]))
    .limit(1)
    .executeTakeFirst();
  if (any) return {};
  const key = generateAdminKey();
  await registerAdminKey(db, key, 'bootstrap', now);
  return { generated: key };
}

/** The admin a key stands for at `now`, or undefined for an unknown, revoked or expired (rotated out) key. */
export async function authenticateAdminKey(
  db: Database,
  key: string,
  now: Date = new Date(),
): Promise<AdminActor | undefined> {
  const row = await db
    .selectFrom('adminKeys')
    .select(['id', 'name'])
    .where('keyHash', '=', sha256(key))
    .where('revokedAt', 'is', null)
    .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)]))
    .executeTakeFirst();
  return row ? adminActor(row.id, row.name) : undefined;
}

/** An admin key as a caller: `admin:<name>` on the audit trail, every console area. */
function adminActor(keyId: string, name: string): AdminActor {
  return {
    kind: 'ADMIN',
    keyId,
    name,
    audit: `admin:${name}`,
    details: { adminKeyId: keyId },
    grants: fullConsoleGrants(),
  };
}

/** A CONSOLE client key as a caller: named as the channel layer names it, with its console grants. */
function consoleActor(holder: ConsoleKeyHolder): AdminActor {
  return {
    kind: 'CONSOLE',
    keyId: holder.clientId,
    name: holder.name,
    audit: holder.audit,
    details: { clientId: holder.clientId, clientName: holder.name },
    grants: consoleGrants(holder.scopes),
  };
}

/**
 * Whether a value has the shape of a channel client key (`ohk_web_…`, `ohk_console_…`): such a value is never
 * an admin key (bootstrapAdminKey refuses it).
 */
export function hasChannelKeyPrefix(key: string): boolean {
  return CHANNEL_KEY_PREFIX.test(key);
}

/**
 * Looks up a CONSOLE client key: the client it belongs to, or null for an unknown or revoked key or one of
 * another channel. The channel layer owns its clients, so it passes this in (runtime/api-node.ts).
 */
export type ConsoleKeyLookup = (key: string) => Promise<ConsoleKeyHolder | null>;

/**
 * The keys of the admin API as one node checks them (a KeyGuard): admin keys and, when `consoleKeys` is
 * given, CONSOLE client keys. A value shaped as a channel key (`ohk_<channel>_`, as every client key is
 * issued) is looked up as a client key only, any other as an admin key only: one read per key, one look-up
 * budget per address for both. `requireAdmin` asks it, and the admin-key routes make it forget a key they
 * revoke or end (rotation with no grace) so this node refuses it at once.
 */
export function adminKeyGuard(
  deps: {
    db: Database;
    redis: Redis;
    redisPrefix: string;
    clock: { now(): Date };
    logger: Logger;
  },
  consoleKeys?: ConsoleKeyLookup,
): KeyGuard<AdminActor> {
  const asConsole = async (key: string): Promise<AdminActor | null> => {
    const holder = consoleKeys ? await consoleKeys(key) : null;
    return holder ? consoleActor(holder) : null;
  };
  return new KeyGuard<AdminActor>(deps, 'admin', async (key) => {
    if (hasChannelKeyPrefix(key)) return asConsole(key);
    return (await authenticateAdminKey(deps.db, key, deps.clock.now())) ?? null;
  });
}

/**
 * Express middleware: `Authorization: Bearer <admin key or CONSOLE client key>` or a 401/403 problem. Keys
 * are checked as channel keys are (a KeyGuard: remembered per node for 5 s, so a revoked key stops within
 * that; look-ups of keys a node does not know limited per source address, then 429 RATE_LIMITED); 503
 * UNAVAILABLE when PostgreSQL cannot check a key. A rotated key past its grace (expiresAt) is refused as a
 * revoked one is, within the same 5 s. What a CONSOLE key may reach is decided per route next
 * (console-access.ts).
 */
export function requireAdmin(deps: { config: { trustProxy: string[] } }, keys: KeyGuard<AdminActor>) {
  const addressOf = callerAddress(deps.config.trustProxy);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const key = bearerToken(req.header('authorization'), ADMIN_KEY_LENGTH);
    if (key === null)
      return next(
        new DomainError('UNAUTHENTICATED', 'Send an admin API key as "Authorization: Bearer <key>"'),
      );
    const actor = await keys.check(key, addressOf(req)).catch((e: unknown) => e);
    if (actor instanceof Error) return next(actor);
    if (!actor) return next(new DomainError('FORBIDDEN', 'This key is not a valid admin key or console key'));
    res.locals.actor = actor;
    next();
  };
}
