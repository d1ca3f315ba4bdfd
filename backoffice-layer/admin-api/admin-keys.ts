import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { displayName, DomainError, sha256, UuidSchema } from '../../shared/index.js';
import type { Database, Executor } from '../tables.js';
import { generateAdminKey } from './admin-auth.js';
import { defineRoute, type AdminRoute } from './admin-route.js';

/** How long a rotated key keeps working unless the rotation says otherwise: 24 hours. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;
/** The longest grace a rotation may give the key it replaces: 30 days. */
export const MAX_ROTATION_GRACE_SECONDS = 30 * 86_400;

/**
 * An admin key as the admin API shows it: never the key nor its hash. `status`: ACTIVE (works until revoked),
 * EXPIRING (rotated: works until `expiresAt`), EXPIRED, REVOKED. `current`: the key of the request that
 * asked.
 */
export const AdminKeyViewSchema = z.object({
  id: UuidSchema,
  name: z.string(),
  status: z.enum(['ACTIVE', 'EXPIRING', 'EXPIRED', 'REVOKED']),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
  rotatedFrom: UuidSchema.nullable().describe('The key this one replaced by rotation'),
  current: z.boolean().describe('Whether this is the key the request was sent with'),
});
export type AdminKeyView = z.infer<typeof AdminKeyViewSchema>;

const COLUMNS = ['id', 'name', 'createdAt', 'expiresAt', 'revokedAt', 'rotatedFrom'] as const;
type AdminKeyRow = {
  id: string;
  name: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  rotatedFrom: string | null;
};

function view(row: AdminKeyRow, now: Date, callerKeyId: string | undefined): AdminKeyView {
  const status = row.revokedAt
    ? 'REVOKED'
    : !row.expiresAt
      ? 'ACTIVE'
      : row.expiresAt > now
        ? 'EXPIRING'
        : 'EXPIRED';
  return {
    id: row.id,
    name: row.name,
    status,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    rotatedFrom: row.rotatedFrom,
    current: row.id === callerKeyId,
  };
}

/**
 * Every admin key, newest first, revoked and expired ones included. `callerKeyId` marks the caller's own key.
 */
export async function listAdminKeys(db: Database, now: Date, callerKeyId?: string): Promise<AdminKeyView[]> {
  const rows = await db
    .selectFrom('adminKeys')
    .select(COLUMNS)
    .orderBy('createdAt', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((r) => view(r, now, callerKeyId));
}

/** One admin key. @throws NOT_FOUND for an unknown id. */
export async function getAdminKey(
  db: Executor,
  id: string,
  now: Date,
  callerKeyId?: string,
): Promise<AdminKeyView> {
  const row = await db.selectFrom('adminKeys').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!row) throw new DomainError('NOT_FOUND', `No admin key ${id}`, { adminKeyId: id });
  return view(row, now, callerKeyId);
}

/**
 * Issues a new admin key (`ohk_admin_…`, shown only now; only its SHA-256 is stored) that works until
 * revoked.
 */
export async function createAdminKey(
  db: Database,
  name: string,
  now: Date,
  callerKeyId?: string,
): Promise<{ adminKey: AdminKeyView; key: string }> {
  const key = generateAdminKey();
  const id = randomUUID();
  await db
    .insertInto('adminKeys')
    .values({ id, name, keyHash: sha256(key), createdAt: now })
    .execute();
  return { adminKey: await getAdminKey(db, id, now, callerKeyId), key };
}

/**
 * Locks the admin keys that work until revoked (no expiry), so concurrent revocations queue here and the
 * check that one stays is made against what they left; returns their ids.
 */
async function lockLastingKeys(tx: Executor): Promise<string[]> {
  const rows = await tx
    .selectFrom('adminKeys')
    .select('id')
    .where('revokedAt', 'is', null)
    .where('expiresAt', 'is', null)
    .forUpdate()
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Revokes an admin key (idempotent: revoking again keeps the first time). The node whose route revokes it
 * forgets it at once; every other API node refuses it within
 * KEY_CACHE_MS (5 s). A key configured in OMNIHUB_ADMIN_KEY stays revoked when the hub restarts with it.
 * @throws NOT_FOUND for an unknown id; CONFLICT when it is the last key that works until revoked (keys in a
 *   rotation's grace expire, so they do not count): revoking it would lock every administrator out.
 */
export async function revokeAdminKey(
  db: Database,
  id: string,
  now: Date,
  callerKeyId?: string,
): Promise<AdminKeyView> {
  return db.transaction().execute(async (tx) => {
    const lasting = await lockLastingKeys(tx);
    const row = await tx
      .selectFrom('adminKeys')
      .select(COLUMNS)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new DomainError('NOT_FOUND', `No admin key ${id}`, { adminKeyId: id });
    if (row.revokedAt) return view(row, now, callerKeyId);
    if (lasting.length === 1 && lasting[0] === id) {
      throw new DomainError(
        'CONFLICT',
        'This is the last admin key that works until revoked: create or rotate to another key first',
        { adminKeyId: id },
      );
    }
    await tx.updateTable('adminKeys').set({ revokedAt: now }).where('id', '=', id).execute();
    return getAdminKey(tx, id, now, callerKeyId);
  });
}

/** How to rotate a key: the old key's grace, the new key's name, the instant, and who asks. */
export interface AdminKeyRotation {
  /**
   * Seconds the old key keeps working (0 ends it now: the node that rotates forgets the key at once, other
   * nodes within the 5 s key cache). The route defaults it to DEFAULT_ROTATION_GRACE_SECONDS (24 h) and caps
   * it at MAX_ROTATION_GRACE_SECONDS (30 days).
   */
  graceSeconds: number;
  /** The new key's name; the old key's name when absent. */
  name?: string;
  /** The instant of the rotation, from the injected clock. */
  now: Date;
  /** The key the request was sent with: the views mark it `current`. */
  callerKeyId?: string;
}

/**
 * Rotates an admin key: issues a new key (shown only now, named as the old one unless `name` is given,
 * `rotatedFrom` the old one) and lets the old one work for `graceSeconds` more or until it is revoked.
 * A key is rotated once: rotating it again (EXPIRING) is refused, naming its successor.
 * @throws NOT_FOUND for an unknown id; CONFLICT for a revoked or expired key, or one already rotated (details
 *   `successorKeyId`, `expiresAt`).
 */
export async function rotateAdminKey(
  db: Database,
  id: string,
  opts: AdminKeyRotation,
): Promise<{ adminKey: AdminKeyView; key: string; previous: AdminKeyView }> {
  const { now, callerKeyId } = opts;
  return db.transaction().execute(async (tx) => {
    await lockLastingKeys(tx);
    const row = await tx
      .selectFrom('adminKeys')
      .select(COLUMNS)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new DomainError('NOT_FOUND', `No admin key ${id}`, { adminKeyId: id });
    const old = view(row, now, callerKeyId);
    if (old.status === 'REVOKED' || old.status === 'EXPIRED')
      throw new DomainError(
        'CONFLICT',
        `Admin key ${id} is ${old.status.toLowerCase()}: create a new key instead`,
        { adminKeyId: id, status: old.status },
      );
    if (old.status === 'EXPIRING') {
      // Rotated already (the row lock above makes concurrent rotations of one key queue, so only the first
      // gets here with an ACTIVE key): one successor per key, and the first rotation's grace stands.
      const successor = await tx
        .selectFrom('adminKeys')
        .select('id')
        .where('rotatedFrom', '=', id)
        .orderBy('createdAt', 'desc')
        .limit(1)
        .executeTakeFirst();
      throw new DomainError(
        'CONFLICT',
        `Admin key ${id} was rotated already${successor ? ` (its successor is ${successor.id})` : ''}` +
          ` and works until ${old.expiresAt}: use the successor, or revoke this key to end it now`,
        {
          adminKeyId: id,
          status: old.status,
          successorKeyId: successor?.id ?? null,
          expiresAt: old.expiresAt,
        },
      );
    }
    const graceEnds = new Date(now.getTime() + opts.graceSeconds * 1000);
    await tx.updateTable('adminKeys').set({ expiresAt: graceEnds }).where('id', '=', id).execute();
    const key = generateAdminKey();
    const newId = randomUUID();
    await tx
      .insertInto('adminKeys')
      .values({
        id: newId,
        name: opts.name ?? row.name,
        keyHash: sha256(key),
        createdAt: now,
        rotatedFrom: id,
      })
      .execute();
    return {
      adminKey: await getAdminKey(tx, newId, now, callerKeyId),
      key,
      previous: await getAdminKey(tx, id, now, callerKeyId),
    };
  });
}

const KeyParams = z.strictObject({ id: UuidSchema });
const KeyName = displayName(200);
const AdminKeyResponse = z.object({ adminKey: AdminKeyViewSchema });
const IssuedKeyResponse = z.object({
  adminKey: AdminKeyViewSchema,
  key: z.string().describe('The admin key: shown only in this answer'),
});

/** `/admin/v1/admin-keys`: list, read, issue, rotate and revoke admin keys. */
export const adminKeyRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'get',
    path: '/admin-keys',
    tag: 'admin-keys',
    operationId: 'listAdminKeys',
    summary: 'Every admin key (never the key), newest first, revoked and expired ones included',
    response: z.object({ adminKeys: z.array(AdminKeyViewSchema) }),
    handle: async ({ deps, actor }) => ({
      adminKeys: await listAdminKeys(deps.db, deps.clock.now(), actor.keyId),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/admin-keys/:id',
    tag: 'admin-keys',
    operationId: 'getAdminKey',
    summary: 'One admin key (never the key)',
    params: KeyParams,
    response: AdminKeyResponse,
    handle: async ({ deps, params, actor }) => ({
      adminKey: await getAdminKey(deps.db, params.id, deps.clock.now(), actor.keyId),
    }),
  }),
  defineRoute({
    method: 'post',
    path: '/admin-keys',
    tag: 'admin-keys',
    operationId: 'createAdminKey',
    status: 201,
    summary: 'Issue an admin key that works until revoked; the key is shown only now',
    body: z.strictObject({ name: KeyName }),
    response: IssuedKeyResponse,
    handle: async ({ deps, body, actor }) =>
      createAdminKey(deps.db, body.name, deps.clock.now(), actor.keyId),
  }),
  defineRoute({
    method: 'post',
    path: '/admin-keys/:id/rotate',
    tag: 'admin-keys',
    operationId: 'rotateAdminKey',
    status: 201,
    errors: ['CONFLICT'],
    summary:
      'Rotate an admin key once: a new key (shown only now), and the old one keeps working for ' +
      'graceSeconds (default 86400, 24 h; at most 30 days; 0: ends now) or until revoked; ' +
      'a key rotated already answers 409 naming its successor',
    params: KeyParams,
    body: z
      .strictObject({
        graceSeconds: z
          .number()
          .int()
          .min(0)
          .max(MAX_ROTATION_GRACE_SECONDS)
          .default(DEFAULT_ROTATION_GRACE_SECONDS)
          .describe('How long the old key keeps working, in seconds'),
        name: KeyName.optional().describe('The new key\u2019s name; the old key\u2019s name when absent'),
      })
      .default({ graceSeconds: DEFAULT_ROTATION_GRACE_SECONDS }),
    response: IssuedKeyResponse.extend({ previous: AdminKeyViewSchema }),
    handle: async ({ deps, params, body, actor, forgetAdminKey }) => {
      const rotated = await rotateAdminKey(deps.db, params.id, {
        ...body,
        now: deps.clock.now(),
        callerKeyId: actor.keyId,
      });
      if (rotated.previous.status !== 'EXPIRING') forgetAdminKey(params.id);
      return rotated;
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/admin-keys/:id',
    tag: 'admin-keys',
    operationId: 'revokeAdminKey',
    errors: ['CONFLICT'],
    summary:
      'Revoke an admin key (idempotent): refused at once by the node that revokes it, ' +
      'by every other node within 5 s; the last key that works until revoked cannot be revoked (409)',
    params: KeyParams,
    response: AdminKeyResponse,
    handle: async ({ deps, params, actor, forgetAdminKey }) => {
      const adminKey = await revokeAdminKey(deps.db, params.id, deps.clock.now(), actor.keyId);
      forgetAdminKey(params.id);
      return { adminKey };
    },
  }),
];
