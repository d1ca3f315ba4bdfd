import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { DomainError, type WriteDeps } from '../../shared/index.js';
import { IMPORT_FORMATS, IMPORT_KINDS, ROW_SCHEMAS, rowKey, type ImportFormat, type ImportKind, type PriceRow, type ProductRow, type StockRow } from './import-rows.js';
import { mergeBatch, type RowError } from './merge.js';

export interface ImportProgress {
  importId: string;
  bytes: number;
  totalBytes: number | null;
  rows: number;
  changedRows: number;
  unchangedRows: number;
  errorRows: number;
}

export interface ImportSummary extends ImportProgress {
  kind: ImportKind;
  format: ImportFormat;
  status: 'COMPLETED' | 'FAILED';
  /** The first errors (line number and message); `errorRows` counts them all. */
  errors: RowError[];
  /** Revisions this import committed (first and last), or null when it changed nothing. */
  revisions: [number, number] | null;
  durationMs: number;
}

export interface RunImportOptions {
  kind: ImportKind;
  format: ImportFormat;
  input: Readable;
  source: string;
  totalBytes?: number | null;
  batchSize?: number;
  onProgress?: (p: ImportProgress) => void;
}

/** Errors kept per import (all are counted). */
const MAX_KEPT_ERRORS = 1000;

type Row = ProductRow | PriceRow | StockRow;

async function* records(format: ImportFormat, input: Readable): AsyncGenerator<{ line: number; value: unknown } | { line: number; error: string }> {
  if (format === 'ndjson') {
    let line = 0;
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '') continue;
      try {
        yield { line, value: JSON.parse(text) as unknown };
      } catch {
        yield { line, error: 'not valid JSON' };
      }
    }
    return;
  }
  const parser = input.pipe(parseCsv({ columns: (header: string[]) => header.map((h) => h.trim()), skip_empty_lines: true, trim: true, relax_column_count: false, bom: true, info: true }));
  try {
    for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield { line: rec.info.lines, value: rec.record };
    }
  } catch (e) {
    // A malformed CSV (unbalanced quotes, wrong column count) stops the parser: report where, keep what landed.
    const err = e as { message?: string; lines?: number };
    yield { line: err.lines ?? 0, error: `CSV: ${err.message ?? 'unreadable'}` };
  }
}

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.slice(0, 5).map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
}

/**
 * Streams a feed of products, prices or stock (NDJSON or CSV) into the source of truth with constant memory: rows
 * are validated one by one (bad rows are reported with their line and the good ones still land), collected into
 * batches, and each batch is merged as one transaction with set-based SQL. Rows equal to what is stored write
 * nothing, so a re-run of the same file changes nothing and takes no revision. Progress is kept in `imports`.
 * @example await runImport(deps, { kind: 'stock', format: 'csv', input: createReadStream('stock.csv'), source: 'stock.csv' });
 */
export async function runImport(deps: WriteDeps, opts: RunImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const importId = randomUUID();
  const batchSize = opts.batchSize ?? 10_000;
  const schema = ROW_SCHEMAS[opts.kind];
  let bytes = 0;
  // Counts bytes as the parser pulls them (a 'data' listener would start the flow before the parser is attached).
  const counter = new Transform({ transform(chunk: Buffer, _enc, done) { bytes += chunk.length; done(null, chunk); } });
  opts.input.on('error', (e) => counter.destroy(e));
  opts.input.pipe(counter);

  const progress: ImportProgress = { importId, bytes: 0, totalBytes: opts.totalBytes ?? null, rows: 0, changedRows: 0, unchangedRows: 0, errorRows: 0 };
  const errors: RowError[] = [];
  let revisions: [number, number] | null = null;
  const addError = (e: RowError) => { progress.errorRows++; if (errors.length < MAX_KEPT_ERRORS) errors.push(e); };

  await deps.db.insertInto('imports').values({ id: importId, kind: opts.kind, format: opts.format, status: 'RUNNING', source: opts.source.slice(0, 500), totalBytes: opts.totalBytes ?? null, errors: '[]', revision: null, startedAt: deps.clock.now(), finishedAt: null }).execute();
  const saveProgress = async (status: 'RUNNING' | 'COMPLETED' | 'FAILED') => {
    progress.bytes = bytes;
    await deps.db.updateTable('imports').set({
      status, processedBytes: bytes, processedRows: progress.rows, okRows: progress.changedRows + progress.unchangedRows, errorRows: progress.errorRows,
      errors: JSON.stringify(errors.slice(0, MAX_KEPT_ERRORS).map((e) => ({ row: e.line, code: 'BAD_USER_INPUT', message: e.message }))),
      revision: revisions?.[1] ?? null, finishedAt: status === 'RUNNING' ? null : deps.clock.now(),
    }).where('id', '=', importId).execute();
    opts.onProgress?.({ ...progress });
  };

  let batch = new Map<string, { line: number; row: Row }>();
  const flush = async () => {
    if (batch.size === 0) return;
    const rows = [...batch.values()];
    batch = new Map();
    const r = await mergeBatch(deps, opts.kind, rows, `import:${importId}`);
    progress.changedRows += r.changed;
    progress.unchangedRows += r.unchanged;
    for (const e of r.errors) addError(e);
    if (r.revision !== null) revisions = [revisions?.[0] ?? r.revision, r.revision];
    await saveProgress('RUNNING');
  };

  try {
    for await (const rec of records(opts.format, counter)) {
      progress.rows++;
      if ('error' in rec) { addError({ line: rec.line, message: rec.error }); continue; }
      const parsed = schema.safeParse(rec.value);
      if (!parsed.success) { addError({ line: rec.line, message: describeIssues(parsed.error.issues) }); continue; }
      const row = parsed.data as Row;
      const key = rowKey(opts.kind, row);
      const earlier = batch.get(key);
      if (earlier) progress.unchangedRows++; // superseded within the batch: the later row for the key wins
      batch.set(key, { line: rec.line, row });
      if (batch.size >= batchSize) await flush();
    }
    await flush();
    await saveProgress('COMPLETED');
  } catch (e) {
    await saveProgress('FAILED').catch(() => undefined);
    throw e;
  }
  return { ...progress, bytes, kind: opts.kind, format: opts.format, status: 'COMPLETED', errors, revisions, durationMs: Date.now() - started };
}

/** Guesses the format from the extension and the kind from the file name (`stock-2026-11.csv` → stock, csv). */
export function inferImportType(file: string, given: { kind?: string | undefined; format?: string | undefined }): { kind: ImportKind; format: ImportFormat } {
  const base = path.basename(file).toLowerCase();
  const format = (given.format ?? (base.endsWith('.csv') ? 'csv' : base.endsWith('.ndjson') || base.endsWith('.jsonl') ? 'ndjson' : undefined)) as ImportFormat | undefined;
  const kind = (given.kind ?? IMPORT_KINDS.find((k) => base.includes(k) || base.includes(k.replace(/s$/, '')))) as ImportKind | undefined;
  if (!format || !IMPORT_FORMATS.includes(format)) throw new DomainError('BAD_USER_INPUT', `Cannot tell the format of ${file}: name it .csv or .ndjson, or pass --format csv|ndjson`, {});
  if (!kind || !IMPORT_KINDS.includes(kind)) throw new DomainError('BAD_USER_INPUT', `Cannot tell what ${file} holds: put products, prices or stock in its name, or pass --kind products|prices|stock`, {});
  return { kind, format };
}

function bar(fraction: number, width = 28): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/**
 * `omnihub import FILE`: runs the import with a progress bar on stderr (bytes, rows/s, ETA; one line per few seconds
 * when stderr is not a terminal) and prints a final summary.
 */
export async function runImportCommand(deps: WriteDeps, file: string, given: { kind?: string | undefined; format?: string | undefined }, out: NodeJS.WriteStream = process.stderr): Promise<ImportSummary> {
  const { kind, format } = inferImportType(file, given);
  const size = (await stat(file)).size;
  const started = Date.now();
  let lastLine = 0;
  const render = (p: ImportProgress, final = false) => {
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    const fraction = size ? p.bytes / size : 0;
    const rate = Math.round(p.rows / secs);
    const eta = fraction > 0 && fraction < 1 ? `${Math.ceil(secs / fraction - secs)}s left` : '';
    const text = `${bar(fraction)} ${(fraction * 100).toFixed(0).padStart(3)}%  ${p.rows.toLocaleString('en-US')} rows  ${rate.toLocaleString('en-US')} rows/s  ${p.errorRows ? `${p.errorRows} errors  ` : ''}${eta}`;
    if (out.isTTY) out.write(`\r${text.padEnd(100)}${final ? '\n' : ''}`);
    else if (final || Date.now() - lastLine > 3000) { out.write(`${text}\n`); lastLine = Date.now(); }
  };
  out.write(`Importing ${kind} from ${file} (${format}, ${(size / 1e6).toFixed(1)} MB)\n`);
  const summary = await runImport(deps, { kind, format, input: createReadStream(file), source: file, totalBytes: size, onProgress: (p) => render(p) });
  render(summary, true);
  const lines = [
    `Done in ${(summary.durationMs / 1000).toFixed(1)} s: ${summary.rows.toLocaleString('en-US')} rows — ${summary.changedRows.toLocaleString('en-US')} changed, ${summary.unchangedRows.toLocaleString('en-US')} unchanged, ${summary.errorRows.toLocaleString('en-US')} rejected`,
    summary.revisions ? `Committed revisions ${summary.revisions[0]}–${summary.revisions[1]}; import id ${summary.importId}` : `Nothing changed; import id ${summary.importId}`,
    ...summary.errors.slice(0, 10).map((e) => `  line ${e.line}: ${e.message}`),
    summary.errorRows > 10 ? `  … and ${summary.errorRows - 10} more (GET /admin/v1/imports/${summary.importId})` : '',
  ].filter(Boolean);
  out.write(`${lines.join('\n')}\n`);
  return summary;
}
