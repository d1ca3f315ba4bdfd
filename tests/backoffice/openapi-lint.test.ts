/**
 * The admin API's OpenAPI document, as every API node serves it, passes a real OpenAPI linter (Redocly's
 * recommended rules, run offline) with no error and no warning; every operation names its operationId,
 * success schema and a described tag; the promotion rule is a union chosen by kind; and what the routes
 * answer fits their response schemas.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { ADMIN_TAGS, buildOpenApi } from '../../backoffice-layer/admin-api/openapi.js';
import { backofficeAdminRoutes, type AdminRoute } from '../../backoffice-layer/index.js';
import { channelAdminRoutes } from '../../channel-layer/index.js';
import { ACTIONS, CONDITIONS, enrollCustomer, journeyAdminRoutes } from '../../journey-layer/index.js';
import { seedCoat } from '../support/channel.js';
import { startAdminNode, type AdminNode } from '../support/admin-node.js';

const ROUTES: readonly AdminRoute[] = [
  ...backofficeAdminRoutes,
  ...journeyAdminRoutes,
  ...channelAdminRoutes,
];
let admin: AdminNode;
let served: Record<string, any>;
beforeAll(async () => {
  admin = await startAdminNode('openapi');
  served = (await admin.call('GET', '/openapi.json')).body as Record<string, any>;
});
afterAll(async () => {
  await admin.close();
});

describe('the admin OpenAPI document', () => {
  it(
    'is what the routes build, and lints clean with the ' + 'recommended rules: no error, no warning',
    async () => {
      expect(served).toEqual(buildOpenApi(ROUTES, '1.0.0'));
      // The recommended ruleset as it ships: no rule is switched off or down.
      const config = await createConfig({ extends: ['recommended'] });
      const problems = await lintFromString({
        source: JSON.stringify(served),
        absoluteRef: 'openapi.json',
        config,
      });
      expect(
        problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`),
      ).toEqual([]);
    },
  );

  it('names for every operation a unique camelCase operationId, a success schema and a described tag', () => {
    for (const r of ROUTES) {
      expect({
        route: `${r.method} ${r.path}`,
        operationId: r.operationId,
        hasResponse: !!r.response,
        tagDescribed: !!ADMIN_TAGS[r.tag],
      }).toEqual({
        route: `${r.method} ${r.path}`,
        operationId: expect.stringMatching(/^[a-z][A-Za-z0-9]+$/),
        hasResponse: true,
        tagDescribed: true,
      });
    }
    const ids = ROUTES.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(served.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    expect(served.tags.every((t: { description?: string }) => t.description)).toBe(true);
  });

  it(
    'documents the Idempotency-Key header where a route honours it, and the problem answers of ' +
      'each operation',
    () => {
      const headerOf = (path: string, method: string) =>
        served.paths[path][method].parameters.filter(
          (p: { $ref?: string }) => p.$ref === '#/components/parameters/IdempotencyKey',
        );
      expect(headerOf('/admin/v1/stock/movements', 'post')).toHaveLength(1);
      expect(headerOf('/admin/v1/reservations', 'post')).toHaveLength(1);
      expect(headerOf('/admin/v1/admin-keys', 'post')).toHaveLength(0);
      expect(served.components.parameters.IdempotencyKey).toMatchObject({
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
      });
      expect(Object.keys(served.paths['/admin/v1/admin-keys/{id}'].delete.responses)).toEqual([
        '200',
        '400',
        '401',
        '403',
        '404',
        '409',
        '429',
        '503',
        'default',
      ]);
      // Every route can refuse an unknown query parameter with 400, so every route declares it.
      expect(Object.keys(served.paths['/admin/v1/admin-keys'].get.responses)).toEqual([
        '200',
        '400',
        '401',
        '403',
        '429',
        '503',
        'default',
      ]);
      for (const [path, methods] of Object.entries(
        served.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>,
      )) {
        for (const [method, op] of Object.entries(methods))
          expect({ route: `${method} ${path}`, has400: '400' in op.responses }).toEqual({
            route: `${method} ${path}`,
            has400: true,
          });
      }
      expect(served.components.responses.Conflict.content).toHaveProperty(['application/problem+json']);
    },
  );

  it('describes the promotion rule as a union of every condition and action kind, chosen by kind', () => {
    const resolve = (ref: string) => served.components.schemas[ref.replace('#/components/schemas/', '')];
    const kinds = (name: string) =>
      (served.components.schemas[name].oneOf as Array<{ $ref: string }>)
        .map((o) => resolve(o.$ref).properties.kind.const as string)
        .sort();
    expect(kinds('ActionInput')).toEqual(ACTIONS.map((a) => a.kind).sort());
    expect(kinds('ConditionInput')).toEqual(CONDITIONS.map((c) => c.kind).sort());
    // Each union says it is chosen by `kind`, and maps every kind to its branch.
    for (const [name, all] of [
      ['ConditionInput', CONDITIONS],
      ['Condition', CONDITIONS],
      ['ActionInput', ACTIONS],
      ['Action', ACTIONS],
    ] as const) {
      const union = served.components.schemas[name];
      expect(union.discriminator.propertyName).toBe('kind');
      expect(Object.keys(union.discriminator.mapping).sort()).toEqual(all.map((k) => k.kind).sort());
      for (const [kind, ref] of Object.entries(union.discriminator.mapping as Record<string, string>))
        expect(resolve(ref).properties.kind.const).toBe(kind);
    }
    expect(served.components.schemas.ConditionInputDateWindow.properties.kind.const).toBe('dateWindow');
    const body = served.paths['/admin/v1/promotions/{id}'].put.requestBody.content['application/json'].schema;
    expect(body.properties.rule).toEqual({ $ref: '#/components/schemas/PromotionRuleBodyInput' });
    expect(served.components.schemas.PromotionRuleBodyInput.properties.action).toEqual({
      $ref: '#/components/schemas/ActionInput',
    });
  });

  it('answers what the response schemas say', async () => {
    await seedCoat(admin.ctx.deps);
    await enrollCustomer(
      admin.ctx.deps,
      { displayName: 'Schema Customer', email: 'schema@example.nl' },
      { channel: 'ADMIN', idempotencyKey: randomUUID() },
    );
    const call = (method: string, path: string, body?: unknown) =>
      admin.call(method, path, { body, headers: { 'idempotency-key': randomUUID() } });
    const client = await call('POST', '/clients', { channel: 'WEB' });
    const key = await call('POST', '/admin-keys', { name: 'schema' });
    const answers: Array<[string, { status: number; body: unknown }]> = [
      ['createClient', client],
      ['createAdminKey', key],
      [
        'putPromotion',
        await call('PUT', '/promotions/schema-promo', {
          rule: {
            label: 'Ten off',
            conditions: [{ kind: 'sku', skus: ['COAT-M'] }],
            action: { kind: 'percentOff', percentBp: 1000 },
          },
        }),
      ],
      ['putStockCount', await call('PUT', '/stock/COAT-M/wh-1', { onHand: 7 })],
      [
        'reserveStock',
        await call('POST', '/reservations', { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }] }),
      ],
      ['listClients', await call('GET', '/clients')],
      ['getClient', await call('GET', `/clients/${client.body.id}`)],
      ['listAdminKeys', await call('GET', '/admin-keys')],
      ['getAdminKey', await call('GET', `/admin-keys/${key.body.adminKey.id}`)],
      ['rotateAdminKey', await call('POST', `/admin-keys/${key.body.adminKey.id}/rotate`)],
      ['revokeAdminKey', await call('DELETE', `/admin-keys/${key.body.adminKey.id}`)],
      ['listPriceLists', await call('GET', '/price-lists')],
      ['getPriceList', await call('GET', '/price-lists/base')],
      ['getPriceHistory', await call('GET', '/products/COAT-M/price-history')],
      ['listPromotions', await call('GET', '/promotions')],
      ['getPromotion', await call('GET', '/promotions/schema-promo')],
      ['searchCustomers', await call('GET', '/customers?name=schema')],
      ['listProducts', await call('GET', '/products')],
      ['getProduct', await call('GET', '/products/COAT-M')],
      ['listLocations', await call('GET', '/locations')],
      ['getStockLevels', await call('GET', '/stock/COAT-M')],
      ['getLoyaltyProgram', await call('GET', '/loyalty/tiers')],
      ['listAuditEntries', await call('GET', '/audit')],
      ['revokeClient', await call('DELETE', `/clients/${client.body.id}`)],
      ['archivePromotion', await call('DELETE', '/promotions/schema-promo')],
    ];
    for (const [operationId, answer] of answers) {
      const route = ROUTES.find((r) => r.operationId === operationId)!;
      expect({ operationId, status: answer.status }).toEqual({ operationId, status: route.status ?? 200 });
      const parsed = route.response!.safeParse(answer.body);
      expect({ operationId, issues: parsed.error?.issues ?? [] }).toEqual({ operationId, issues: [] });
    }
  });
});
