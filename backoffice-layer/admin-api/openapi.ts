import { z } from 'zod';
import type { AdminRoute } from './admin-route.js';

/**
 * Every tag of the admin API, described: each route's `tag` is one of these (the OpenAPI lint test holds
 * every route to it).
 */
export const ADMIN_TAGS: Readonly<Record<string, string>> = {
  catalogue: 'Products and locations (warehouses and stores)',
  pricing: 'Price lists, prices with quantity tiers and validity windows, price history',
  stock: 'Stock counts, movements and reservations',
  orders: 'Orders: their status, fulfilments (shipments and pickups) and history',
  imports: 'Bulk NDJSON or CSV feeds of products, prices or stock',
  fulfilment:
    'Shipping zones (carrier transit days by postcode) and the sourcing rules that choose locations',
  promotions: 'Promotion rules (conditions, action, stacking, window, target) and coupon codes',
  loyalty: 'The loyalty programme: tiers and benefits',
  customers: 'Staff search for customer profiles (audited)',
  clients: 'Channel client API keys (web, app, store terminals, call center, console)',
  'admin-keys': 'Admin API keys: issue, rotate, revoke',
  audit: 'The audit trail of changes and sensitive reads',
  quality: 'Data-quality checks that break consistency: counts, scores and what to fix',
  kpis: 'The figures staff steer by: sales per channel, loyalty members served, the hub’s health',
  session: 'Who the calling key is: an admin or a CONSOLE client key, and the console areas it opens',
};

/**
 * Answers every admin route may give besides its own: no or a wrong key, too many key look-ups, a hub that
 * cannot check now.
 */
const COMMON_ERRORS = ['401', '403', '429', '503'] as const;
const ERROR_RESPONSES: Record<string, { name: string; description: string }> = {
  400: {
    name: 'BadRequest',
    description:
      'BAD_USER_INPUT: a path, query, header or body value is invalid, a query parameter the route does ' +
      'not name, or a body not sent as application/json; `issues` lists each with its path',
  },
  401: { name: 'Unauthenticated', description: 'UNAUTHENTICATED: no admin key sent' },
  403: {
    name: 'Forbidden',
    description:
      'FORBIDDEN: the key is not a valid admin key (unknown, revoked or expired), or a CONSOLE client key ' +
      'whose console scopes do not open this route or the locations it touches',
  },
  404: { name: 'NotFound', description: 'NOT_FOUND: no such resource' },
  409: {
    name: 'Conflict',
    description: 'CONFLICT (or INSUFFICIENT_STOCK): the change conflicts with the current state',
  },
  413: {
    name: 'PayloadTooLarge',
    description: 'PAYLOAD_TOO_LARGE: the body is too large (a JSON body: over 1 MB)',
  },
  429: {
    name: 'RateLimited',
    description:
      'RATE_LIMITED: too many unknown keys or key look-ups from this address; retry after `retryAfterMs`',
  },
  503: {
    name: 'Unavailable',
    description: 'UNAVAILABLE: the hub cannot answer now (database or Redis); retry shortly',
  },
};
const CODE_STATUS = {
  NOT_FOUND: '404',
  CONFLICT: '409',
  INSUFFICIENT_STOCK: '409',
  PAYLOAD_TOO_LARGE: '413',
} as const;

/** Options of the document: the server URL it names (`/` unless set: the hub that serves it). */
export interface OpenApiOptions {
  serverUrl?: string;
}

/**
 * Builds the OpenAPI 3.1 document of the admin REST API from the routes' own zod schemas: an operationId, the
 * parameters (path, query, the Idempotency-Key header where a route honours it), the request body, the
 * success answer and every problem+json error each operation may answer. Throws (a programming error) on a
 * duplicate or non-camelCase operationId. Named schemas (`.meta({ id })`) become components.
 */
export function buildOpenApi(
  routes: readonly AdminRoute[],
  version: string,
  opts: OpenApiOptions = {},
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  const seen = new Set<string>();
  const json = (schema: z.ZodType, io: 'input' | 'output') => toJson(schema, io, schemas);
  for (const r of routes) {
    const operationId = operationIdOf(r);
    if (seen.has(operationId)) throw new Error(`Duplicate operationId ${operationId}`);
    if (!/^[a-z][A-Za-z0-9]*$/.test(operationId))
      throw new Error(`operationId ${operationId} is not camelCase`);
    seen.add(operationId);
    const p = `/admin/v1${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    const pathShape = r.params instanceof z.ZodObject ? (r.params.shape as Record<string, z.ZodType>) : {};
    const pathParams = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: pathShape[m[1]!] ? json(pathShape[m[1]!]!, 'output') : { type: 'string' },
    }));
    const queryParams =
      r.query instanceof z.ZodObject
        ? Object.entries(r.query.shape as Record<string, z.ZodType>).map(([name, s]) => {
            const schema = json(s, 'output') as { description?: string };
            const { description, ...rest } = schema;
            return {
              name,
              in: 'query',
              required: !s.safeParse(undefined).success,
              ...(description ? { description } : {}),
              schema: rest,
            };
          })
        : [];
    const headerParams = r.idempotencyKey ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : [];
    const errors = new Set<string>(COMMON_ERRORS);
    // Every route can refuse a request: a query parameter it does not name is refused (admin-router.ts) on
    // each of them.
    errors.add('400');
    if (pathParams.length) errors.add('404');
    for (const code of r.errors ?? []) errors.add(CODE_STATUS[code]);
    if (r.body || r.rawBody) errors.add('413');
    const op: Record<string, unknown> = {
      operationId,
      summary: r.summary,
      tags: [r.tag],
      parameters: [...pathParams, ...queryParams, ...headerParams],
      responses: {
        [String(r.status ?? 200)]: {
          description: 'Success',
          content: {
            'application/json': { schema: r.response ? json(r.response, 'output') : { type: 'object' } },
          },
        },
        ...Object.fromEntries(
          [...errors].sort().map((s) => [s, { $ref: `#/components/responses/${ERROR_RESPONSES[s]!.name}` }]),
        ),
        default: { $ref: '#/components/responses/Unexpected' },
      },
    };
    if (r.body)
      op.requestBody = {
        required: !r.body.safeParse(undefined).success,
        content: { 'application/json': { schema: json(r.body, 'input') } },
      };
    if (r.rawBody)
      op.requestBody = {
        required: true,
        content: Object.fromEntries(r.rawBody.contentTypes.map((c) => [c, { schema: { type: 'string' } }])),
      };
    (paths[p] ??= {})[r.method] = op;
  }
  const problem = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  });
  const usedTags = new Set(routes.map((r) => r.tag));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Omnihub admin and integration API',
      version,
      description:
        'Back-office REST API of the hub. Every operation wants `Authorization: Bearer <admin key>`; ' +
        'errors are RFC 9457 problem documents with a stable `code`.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [
      {
        url: opts.serverUrl ?? '/',
        description: opts.serverUrl ? 'The hub\u2019s public URL' : 'The hub serving this document',
      },
    ],
    security: [{ bearer: [] }],
    tags: [...new Set([...Object.keys(ADMIN_TAGS), ...usedTags])]
      .filter((name) => usedTags.has(name))
      .map((name) => (ADMIN_TAGS[name] ? { name, description: ADMIN_TAGS[name] } : { name })),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An admin key (`OMNIHUB_ADMIN_KEY`, the one printed at first start, ' +
            'or one issued at POST /admin/v1/admin-keys), or a CONSOLE client key with console scopes ' +
            '(the routes of its areas only)',
        },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: true,
          description:
            'Any unique string (e.g. a UUID), 1–200 printable characters: the same key with the same body ' +
            'answers the first result again, never a second write',
          schema: { type: 'string', minLength: 1, maxLength: 200 },
        },
      },
      responses: {
        ...Object.fromEntries(Object.values(ERROR_RESPONSES).map((e) => [e.name, problem(e.description)])),
        Unexpected: problem('INTERNAL: an unexpected error (masked; logged by the hub)'),
      },
      schemas: {
        Problem: {
          type: 'object',
          description:
            'RFC 9457 problem document with the hub\u2019s stable `code`; ' +
            'a failure\u2019s details are extension members beside these',
          required: ['type', 'title', 'status', 'code', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: {
              type: 'string',
              enum: [
                'BAD_USER_INPUT',
                'UNAUTHENTICATED',
                'FORBIDDEN',
                'NOT_FOUND',
                'CONFLICT',
                'INSUFFICIENT_STOCK',
                'PAYLOAD_TOO_LARGE',
                'RATE_LIMITED',
                'UNAVAILABLE',
                'INTERNAL',
              ],
            },
            detail: { type: 'string' },
            instance: { type: 'string' },
            issues: {
              type: 'array',
              description:
                'BAD_USER_INPUT: each invalid value with its path (e.g. `body.rule.action.percentBp`)',
              items: {
                type: 'object',
                required: ['path', 'message'],
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
            retryAfterMs: { type: 'integer', description: 'RATE_LIMITED, UNAVAILABLE: when to retry' },
          },
        },
        ...schemas,
      },
    },
  };
}

/** A route's operationId: the one it names, else one derived from its method and path. */
export function operationIdOf(r: Pick<AdminRoute, 'method' | 'path' | 'operationId'>): string {
  return r.operationId ?? derivedOperationId(r);
}

/**
 * An operationId for a route that names none: the method and the path's words, e.g.
 * `getProductsSkuPriceHistory`.
 */
function derivedOperationId(r: Pick<AdminRoute, 'method' | 'path'>): string {
  const words = r.path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return r.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/**
 * A zod schema as JSON Schema (2020-12, which OpenAPI 3.1 uses), without its `$schema`. Named schemas it
 * holds (`$defs`) are moved to `components` (collected in `into`) and referenced from there.
 */
function toJson(
  schema: z.ZodType,
  io: 'input' | 'output',
  into: Record<string, unknown>,
): Record<string, unknown> {
  const {
    $schema: _s,
    $defs,
    ...rest
  } = z.toJSONSchema(schema, { unrepresentable: 'any', io }) as Record<string, unknown> & {
    $defs?: Record<string, unknown>;
  };
  const relink = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(relink);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [
          k,
          k === '$ref' && typeof x === 'string' ? x.replace('#/$defs/', '#/components/schemas/') : relink(x),
        ]),
      );
    }
    return v;
  };
  // A named schema reads differently as input (defaults optional) and output (defaults filled in): one
  // component each.
  const named = (id: string) => (io === 'input' ? `${id}Input` : id);
  const relinked = (v: unknown) =>
    JSON.parse(
      JSON.stringify(relink(v)).replace(
        /"#\/components\/schemas\/([A-Za-z0-9_]+)"/g,
        (_m, id: string) => `"#/components/schemas/${named(id)}"`,
      ),
    ) as Record<string, unknown>;
  for (const [name, def] of Object.entries($defs ?? {}))
    into[named(name)] = withDiscriminator(named(name), relinked(def), into);
  return relinked(rest);
}

/**
 * A named union chosen by `kind` (a zod discriminated union: the condition and action unions), as OpenAPI
 * wants it for generated clients: each branch its own component (`<id><Kind>`, e.g.
 * `ConditionInputDateWindow`, added to `into`), referenced from the `oneOf`, with `discriminator: {
 * propertyName: 'kind', mapping }`. Any other schema is returned as is.
 */
function withDiscriminator(
  id: string,
  schema: Record<string, unknown>,
  into: Record<string, unknown>,
): Record<string, unknown> {
  const branches = schema.oneOf as Array<{ properties?: { kind?: { const?: unknown } } }> | undefined;
  const kinds = Array.isArray(branches) ? branches.map((b) => b.properties?.kind?.const) : [];
  if (!branches || branches.length < 2 || !kinds.every((k): k is string => typeof k === 'string'))
    return schema;
  const mapping: Record<string, string> = {};
  const oneOf = branches.map((branch, i) => {
    const kind = kinds[i]!;
    const branchId = `${id}${kind[0]!.toUpperCase()}${kind.slice(1)}`;
    into[branchId] = branch;
    mapping[kind] = `#/components/schemas/${branchId}`;
    return { $ref: mapping[kind] };
  });
  return { ...schema, oneOf, discriminator: { propertyName: 'kind', mapping } };
}
