import { randomBytes, randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { callerAddress, DomainError, KeyGuard, sha256, type Database, type Logger, type Redis } from '../../shared/index.js';
import type { AdminActor } from './admin-route.js';

/** Admin keys are random 32-byte secrets; only their SHA-256 is stored. */
export function generateAdminKey(): string {
  return `ohk_admin_${randomBytes(32).toString('base64url')}`;
}

/** Stores a key's hash; idempotent for the same key. */
export async function registerAdminKey(db: Database, key: string, name: string, now: Date): Promise<void> {
  await db.insertInto('adminKeys').values({ id: randomUUID(), name, keyHash: sha256(key), createdAt: now })
    .onConflict((oc) => oc.column('keyHash').doNothing()).execute();
}

/**
 * The admin-key bootstrap of API.md: a key given in OMNIHUB_ADMIN_KEY is registered (a value that was revoked or
 * rotated out stays so: registering it again does not revive it); with none and no working key (none unrevoked and
 * unexpired), one is generated and returned so the caller can print it once.
 */
export async function bootstrapAdminKey(db: Database, configured: string | undefined, now: Date): Promise<{ generated?: string }> {
  if (configured) {
    await registerAdminKey(db, configured, 'OMNIHUB_ADMIN_KEY', now);
    return {};
  }
  const any = await db.selectFrom('adminKeys').select('id').where('revokedAt', 'is', null)
    .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)])).limit(1).executeTakeFirst();
  if (any) return {};
  const key = generateAdminKey();
  await registerAdminKey(db, key, 'bootstrap', now);
  return { generated: key };
}

/** The admin a key stands for at `now`, or undefined for an unknown, revoked or expired (rotated out) key. */
export async function authenticateAdminKey(db: Database, key: string, now: Date = new Date()): Promise<AdminActor | undefined> {
  const row = await db.selectFrom('adminKeys').select(['id', 'name']).where('keyHash', '=', sha256(key)).where('revokedAt', 'is', null)
    .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)])).executeTakeFirst();
  return row ? { keyId: row.id, name: row.name } : undefined;
}

/**
 * Express middleware: `Authorization: Bearer <admin key>` or a 401/403 problem. Admin keys are checked as channel
 * keys are (a KeyGuard: remembered per node for 5 s, so a revoked key stops within that; look-ups of keys a node does
 * not know limited per source address, then 429 RATE_LIMITED); 503 UNAVAILABLE when PostgreSQL cannot check a key.
 * A rotated key past its grace (expiresAt) is refused as a revoked one is, within the same 5 s.
 */
export function requireAdmin(deps: { db: Database; redis: Redis; redisPrefix: string; clock: { now(): Date }; logger: Logger; config: { trustProxy: string[] } }) {
  const keys = new KeyGuard<AdminActor>(deps, 'admin', async (key) => (await authenticateAdminKey(deps.db, key, deps.clock.now())) ?? null);
  const addressOf = callerAddress(deps.config.trustProxy);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S{1,512})$/i.exec(header);
    if (!m) return next(new DomainError('UNAUTHENTICATED', 'Send an admin API key as "Authorization: Bearer <key>"'));
    const actor = await keys.check(m[1]!, addressOf(req)).catch((e: unknown) => e);
    if (actor instanceof Error) return next(actor);
    if (!actor) return next(new DomainError('FORBIDDEN', 'This key is not a valid admin key'));
    res.locals.actor = actor;
    next();
  };
}
