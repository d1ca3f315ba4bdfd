import { z } from 'zod';
import { DomainError } from '../../shared/index.js';
import type { Executor } from '../tables.js';
import { defineRoute, type AdminRoute } from './admin-route.js';
import { IsoDateTime, Revision } from './responses.js';

export interface AuditEntry {
  actor: string;
  action: string;
  subject?: string | null;
  revision?: number | null;
  details?: Record<string, unknown>;
}

/**
 * Appends to the audit trail. Holds no request bodies: an entry says who did what to which subject at which
 * revision, so it never becomes a second copy of personal data.
 */
export async function recordAudit(db: Executor, at: Date, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('auditLog')
    .values({
      at,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject ?? null,
      revision: entry.revision ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

/** The audit entries about any of `subjects` (e.g. `customer:<id>`), oldest first: who did what, and when. */
export async function auditEntriesAbout(
  db: Executor,
  subjects: readonly string[],
): Promise<Array<{ at: Date; actor: string; action: string }>> {
  if (subjects.length === 0) return [];
  return db
    .selectFrom('auditLog')
    .select(['at', 'actor', 'action'])
    .where('subject', 'in', subjects)
    .orderBy('id')
    .execute();
}

/**
 * Rewrites the subject `from` of every audit entry to `to` (an erased person's id to her pseudonym), in the
 * caller's transaction. Returns how many entries changed.
 */
export async function renameAuditSubject(tx: Executor, from: string, to: string): Promise<number> {
  const r = await tx
    .updateTable('auditLog')
    .set({ subject: to })
    .where('subject', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

const AuditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('The `next` of the previous page: entries older'),
  subject: z.string().max(300).optional().describe('Exactly this subject, e.g. `customer:<id>`'),
  actor: z.string().min(1).max(300).optional().describe('Exactly this actor, e.g. `admin:<key name>`'),
  action: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Actions starting with this: `customer.` (profile reads and acts), `PUT /price-lists`…'),
  from: IsoDateTime.optional().describe('Entries at or after this instant (ISO 8601)'),
  to: IsoDateTime.optional().describe('Entries before this instant (ISO 8601)'),
});

/** `value` as a LIKE pattern that matches it literally (percent signs, underscores, backslashes escaped). */
function literalLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * `GET /admin/v1/audit`: newest first, keyset-paginated by id (`before` = the previous page's `next`),
 * filtered by any of `actor` (exact), `action` (prefix), `subject` (exact) and the window `[from, to)`. A
 * window whose `to` is not after its `from` is 400 BAD_USER_INPUT naming `query.to`.
 */
export const auditRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'get',
    path: '/audit',
    tag: 'audit',
    operationId: 'listAuditEntries',
    response: z.object({
      entries: z.array(
        z.object({
          id: z.int(),
          at: IsoDateTime,
          actor: z.string().describe('`admin:<key name>`, `client:<id>`, `channel:WEB`…'),
          action: z.string(),
          subject: z.string().nullable(),
          revision: Revision.nullable(),
          details: z.record(z.string(), z.unknown()),
        }),
      ),
      next: z.int().nullable().describe('Pass as `before` for the next page'),
    }),
    summary: 'Audit trail of changes and sensitive reads, newest first',
    query: AuditQuerySchema,
    handle: async ({ deps, query }) => {
      if (query.from && query.to && new Date(query.to).getTime() <= new Date(query.from).getTime())
        throw new DomainError('BAD_USER_INPUT', 'Invalid query: query.to: must be after `from`', {
          issues: [{ path: 'query.to', message: 'must be after `from`' }],
        });
      let q = deps.db.selectFrom('auditLog').selectAll().orderBy('id', 'desc').limit(query.limit);
      if (query.before) q = q.where('id', '<', query.before);
      if (query.subject) q = q.where('subject', '=', query.subject);
      if (query.actor) q = q.where('actor', '=', query.actor);
      if (query.action) q = q.where('action', 'like', `${literalLike(query.action)}%`);
      if (query.from) q = q.where('at', '>=', new Date(query.from));
      if (query.to) q = q.where('at', '<', new Date(query.to));
      const rows = await q.execute();
      return {
        entries: rows.map((r) => ({ ...r, at: r.at.toISOString() })),
        next: rows.length === query.limit ? rows.at(-1)?.id : null,
      };
    },
  }),
];
