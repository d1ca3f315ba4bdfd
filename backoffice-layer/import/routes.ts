import { z } from 'zod';
import { DomainError, UuidSchema } from '../../shared/index.js';
import { defineRoute, type AdminRoute } from '../admin-api/admin-route.js';
import { IsoDateTime, Revision } from '../admin-api/responses.js';
import { IMPORT_FORMATS, IMPORT_KINDS } from './import-rows.js';
import { runImport } from './run-import.js';

const CONTENT_TYPES: Record<string, 'csv' | 'ndjson'> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

function importView(r: {
  id: string;
  kind: string;
  format: string;
  status: string;
  source: string;
  totalBytes: number | null;
  processedBytes: number;
  processedRows: number;
  okRows: number;
  errorRows: number;
  errors: unknown;
  revision: number | null;
  startedAt: Date;
  finishedAt: Date | null;
}) {
  return { ...r, startedAt: r.startedAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null };
}

const RowErrors = z.array(z.object({ line: z.int(), message: z.string() }).loose());
/** An import's progress and result as stored (its errors omitted from the list). */
const ImportView = z
  .object({
    id: UuidSchema,
    kind: z.enum(IMPORT_KINDS),
    format: z.enum(IMPORT_FORMATS),
    status: z.enum(['RUNNING', 'COMPLETED', 'FAILED']),
    source: z.string(),
    totalBytes: z.int().nullable(),
    processedBytes: z.int(),
    processedRows: z.int(),
    okRows: z.int(),
    errorRows: z.int(),
    errors: RowErrors.optional(),
    revision: Revision.nullable(),
    startedAt: IsoDateTime,
    finishedAt: IsoDateTime.nullable(),
  })
  .meta({ id: 'Import' });

export const importRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'post',
    path: '/imports',
    tag: 'imports',
    operationId: 'createImport',
    status: 201,
    errors: ['CONFLICT'],
    response: z
      .object({
        importId: UuidSchema,
        kind: z.enum(IMPORT_KINDS),
        format: z.enum(IMPORT_FORMATS),
        status: z.literal('COMPLETED'),
        bytes: z.int(),
        totalBytes: z.int().nullable(),
        rows: z.int(),
        changedRows: z.int(),
        unchangedRows: z.int(),
        supersededRows: z.int(),
        errorRows: z.int(),
        errors: RowErrors,
        revisions: z.tuple([Revision, Revision]).nullable(),
        durationMs: z.number(),
      })
      .loose(),
    summary:
      'Bulk import of products, prices or stock: stream an NDJSON (application/x-ndjson) or CSV (text/csv) ' +
      'body; bad rows are reported, good rows land; re-runs change nothing',
    query: z.strictObject({ kind: z.enum(IMPORT_KINDS), format: z.enum(IMPORT_FORMATS).optional() }),
    rawBody: { contentTypes: Object.keys(CONTENT_TYPES) },
    handle: async ({ deps, query, raw }) => {
      const type = (raw.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const format = query.format ?? CONTENT_TYPES[type];
      if (!format)
        throw new DomainError(
          'BAD_USER_INPUT',
          'Send the feed as text/csv or application/x-ndjson (or pass ?format=csv|ndjson); ' +
            `got "${type || 'no content type'}"`,
          {},
        );
      const length = Number(raw.get('content-length') ?? NaN);
      const summary = await runImport(deps, {
        kind: query.kind,
        format,
        input: raw,
        source: `POST /admin/v1/imports (${raw.ip ?? 'unknown'})`,
        totalBytes: Number.isFinite(length) ? length : null,
      });
      if (summary.failure) {
        // The problem says why and where the feed stopped, and what landed before it: nothing is hidden as
        // "failed".
        const { importId, rows, changedRows, unchangedRows, supersededRows, errorRows } = summary;
        throw new DomainError(summary.failure.code, summary.failure.message, {
          importId,
          line: summary.failure.line,
          rows,
          changedRows,
          unchangedRows,
          supersededRows,
          errorRows,
        });
      }
      return summary;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/imports/:id',
    tag: 'imports',
    operationId: 'getImport',
    response: z.object({ import: ImportView }),
    summary: 'Progress and result of an import (errors with line numbers)',
    params: z.strictObject({ id: UuidSchema }),
    handle: async ({ deps, params }) => {
      const row = await deps.db
        .selectFrom('imports')
        .selectAll()
        .where('id', '=', params.id)
        .executeTakeFirst();
      if (!row) throw new DomainError('NOT_FOUND', `No import ${params.id}`, { importId: params.id });
      return { import: importView(row) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/imports',
    tag: 'imports',
    operationId: 'listImports',
    response: z.object({ imports: z.array(ImportView) }),
    summary: 'Recent imports, newest first',
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(20) }),
    handle: async ({ deps, query }) => {
      const rows = await deps.db
        .selectFrom('imports')
        .selectAll()
        .orderBy('startedAt', 'desc')
        .limit(query.limit)
        .execute();
      return { imports: rows.map(({ errors: _e, ...r }) => importView({ ...r, errors: undefined })) };
    },
  }),
];
