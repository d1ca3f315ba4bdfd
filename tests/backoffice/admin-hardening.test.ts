/**
 * The admin API's rules every route follows, held against what a hostile caller tries: a body that is not
 * JSON is refused (never read as "no body, use the defaults"); a key is rotated once, even by concurrent
 * calls; a query parameter a route does not name is refused; a problem never echoes the query string; names
 * hold no control or bidi characters; every problem, 404s included, has the one `type` scheme; the promotion
 * list's window counts `dateWindow` conditions; and a channel key can never become an admin key at start.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bootstrapAdminKey, createAdminKey, rotateAdminKey } from '../../backoffice-layer/index.js';
import { createChannelClient, isChannelClientKey } from '../../channel-layer/index.js';
import { startAdminNode, type AdminNode } from '../support/admin-node.js';
import { createBackofficeTestContext } from '../support/backoffice.js';
import { sha256 } from '../../shared/index.js';

let admin: AdminNode;
beforeAll(async () => {
  admin = await startAdminNode('hardening');
});
afterAll(async () => {
  await admin.close();
});

/**
 * A request with a body exactly as given (no JSON encoding; sent as bytes, so no content type is implied) and
 * its content type; `base` prefixes the path (default `/admin/v1`).
 */
async function raw(
  method: string,
  path: string,
  opts: { body: string; contentType?: string; base?: string },
): Promise<{ status: number; body: any }> {
  const { body, contentType, base = '/admin/v1' } = opts;
  const res = await fetch(`http://127.0.0.1:${admin.node.port}${base}${path}`, {
    method,
    body: body === '' ? undefined : new TextEncoder().encode(body),
    headers: {
      authorization: `Bearer ${admin.key}`,
      ...(contentType ? { 'content-type': contentType } : {}),
    },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('admin request bodies', () => {
  it('refuses a body that is not application/json with 400, and leaves the key as it was', async () => {
    const issued = await admin.call('POST', '/admin-keys', { body: { name: 'leaked' } });
    const id = issued.body.adminKey.id as string;
    for (const [body, type] of [
      ['graceSeconds=0', 'application/x-www-form-urlencoded'],
      ['{"graceSeconds":0}', 'text/plain'],
      ['{"graceSeconds":0}', undefined],
    ] as const) {
      const answer = await raw('POST', `/admin-keys/${id}/rotate`, { body, contentType: type });
      expect({ type, status: answer.status, code: answer.body.code }).toEqual({
        type,
        status: 400,
        code: 'BAD_USER_INPUT',
      });
      expect(answer.body.detail).toContain('application/json');
    }
    expect((await admin.call('GET', `/admin-keys/${id}`)).body.adminKey).toMatchObject({
      status: 'ACTIVE',
      expiresAt: null,
    });
    // The same rule on every JSON route, e.g. issuing a key.
    expect(
      (await raw('POST', '/admin-keys', { body: '{"name":"x"}', contentType: 'text/plain' })).status,
    ).toBe(400);
    // JSON with a charset is JSON; an optional body may still be left out.
    expect(
      (
        await raw('POST', `/admin-keys/${id}/rotate`, {
          body: '{"graceSeconds":0}',
          contentType: 'application/json; charset=utf-8',
        })
      ).status,
    ).toBe(201);
    const other = await admin.call('POST', '/admin-keys', { body: { name: 'no body' } });
    expect((await admin.call('POST', `/admin-keys/${other.body.adminKey.id}/rotate`)).status).toBe(201);
  });
});

describe('rotating an admin key', () => {
  it(
    'rotates a key once: a second rotation is refused with 409 naming the successor, and its grace is ' +
      'not applied',
    async () => {
      const issued = await admin.call('POST', '/admin-keys', { body: { name: 'twice' } });
      const id = issued.body.adminKey.id as string;
      const first = await admin.call('POST', `/admin-keys/${id}/rotate`, { body: { graceSeconds: 3600 } });
      expect(first.status).toBe(201);
      const second = await admin.call('POST', `/admin-keys/${id}/rotate`, { body: { graceSeconds: 0 } });
      expect(second.status).toBe(409);
      expect(second.body).toMatchObject({
        code: 'CONFLICT',
        successorKeyId: first.body.adminKey.id,
        status: 409,
      });
      expect(second.body.detail).toContain(first.body.adminKey.id);
      expect((await admin.call('GET', `/admin-keys/${id}`)).body.adminKey).toMatchObject({
        status: 'EXPIRING',
        expiresAt: first.body.previous.expiresAt,
      });
      // Still works for its grace: the refused rotation did not end it.
      expect((await admin.call('GET', '/admin-keys', { key: issued.body.key })).status).toBe(200);
    },
  );

  it(
    'lets exactly one of five concurrent rotations of one key through; the others get 409 naming its ' +
      'successor',
    async () => {
      const issued = await admin.call('POST', '/admin-keys', { body: { name: 'raced' } });
      const id = issued.body.adminKey.id as string;
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => admin.call('POST', `/admin-keys/${id}/rotate`)),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
      const winner = answers.find((a) => a.status === 201)!;
      for (const a of answers.filter((x) => x.status === 409))
        expect(a.body.successorKeyId).toBe(winner.body.adminKey.id);
      const successors = (await admin.call('GET', '/admin-keys')).body.adminKeys.filter(
        (k: { rotatedFrom: string | null }) => k.rotatedFrom === id,
      );
      expect(successors).toHaveLength(1);
    },
  );

  it('refuses a rotation of a key rotated already also when called directly', async () => {
    const now = new Date();
    const key = await createAdminKey(admin.ctx.deps.db, 'direct', now);
    const rotated = await rotateAdminKey(admin.ctx.deps.db, key.adminKey.id, { graceSeconds: 60, now });
    await expect(
      rotateAdminKey(admin.ctx.deps.db, key.adminKey.id, { graceSeconds: 0, now }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { successorKeyId: rotated.adminKey.id } });
  });
});

describe('admin query parameters', () => {
  it(
    'refuses a query parameter a route does not name with 400 naming it, on routes with and without a ' +
      'query',
    async () => {
      for (const path of [
        '/locations?x=1',
        '/admin-keys?x=1',
        '/clients?x=1',
        '/loyalty/tiers?x=1',
        '/promotions?x=1',
        '/price-lists?x=1',
      ]) {
        const answer = await admin.call('GET', path);
        expect({ path, status: answer.status, code: answer.body.code, issues: answer.body.issues }).toEqual({
          path,
          status: 400,
          code: 'BAD_USER_INPUT',
          issues: [{ path: 'query.x', message: expect.any(String) }],
        });
      }
      expect((await admin.call('GET', '/locations')).status).toBe(200);
      expect((await admin.call('GET', '/promotions?limit=5')).status).toBe(200);
    },
  );
});

describe('admin problem documents', () => {
  it('name the path as instance, never the query string with what was searched for', async () => {
    const answer = await admin.call('GET', '/customers?kind=EMAIL&identifier=NK100001');
    expect(answer.status).toBe(400);
    expect(answer.body.instance).toBe('/admin/v1/customers');
    expect(answer.text).not.toContain('identifier=NK100001');
  });

  it('use the one problem type scheme, for 404s of the admin router and of the HTTP app too', async () => {
    const adminMissing = await admin.call('GET', '/no-such-route');
    expect(adminMissing.status).toBe(404);
    expect(adminMissing.body).toMatchObject({
      type: 'https://omnihub.dev/problems/not-found',
      code: 'NOT_FOUND',
      instance: '/admin/v1/no-such-route',
    });
    const appMissing = await raw('GET', '/no-such-route', { body: '', base: '' });
    expect(appMissing.status).toBe(404);
    expect(appMissing.body).toMatchObject({
      type: 'https://omnihub.dev/problems/not-found',
      code: 'NOT_FOUND',
      instance: '/no-such-route',
    });
    const bad = await admin.call('GET', '/admin-keys/not-a-uuid');
    expect(bad.body.type).toBe('https://omnihub.dev/problems/bad-user-input');
  });
});

describe('names in admin bodies', () => {
  it(
    'refuses control and bidi formatting characters in key, client, location and promotion names with ' +
      '400 naming the field',
    async () => {
      const evil = [
        'ops\nadmin:bootstrap \u202e<script>',
        'tab\there',
        'del\u007f',
        'c1\u0085',
        'lrm\u200e',
        'isolate\u2066x\u2069',
        'alm\u061c',
      ];
      for (const name of evil) {
        const answer = await admin.call('POST', '/admin-keys', { body: { name } });
        expect({ name, status: answer.status, path: answer.body.issues?.[0]?.path }).toEqual({
          name,
          status: 400,
          path: 'body.name',
        });
      }
      const issued = await admin.call('POST', '/admin-keys', { body: { name: 'plain' } });
      expect(
        (
          await admin.call('POST', `/admin-keys/${issued.body.adminKey.id}/rotate`, {
            body: { name: 'x\u202ey' },
          })
        ).body.issues[0].path,
      ).toBe('body.name');
      expect(
        (await admin.call('POST', '/clients', { body: { channel: 'WEB', name: 'web\u2067' } })).body.issues[0]
          .path,
      ).toBe('body.name');
      expect(
        (await admin.call('PUT', '/locations/wh-evil', { body: { name: 'wh\r\nX', kind: 'WAREHOUSE' } })).body
          .issues[0].path,
      ).toBe('body.name');
      expect(
        (
          await admin.call('PUT', '/promotions/evil', {
            body: { rule: { label: 'ten\u202eoff', action: { kind: 'percentOff', percentBp: 1000 } } },
          })
        ).body.issues[0].path,
      ).toBe('body.rule.label');
      // Names in other scripts, with spaces and punctuation, stay welcome.
      expect(
        (await admin.call('POST', '/admin-keys', { body: { name: 'Ops – Zoë, אבג 日本' } })).status,
      ).toBe(201);
      const audit = await admin.ctx.deps.db.selectFrom('auditLog').select('actor').execute();
      expect(audit.every((a) => !/[\u0000-\u001f\u202e]/.test(a.actor))).toBe(true);
    },
  );
});

describe('the promotion list window', () => {
  it(
    'is where validFrom/validTo and every dateWindow condition overlap, and says when a schedule recurs ' +
      'within it',
    async () => {
      const put = (id: string, rule: Record<string, unknown>) =>
        admin.call('PUT', `/promotions/${id}`, {
          body: { rule: { label: id, action: { kind: 'percentOff', percentBp: 500 }, ...rule } },
        });
      expect(
        (
          await put('dw-past', {
            conditions: [{ kind: 'dateWindow', from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z' }],
          })
        ).status,
      ).toBe(200);
      expect(
        (await put('dw-future', { conditions: [{ kind: 'dateWindow', from: '2099-01-01T00:00:00Z' }] }))
          .status,
      ).toBe(200);
      expect(
        (
          await put('dw-overlap', {
            validFrom: '2020-01-01T00:00:00Z',
            validTo: '2099-06-01T00:00:00Z',
            conditions: [{ kind: 'dateWindow', from: '2019-01-01T00:00:00Z', to: '2098-12-14T00:00:00Z' }],
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await put('dw-schedule', {
            conditions: [
              { kind: 'schedule', days: [6, 7], from: '09:00', to: '12:00', timeZone: 'Europe/Amsterdam' },
            ],
          })
        ).status,
      ).toBe(200);
      const listed = (await admin.call('GET', '/promotions?limit=500')).body.promotions as Array<
        Record<string, unknown>
      >;
      const byId = (id: string) => listed.find((p) => p.id === id);
      expect(byId('dw-past')).toMatchObject({
        window: 'ENDED',
        validFrom: '2020-01-01T00:00:00.000Z',
        validTo: '2020-02-01T00:00:00.000Z',
        recurring: false,
      });
      expect(byId('dw-future')).toMatchObject({
        window: 'SCHEDULED',
        validFrom: '2099-01-01T00:00:00.000Z',
        validTo: null,
      });
      expect(byId('dw-overlap')).toMatchObject({
        window: 'RUNNING',
        validFrom: '2020-01-01T00:00:00.000Z',
        validTo: '2098-12-14T00:00:00.000Z',
      });
      expect(byId('dw-schedule')).toMatchObject({
        window: 'RUNNING',
        validFrom: null,
        validTo: null,
        recurring: true,
      });
    },
  );
});

describe('the configured admin key at start', () => {
  it(
    'refuses a channel client key (by its prefix, or a registered client key) with a clear error, and ' +
      'registers nothing',
    async () => {
      const fresh = await createBackofficeTestContext();
      try {
        const web = await createChannelClient(fresh.deps.db, { channel: 'WEB', scopes: [] }, new Date());
        // The channel layer tells the backoffice which keys are its clients' (as bin/omnihub.ts does).
        const isChannelKey = (key: string) => isChannelClientKey(fresh.deps.db, key);
        for (const value of [web.key, 'ohk_store_made-up-but-shaped-like-a-terminal-key']) {
          await expect(
            bootstrapAdminKey(fresh.deps.db, value, new Date(), { isChannelKey }),
          ).rejects.toMatchObject({
            code: 'BAD_USER_INPUT',
            message: expect.stringContaining('OMNIHUB_ADMIN_KEY holds a channel client key'),
          });
        }
        // A client registered with a key of another shape (an older release's) is refused too.
        await fresh.deps.db
          .insertInto('channelClients')
          .values({
            id: '00000000-0000-4000-8000-000000000001',
            name: 'legacy',
            channel: 'WEB',
            locationId: null,
            scopes: [],
            keyHash: sha256('legacy-web-key-0123456789'),
            createdAt: new Date(),
            revokedAt: null,
          })
          .execute();
        await expect(
          bootstrapAdminKey(fresh.deps.db, 'legacy-web-key-0123456789', new Date(), { isChannelKey }),
        ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
        expect(await fresh.deps.db.selectFrom('adminKeys').select('id').execute()).toEqual([]);
      } finally {
        await fresh.close();
      }
    },
  );

  it('starts with a configured key that was rotated out, reporting it EXPIRED and warning', async () => {
    const fresh = await createBackofficeTestContext();
    try {
      const t0 = new Date('2026-12-01T10:00:00Z');
      const configured = 'configured-then-rotated-0123456789';
      expect(await bootstrapAdminKey(fresh.deps.db, configured, t0)).toEqual({ configured: 'ACTIVE' });
      const [row] = await fresh.deps.db.selectFrom('adminKeys').select('id').execute();
      await rotateAdminKey(fresh.deps.db, row!.id, { graceSeconds: 60, now: t0 });
      const warnings: string[] = [];
      const later = new Date('2026-12-01T11:00:00Z');
      expect(
        await bootstrapAdminKey(fresh.deps.db, configured, later, {
          logger: {
            warn: (_o: unknown, m?: string) => {
              warnings.push(m ?? '');
            },
          },
        }),
      ).toEqual({ configured: 'EXPIRED' });
      expect(warnings).toEqual([expect.stringContaining('OMNIHUB_ADMIN_KEY is expired')]);
    } finally {
      await fresh.close();
    }
  });
});
