import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  createBackofficeQueues,
  createAdminRouter,
  backofficeAdminRoutes,
  registerAdminKey,
  upsertProduct,
} from '../../backoffice-layer/index.js';
import { createHttpApp, type ChannelDeps } from '../../channel-layer/index.js';
import { enrollCustomer, journeyAdminRoutes } from '../../journey-layer/index.js';
import { createMetrics } from '../../shared/index.js';
import { createTestContext, type TestContext, type TestContextOptions } from './test-context.js';

/** The deps a hub process builds (the database sees every layer's tables), for tests of any layer. */
export interface BackofficeTestContext extends TestContext {
  deps: ChannelDeps;
}

/** A per-file database and Redis prefix plus the backoffice queues. */
export async function createBackofficeTestContext(
  opts: TestContextOptions = {},
): Promise<BackofficeTestContext> {
  const ctx = await createTestContext(opts);
  const queues = createBackofficeQueues(ctx.deps.redis, ctx.redisPrefix);
  const deps: ChannelDeps = { ...ctx.deps, queues };
  return {
    ...ctx,
    deps,
    close: async () => {
      await queues.close();
      await ctx.close();
    },
  };
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Creates (or changes) a product with fixed details; returns the revision it committed. */
export async function testProduct(ctx: BackofficeTestContext, sku: string): Promise<number> {
  return (
    await upsertProduct(ctx.deps, sku, {
      name: `Jas ${sku}`,
      category: 'coats',
      vatRate: 21,
      attributes: { size: 'M' },
      status: 'ACTIVE',
    })
  ).revision;
}

/**
 * Enrols a new loyalty member on each call (through the web: `<prefix> <n>`, `<prefix>-<n>@example.nl`) and
 * answers her id.
 */
export function newMembers(ctx: BackofficeTestContext, prefix: string): () => Promise<string> {
  let n = 0;
  return async () => {
    const key = `${prefix}-${++n}`;
    return (
      await enrollCustomer(
        ctx.deps,
        { displayName: `${prefix} ${n}`, email: `${key}@example.nl` },
        { channel: 'WEB', idempotencyKey: key },
      )
    ).customer.id;
  };
}

export interface AdminClient {
  baseUrl: string;
  adminKey: string;
  /** Sends a JSON (or raw string) request with the admin key; answers status, parsed body, content type. */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; contentType: string }>;
  close(): Promise<void>;
}

/** Starts a real HTTP server with the admin REST API on a free port. */
export async function startAdminApi(ctx: BackofficeTestContext): Promise<AdminClient> {
  const adminKey = 'test-admin-key-0123456789abcdef';
  await registerAdminKey(ctx.deps.db, adminKey, 'test', new Date());
  const app = createHttpApp({
    deps: ctx.deps,
    metrics: createMetrics(),
    mounts: { '/admin/v1': createAdminRouter(ctx.deps, [...backofficeAdminRoutes, ...journeyAdminRoutes]) },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    adminKey,
    request: async (method, path, body, headers = {}) => {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${adminKey}`,
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      const contentType = res.headers.get('content-type') ?? '';
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed, contentType };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
