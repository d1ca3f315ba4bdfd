import { z } from 'zod';
import type { AdminRoute } from './admin-route.js';

/** Builds the OpenAPI 3.1 document of the admin REST API from the routes' own zod schemas. */
export function buildOpenApi(routes: readonly AdminRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = `/admin/v1${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    const pathParams = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const queryParams = r.query instanceof z.ZodObject
      ? Object.entries(r.query.shape as Record<string, z.ZodType>).map(([name, s]) => ({ name, in: 'query', required: !s.safeParse(undefined).success, schema: toJson(s) }))
      : [];
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      parameters: [...pathParams, ...queryParams],
      responses: {
        [String(r.status ?? 200)]: { description: 'Success' },
        default: { description: 'Error', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: toJson(r.body) } } };
    if (r.rawBody) op.requestBody = { required: true, content: Object.fromEntries(r.rawBody.contentTypes.map((c) => [c, { schema: { type: 'string' } }])) };
    (paths[p] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Omnihub admin and integration API', version },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code', 'detail'],
          properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' }, instance: { type: 'string' } },
        },
      },
    },
  };
}

function toJson(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
  } catch {
    return {};
  }
}
