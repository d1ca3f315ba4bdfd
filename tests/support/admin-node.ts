import { registerAdminKey } from '../../backoffice-layer/index.js';
import { startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from './backoffice.js';

/** An answer of the admin API: status, parsed JSON body (undefined when empty) and the raw text. */
export interface AdminAnswer {
  status: number;
  body: any;
  text: string;
}

export interface AdminNode {
  ctx: BackofficeTestContext;
  node: ApiNode;
  /** The admin key the node was started with (registered under the given name). */
  key: string;
  /**
   * Calls `/admin/v1<path>` with `key` (default: the node's admin key), a JSON body if given, and any extra
   * headers.
   */
  call(
    method: string,
    path: string,
    opts?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<AdminAnswer>;
  close(): Promise<void>;
}

/**
 * A per-file database and a whole API node (every admin route: backoffice, journey, channel) with one admin
 * key.
 */
export async function startAdminNode(keyName: string): Promise<AdminNode> {
  const ctx = await createBackofficeTestContext();
  const key = `${keyName.replace(/\W/g, '-')}-admin-key-0123456789`;
  await registerAdminKey(ctx.deps.db, key, keyName, new Date());
  const node = await startApiNode(ctx.deps, 0, '127.0.0.1');
  return {
    ctx,
    node,
    key,
    call: async (method, path, opts = {}) => {
      const res = await fetch(`http://127.0.0.1:${node.port}/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${opts.key ?? key}`,
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
    },
    close: async () => {
      await node.stop(100);
      await ctx.close();
    },
  };
}
