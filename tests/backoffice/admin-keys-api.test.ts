/**
 * Admin keys through the admin API: listed and read without their secret, issued once, rotated with a grace
 * period, revoked (idempotent) — and the last key that works until revoked cannot be revoked, so nobody locks
 * everyone out. A revoked key, or one rotated out with no grace, is refused at once by the node that did it
 * (other nodes: within their key cache's time, 5 s).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  authenticateAdminKey,
  bootstrapAdminKey,
  createAdminKey,
  listAdminKeys,
  registerAdminKey,
  revokeAdminKey,
  rotateAdminKey,
} from '../../backoffice-layer/index.js';
import { startApiNode } from '../../channel-layer/index.js';
import { startAdminNode, type AdminNode } from '../support/admin-node.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

let admin: AdminNode;
let ctx: BackofficeTestContext;
beforeAll(async () => {
  admin = await startAdminNode('first');
  ctx = admin.ctx;
});
afterAll(async () => {
  await admin.close();
});

const call = (method: string, path: string, opts: { key?: string; body?: unknown } = {}) =>
  admin.call(method, path, opts);

describe('admin keys over REST', () => {
  it('issues a key once, then lists and reads it without the key or its hash', async () => {
    const created = await call('POST', '/admin-keys', { body: { name: 'integrator' } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^ohk_admin_/);
    expect(created.body.adminKey).toMatchObject({
      name: 'integrator',
      status: 'ACTIVE',
      expiresAt: null,
      revokedAt: null,
      rotatedFrom: null,
      current: false,
    });
    const id = created.body.adminKey.id as string;
    expect((await call('GET', '/admin-keys', { key: created.body.key })).status).toBe(200);

    const list = await call('GET', '/admin-keys');
    expect(list.status).toBe(200);
    expect(list.body.adminKeys.map((k: { name: string }) => k.name)).toEqual(
      expect.arrayContaining(['first', 'integrator']),
    );
    expect(list.body.adminKeys.find((k: { name: string }) => k.name === 'first').current).toBe(true);
    expect(list.text).not.toContain(created.body.key);
    expect(list.text).not.toMatch(/keyHash|key_hash/);

    const one = await call('GET', `/admin-keys/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.adminKey).toEqual(created.body.adminKey);
    expect(Object.keys(one.body.adminKey).sort()).toEqual([
      'createdAt',
      'current',
      'expiresAt',
      'id',
      'name',
      'revokedAt',
      'rotatedFrom',
      'status',
    ]);
  });

  it('refuses bad input with stable codes and answers unknown ids with 404', async () => {
    const noName = await call('POST', '/admin-keys', { body: {} });
    expect(noName.status).toBe(400);
    expect(noName.body.code).toBe('BAD_USER_INPUT');
    expect(noName.body.issues[0].path).toBe('body.name');
    expect((await call('POST', '/admin-keys', { body: { name: 'x', extra: 1 } })).status).toBe(400);
    const badId = await call('GET', '/admin-keys/not-a-uuid');
    expect(badId.status).toBe(400);
    expect(badId.body.issues[0].path).toBe('path.id');
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', `/admin-keys/${unknown}`],
      ['DELETE', `/admin-keys/${unknown}`],
      ['POST', `/admin-keys/${unknown}/rotate`],
    ] as const) {
      const res = await call(method, path);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    const badGrace = await call('POST', `/admin-keys/${unknown}/rotate`, { body: { graceSeconds: -1 } });
    expect(badGrace.status).toBe(400);
    expect(badGrace.body.issues[0].path).toBe('body.graceSeconds');
  });

  it('revokes a key (idempotently, on record): the node that revoked it refuses it at once', async () => {
    const created = await call('POST', '/admin-keys', { body: { name: 'to revoke' } });
    const { id } = created.body.adminKey as { id: string };
    expect((await call('GET', '/admin-keys', { key: created.body.key })).status).toBe(200);
    const revoked = await call('DELETE', `/admin-keys/${id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.adminKey).toMatchObject({ id, status: 'REVOKED' });
    const again = await call('DELETE', `/admin-keys/${id}`);
    expect(again.status).toBe(200);
    expect(again.body.adminKey.revokedAt).toBe(revoked.body.adminKey.revokedAt);
    // The node that revoked it forgets it at once, though it answered with it a moment ago (no 5 s key cache
    // here).
    expect((await call('GET', '/admin-keys', { key: created.body.key })).status).toBe(403);
    const audit = await ctx.deps.db
      .selectFrom('auditLog')
      .select(['actor', 'action', 'subject', 'details'])
      .where('subject', '=', `/admin-keys/${id}`)
      .execute();
    expect(audit[0]).toMatchObject({ actor: 'admin:first', action: 'DELETE /admin-keys/:id' });
    expect(audit[0]!.details).toHaveProperty('adminKeyId');
  });

  it(
    'rotates a key: a new key at once, the old one working for its grace period, or not at all with a ' +
      'grace of 0',
    async () => {
      const created = await call('POST', '/admin-keys', { body: { name: 'rotating' } });
      const rotated = await call('POST', `/admin-keys/${created.body.adminKey.id}/rotate`, {
        key: created.body.key,
      });
      expect(rotated.status).toBe(201);
      expect(rotated.body.key).toMatch(/^ohk_admin_/);
      expect(rotated.body.adminKey).toMatchObject({
        name: 'rotating',
        status: 'ACTIVE',
        rotatedFrom: created.body.adminKey.id,
      });
      expect(rotated.body.previous).toMatchObject({
        id: created.body.adminKey.id,
        status: 'EXPIRING',
        current: true,
      });
      // The default grace: 24 hours from now.
      const graceMs =
        Date.parse(rotated.body.previous.expiresAt) - Date.parse(rotated.body.previous.createdAt);
      expect(graceMs).toBeGreaterThan(23 * 3600_000);
      expect(graceMs).toBeLessThanOrEqual(24 * 3600_000 + 60_000);
      expect((await call('GET', '/admin-keys', { key: created.body.key })).status).toBe(200);
      expect((await call('GET', '/admin-keys', { key: rotated.body.key })).status).toBe(200);

      // Rotated with no grace: the key it replaces stops at once on this node (it forgets what it remembered
      // of it, though it answered a moment ago); the newest works.
      const now = await call('POST', `/admin-keys/${rotated.body.adminKey.id}/rotate`, {
        body: { graceSeconds: 0, name: 'rotating, second' },
      });
      expect(now.status).toBe(201);
      expect(now.body.adminKey.name).toBe('rotating, second');
      expect((await call('GET', '/admin-keys', { key: rotated.body.key })).status).toBe(403);
      expect((await call('GET', '/admin-keys', { key: now.body.key })).status).toBe(200);
      expect((await call('GET', `/admin-keys/${rotated.body.adminKey.id}`)).body.adminKey.status).toBe(
        'EXPIRED',
      );
      // An expired or revoked key cannot be rotated again.
      const refused = await call('POST', `/admin-keys/${rotated.body.adminKey.id}/rotate`);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('CONFLICT');
    },
  );

  it(
    'refuses to revoke the last key that works until revoked (409), counting keys in a grace period as ' +
      'going',
    async () => {
      const fresh = await createBackofficeTestContext();
      const only = 'admin-keys-api-only-key-0123456789';
      await registerAdminKey(fresh.deps.db, only, 'only', new Date());
      const lone = await startApiNode(fresh.deps, 0, '127.0.0.1');
      const req = async (method: string, path: string, key = only) => {
        const res = await fetch(`http://127.0.0.1:${lone.port}/admin/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${key}` },
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      try {
        const [mine] = (await req('GET', '/admin-keys')).body.adminKeys;
        const last = await req('DELETE', `/admin-keys/${mine.id}`);
        expect(last.status).toBe(409);
        expect(last.body.code).toBe('CONFLICT');
        // Rotated: the old key is only going, so the new one is now the last that stays.
        const rotated = await req('POST', `/admin-keys/${mine.id}/rotate`);
        expect(rotated.status).toBe(201);
        expect((await req('DELETE', `/admin-keys/${rotated.body.adminKey.id}`)).status).toBe(409);
        // Revoking the going one is fine: the new one stays.
        expect((await req('DELETE', `/admin-keys/${mine.id}`, rotated.body.key)).status).toBe(200);
      } finally {
        await lone.stop(100);
        await fresh.close();
      }
    },
  );

  it('lets concurrent revocations of the last two keys leave one working', async () => {
    const fresh = await createBackofficeTestContext();
    try {
      const a = await createAdminKey(fresh.deps.db, 'a', new Date());
      const b = await createAdminKey(fresh.deps.db, 'b', new Date());
      const results = await Promise.allSettled([
        revokeAdminKey(fresh.deps.db, a.adminKey.id, new Date()),
        revokeAdminKey(fresh.deps.db, b.adminKey.id, new Date()),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const live = await fresh.deps.db
        .selectFrom('adminKeys')
        .select('id')
        .where('revokedAt', 'is', null)
        .execute();
      expect(live).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });

  it(
    'keeps a revoked OMNIHUB_ADMIN_KEY revoked when the hub starts with it again, and then generates ' +
      'none while another key works',
    async () => {
      const fresh = await createBackofficeTestContext();
      try {
        const configured = 'configured-admin-key-0123456789';
        await bootstrapAdminKey(fresh.deps.db, configured, new Date());
        await createAdminKey(fresh.deps.db, 'replacement', new Date());
        const [env] = (await listAdminKeys(fresh.deps.db, new Date())).filter(
          (k) => k.name === 'OMNIHUB_ADMIN_KEY',
        );
        await revokeAdminKey(fresh.deps.db, env!.id, new Date());
        const warnings: string[] = [];
        expect(
          await bootstrapAdminKey(fresh.deps.db, configured, new Date(), {
            logger: {
              warn: (_o: unknown, m?: string) => {
                warnings.push(m ?? '');
              },
            },
          }),
        ).toEqual({ configured: 'REVOKED' });
        expect(warnings).toEqual([expect.stringContaining('OMNIHUB_ADMIN_KEY is revoked')]);
        expect(await authenticateAdminKey(fresh.deps.db, configured)).toBeUndefined();
        expect((await bootstrapAdminKey(fresh.deps.db, undefined, new Date())).generated).toBeUndefined();
      } finally {
        await fresh.close();
      }
    },
  );

  it(
    'refuses a rotated key once its grace has passed, by the injected clock, and generates a key at ' +
      'start when none works',
    async () => {
      const fresh = await createBackofficeTestContext();
      try {
        const t0 = new Date('2026-12-01T10:00:00Z');
        const a = await createAdminKey(fresh.deps.db, 'a', t0);
        const rotated = await rotateAdminKey(fresh.deps.db, a.adminKey.id, { graceSeconds: 3600, now: t0 });
        expect(rotated.previous.expiresAt).toBe('2026-12-01T11:00:00.000Z');
        expect(
          await authenticateAdminKey(fresh.deps.db, a.key, new Date('2026-12-01T10:59:59Z')),
        ).toMatchObject({ name: 'a' });
        expect(
          await authenticateAdminKey(fresh.deps.db, a.key, new Date('2026-12-01T11:00:00Z')),
        ).toBeUndefined();
        expect(
          await authenticateAdminKey(fresh.deps.db, rotated.key, new Date('2027-12-01T11:00:00Z')),
        ).toMatchObject({ name: 'a' });
        expect(
          (await listAdminKeys(fresh.deps.db, new Date('2026-12-01T12:00:00Z'))).map((k) => k.status).sort(),
        ).toEqual(['ACTIVE', 'EXPIRED']);
        expect((await bootstrapAdminKey(fresh.deps.db, undefined, t0)).generated).toBeUndefined();
        // No key works (only reachable by hand in the database: the API always leaves one): the next start
        // makes one.
        await fresh.deps.db.updateTable('adminKeys').set({ expiresAt: t0 }).execute();
        expect(
          (await bootstrapAdminKey(fresh.deps.db, undefined, new Date('2026-12-01T12:00:00Z'))).generated,
        ).toMatch(/^ohk_admin_/);
      } finally {
        await fresh.close();
      }
    },
  );
});
