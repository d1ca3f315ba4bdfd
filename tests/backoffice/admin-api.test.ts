import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bootstrapAdminKey, authenticateAdminKey } from '../../backoffice-layer/index.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../support/backoffice.js';

let ctx: BackofficeTestContext;
let api: AdminClient;
beforeAll(async () => {
  ctx = await createBackofficeTestContext();
  api = await startAdminApi(ctx);
});
afterAll(async () => {
  await api.close();
  await ctx.close();
});

describe('admin REST conventions', () => {
  it('publishes an OpenAPI document listing the routes, to admin keys only', async () => {
    const res = await api.request('GET', '/admin/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/admin/v1/audit']).toBeDefined();
    const none = await fetch(`${api.baseUrl}/admin/v1/openapi.json`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    expect(((await none.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
  });

  it('answers 401 without a key and 403 with a wrong one, as problem+json', async () => {
    const none = await fetch(`${api.baseUrl}/admin/v1/audit`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    expect(((await none.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    const wrong = await api.request('GET', '/admin/v1/audit', undefined, {
      authorization: 'Bearer not-a-real-key-at-all',
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('FORBIDDEN');
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await api.request('GET', '/admin/v1/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it(
    'serves health and readiness openly, and metrics to no one without a metrics token ' +
      '(tests/ops/metrics-access)',
    async () => {
      expect((await fetch(`${api.baseUrl}/healthz`)).status).toBe(200);
      const ready = await fetch(`${api.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ready',
        postgres: true,
        redis: true,
        migrations: true,
        draining: false,
      });
      const metrics = await api.request('GET', '/metrics');
      expect(metrics.status).toBe(401);
      expect(metrics.body.code).toBe('UNAUTHENTICATED');
    },
  );

  it('filters the audit trail with a validated query', async () => {
    const bad = await api.request('GET', '/admin/v1/audit?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_USER_INPUT');
    const ok = await api.request('GET', '/admin/v1/audit?limit=5');
    expect(ok.status).toBe(200);
    expect(Array.isArray(ok.body.entries)).toBe(true);
  });
});

describe('admin key bootstrap', () => {
  it('registers a configured key, and generates one only when none exists', async () => {
    const fresh = await createBackofficeTestContext();
    try {
      const first = await bootstrapAdminKey(fresh.deps.db, undefined, new Date());
      expect(first.generated).toMatch(/^ohk_admin_/);
      expect(await authenticateAdminKey(fresh.deps.db, first.generated!)).toMatchObject({
        name: 'bootstrap',
      });
      expect((await bootstrapAdminKey(fresh.deps.db, undefined, new Date())).generated).toBeUndefined();
      await bootstrapAdminKey(fresh.deps.db, 'configured-key-0123456789', new Date());
      expect(await authenticateAdminKey(fresh.deps.db, 'configured-key-0123456789')).toMatchObject({
        name: 'OMNIHUB_ADMIN_KEY',
      });
      const stored = await fresh.deps.db.selectFrom('adminKeys').select('keyHash').execute();
      expect(stored.map((r) => r.keyHash)).not.toContain('configured-key-0123456789');
    } finally {
      await fresh.close();
    }
  });
});
