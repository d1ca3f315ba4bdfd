/**
 * A hub for the console attack tests: its own database and Redis prefix with the demo retailer (catalogue,
 * stores ams-01, rtm-01, utr-01…, warehouse wh-tilburg, members, demo orders), an API node in production mode
 * (admin REST, GraphQL over HTTP and WebSocket, /console) and an admin key. No browser, no worker.
 */
import {
  registerAdminKey,
  seedDemoOrders,
  seedDemoRetailer,
  type BackofficeDeps,
} from '../../backoffice-layer/index.js';
import { createChannelClient, type ApiNode } from '../../channel-layer/index.js';
import { seedDemoJourney } from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { startNodeIn } from '../support/ws.js';

/** One HTTP answer: status, JSON body when there is one, the raw text and headers. */
export interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** One GraphQL answer over HTTP. */
export interface GqlAnswer {
  status: number;
  data?: any;
  errors?: Array<{ message: string; extensions: { code: string } & Record<string, unknown> }>;
}

export interface AttackHub {
  ctx: BackofficeTestContext;
  deps: BackofficeDeps;
  node: ApiNode;
  adminKey: string;
  url(p: string): string;
  /** A CONSOLE client with `scopes`, issued straight in the database. */
  consoleKey(scopes: string[], name?: string): Promise<{ id: string; key: string }>;
  /** `/admin/v1<path>` with `key`, a JSON body if given, extra headers. */
  rest(
    key: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  /** A GraphQL operation over HTTP with `key`. */
  gql(key: string, query: string, variables?: Record<string, unknown>): Promise<GqlAnswer>;
  /** A raw GET of `path` (no key). */
  get(path: string): Promise<Answer>;
  close(): Promise<void>;
}

/** Starts an AttackHub (see there). */
export async function startAttackHub(): Promise<AttackHub> {
  const ctx = await createBackofficeTestContext();
  await seedDemoRetailer(ctx.deps);
  await seedDemoJourney(ctx.deps);
  await seedDemoOrders(ctx.deps);
  const adminKey = 'attack-console-admin-key-0123456789abcdef';
  await registerAdminKey(ctx.deps.db, adminKey, 'attack admin', new Date());
  const node = await startNodeIn(ctx.deps, 'production');
  const url = (p: string) => `http://127.0.0.1:${node.port}${p}`;
  const answer = async (res: Response): Promise<Answer> => {
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, headers: res.headers };
  };
  return {
    ctx,
    deps: ctx.deps,
    node,
    adminKey,
    url,
    consoleKey: async (scopes, name) =>
      createChannelClient(
        ctx.deps.db,
        { name: name ?? (scopes.join(' ').slice(0, 190) || 'bare'), channel: 'CONSOLE', scopes },
        new Date(),
      ),
    rest: async (key, method, path, body, headers = {}) =>
      answer(
        await fetch(url(`/admin/v1${path}`), {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        }),
      ),
    gql: async (key, query, variables = {}) => {
      const res = await fetch(url('/graphql'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
      });
      const json = (await res.json()) as Omit<GqlAnswer, 'status'>;
      return { status: res.status, ...json };
    },
    get: async (path) => answer(await fetch(url(path), { redirect: 'manual' })),
    close: async () => {
      await node.stop(100);
      await ctx.close();
    },
  };
}

/** Demo order `n`'s id (backoffice-layer/seed/demo-orders.ts). */
export const demoOrderId = (n: number): string => `d3e0a000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The first error code of a GraphQL answer, or OK. */
export const outcome = (r: GqlAnswer): string => r.errors?.[0]?.extensions.code ?? 'OK';

/**
 * A digest of every row of every table of the hub's database (table → md5 of its rows), to show that a call
 * wrote nothing.
 */
export async function databaseDigest(hub: AttackHub): Promise<Record<string, string>> {
  const { sql } = await import('kysely');
  const tables = await sql<{ name: string }>`
    SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`.execute(
    hub.deps.db,
  );
  const out: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const rows = sql`string_agg(t::text, ',' ORDER BY t::text)`;
    const r = await sql<{ d: string | null }>`
      SELECT md5(coalesce(${rows}, '')) AS d FROM ${sql.table(name)} t`.execute(hub.deps.db);
    out[name] = r.rows[0]?.d ?? '';
  }
  return out;
}

/** The id of the demo member named `displayName` (journey-layer/seed/demo-journey.ts). */
export async function memberId(hub: AttackHub, displayName: string): Promise<string> {
  const { sql } = await import('kysely');
  const r = await sql<{ id: string }>`SELECT id FROM customers WHERE display_name = ${displayName}`.execute(
    hub.deps.db,
  );
  return r.rows[0]!.id;
}
