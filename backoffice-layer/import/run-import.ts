import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DomainError,
  classifyInfrastructureError,
  storableText,
  type Deps,
  type ErrorCode,
} from '../../shared/index.js';
import type { WriteDeps } from '../tables.js';
import { csvFields } from './csv-fields.js';
import {
  plainStockReader,
  ROW_SCHEMAS,
  rowKey,
  type ImportFormat,
  type ImportKind,
  type PriceRow,
  type ProductRow,
  type StockRow,
} from './import-rows.js';
import { mergeRows, type RowError } from './merge.js';
import { OrderedBatches } from './ordered-batches.js';
import { RecordSplitter, type FeedRecord } from './record-splitter.js';

export interface ImportProgress {
  importId: string;
  bytes: number;
  totalBytes: number | null;
  rows: number;
  changedRows: number;
  unchangedRows: number;
  /**
   * Good rows that a later row of the feed for the same key (SKU; SKU and price list; SKU and location)
   * replaced before either was written: the later row wins, and these change nothing themselves. A later
   * row that is refused replaces nothing (the latest good row before it lands instead, and is counted as
   * changed or unchanged). A later row in another batch (25,000 stock rows, 10,000 others) applies after the
   * earlier one has landed, so both count as changed.
   */
  supersededRows: number;
  errorRows: number;
}

export interface ImportSummary extends ImportProgress {
  kind: ImportKind;
  format: ImportFormat;
  /**
   * FAILED: the feed stopped before its end (see `failure`); the rows counted as changed have landed all the
   * same.
   */
  status: 'COMPLETED' | 'FAILED';
  /** The first errors (line number and message); `errorRows` counts them all. */
  errors: RowError[];
  /** Why a FAILED import stopped, and at which line of the feed; absent when it COMPLETED. */
  failure?: { line: number; code: ErrorCode; message: string };
  /** Revisions this import committed (first and last), or null when it changed nothing. */
  revisions: [number, number] | null;
  durationMs: number;
}

export interface RunImportOptions {
  kind: ImportKind;
  format: ImportFormat;
  /**
   * The feed. It is read but never destroyed: the caller owns it (an HTTP request must still carry the
   * answer).
   */
  input: Readable;
  source: string;
  totalBytes?: number | null;
  batchSize?: number;
  onProgress?: (p: ImportProgress) => void;
  /**
   * Stops the import when aborted (the command line's Ctrl-C): reading stops, the batch being written
   * finishes, and the import ends FAILED with UNAVAILABLE "interrupted (<reason>)"; committed batches stay.
   * The reason is the signal's `reason` when it is a string (`SIGINT`), else `stopped`.
   */
  signal?: AbortSignal;
}

/**
 * Rows per batch of a stock feed: one transaction each. Larger batches spend less per row on round trips and
 * on the revision statement; 25,000 rows are about 2.5 MB of arrays.
 */
const STOCK_BATCH_SIZE = 25_000;
/** Stock batches in flight at once: one commits while the next ones are sent and judged. */
const STOCK_PIPELINE_DEPTH = 3;

/** Errors kept per import (all are counted). */
const MAX_KEPT_ERRORS = 1000;
/** Largest record (an NDJSON line, a CSV record) in bytes; a longer one is a row error and is skipped. */
const MAX_RECORD_BYTES = 1024 * 1024;

type Row = ProductRow | PriceRow | StockRow;

/** The input could not be read to its end (the client went away, the file could not be read). */
class FeedReadError extends Error {
  constructor(readonly reason: unknown) {
    super('the feed could not be read');
  }
}

/** Reads the caller's stream as bytes without taking it over: stopping early leaves it to its owner. */
async function* readFeed(input: Readable, counted: { bytes: number }): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of input.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer | string>) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      counted.bytes += buf.length;
      yield buf;
    }
  } catch (e) {
    throw new FeedReadError(e);
  }
}

/** What a record reads as: a value for the row schema, a row already known valid, or why it is not a row. */
type RecordValue = { value: unknown } | { row: Row } | { error: string };

/**
 * Turns records into row values (null for a blank record or the CSV header): CSV records by the header's
 * columns, NDJSON lines as JSON. A CSV stock feed whose header holds only the stock columns takes the fast
 * path ({@link plainStockReader}): a plainly valid record becomes its row at once, any other still goes to
 * the schema. A CSV feed whose header cannot be read, or names a column twice, has no rows at all: that
 * throws BAD_USER_INPUT.
 */
function rowReader(format: ImportFormat, kind: ImportKind): (rec: FeedRecord) => RecordValue | null {
  let columns: string[] | undefined;
  let plain: ReturnType<typeof plainStockReader>;
  return (rec) => {
    if (format === 'csv' && !columns && 'error' in rec)
      throw new DomainError(
        'BAD_USER_INPUT',
        `The CSV header (line ${rec.line}) cannot be read: ${rec.error}`,
        {},
      );
    if ('error' in rec) return rec;
    if (rec.text.trim() === '') return null;
    if (format === 'ndjson') {
      try {
        return { value: JSON.parse(rec.text) as unknown };
      } catch {
        return { error: 'not valid JSON' };
      }
    }
    const fields = csvFields(rec.text);
    if (!columns) {
      if (!Array.isArray(fields))
        throw new DomainError(
          'BAD_USER_INPUT',
          `The CSV header (line ${rec.line}) cannot be read: ${fields.error}`,
          {},
        );
      const twice = fields.find((c, i) => fields.indexOf(c) !== i);
      if (twice !== undefined)
        throw new DomainError(
          'BAD_USER_INPUT',
          `The CSV header (line ${rec.line}) names the column "${twice}" twice: which one counts is unclear`,
          { column: twice },
        );
      columns = fields;
      plain = kind === 'stock' ? plainStockReader(columns) : undefined;
      return null;
    }
    if (!Array.isArray(fields)) return { error: `CSV: ${fields.error}` };
    if (fields.length !== columns.length)
      return {
        error: `CSV: ${fields.length} fields where the header has ${columns.length} (${columns.join(',')})`,
      };
    const row = plain?.(fields);
    if (row) return { row };
    return { value: Object.fromEntries(columns.map((c, i) => [c, fields[i]])) };
  };
}

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Why an import stopped, as a stable code and a message fit for its caller; unexpected errors are masked. */
function failureOf(
  e: unknown,
  read: { bytes: number; totalBytes: number | null },
  deps: Pick<Deps, 'logger'>,
): { code: ErrorCode; message: string } {
  if (e instanceof FeedReadError) {
    const reason = e.reason instanceof Error ? e.reason.message : String(e.reason);
    const errno = (e.reason as { code?: unknown } | null)?.code;
    const of = read.totalBytes !== null ? ` of ${read.totalBytes}` : '';
    const what =
      errno === 'ECONNRESET' || errno === 'ERR_STREAM_PREMATURE_CLOSE'
        ? `The feed was cut off after ${read.bytes}${of} bytes (the sender closed the connection: ${reason})`
        : `The feed could not be read after ${read.bytes}${of} bytes (${reason})`;
    return { code: 'BAD_USER_INPUT', message: `${what}; re-send it whole: rows that landed stay unchanged` };
  }
  const classified = classifyInfrastructureError(e);
  if (classified instanceof DomainError) return { code: classified.code, message: classified.message };
  deps.logger.error({ err: e }, 'unexpected error in an import');
  return { code: 'INTERNAL', message: 'Unexpected error.' };
}

/**
 * Streams a feed of products, prices or stock (NDJSON or CSV) into the source of truth with constant memory:
 * the feed is cut into records of at most {@link MAX_RECORD_BYTES} (longer ones are row errors), rows are
 * validated one by one (bad rows are reported with their line and the good ones still land), collected into
 * batches, and each batch is merged as one transaction with set-based SQL. Stock batches (25,000 rows) are
 * written up to three at once — each sent and judged while the one before it commits — and commit in feed
 * order, so revisions follow the feed and nothing after a batch that failed lands. Rows equal to what is
 * stored write nothing, so a re-run of the same file changes nothing and takes no revision. Progress is kept
 * in `imports`, saved after each batch.
 * Never throws once the import is recorded: a feed that stops early (cut off, unreadable, database gone) ends
 * FAILED with `failure` saying why and where, is logged, and its counts say what landed before. Throws only
 * when the import cannot even be recorded (UNAVAILABLE).
 * @example await runImport(deps, { kind: 'stock', format: 'csv', input: createReadStream('stock.csv'),
 *   source: 'stock.csv' });
 */
export async function runImport(
  deps: WriteDeps & Pick<Deps, 'logger'>,
  opts: RunImportOptions,
): Promise<ImportSummary> {
  const started = Date.now();
  const importId = randomUUID();
  const batchSize = opts.batchSize ?? (opts.kind === 'stock' ? STOCK_BATCH_SIZE : 10_000);
  const schema = ROW_SCHEMAS[opts.kind];
  const read = { bytes: 0, totalBytes: opts.totalBytes ?? null };

  const progress: ImportProgress = {
    importId,
    bytes: 0,
    totalBytes: read.totalBytes,
    rows: 0,
    changedRows: 0,
    unchangedRows: 0,
    supersededRows: 0,
    errorRows: 0,
  };
  const errors: RowError[] = [];
  let failure: ImportSummary['failure'];
  let revisions: [number, number] | null = null;
  // A message may quote the input back (a field's name): kept storable, so reporting a bad row cannot fail
  // the import.
  const addError = (e: RowError) => {
    progress.errorRows++;
    if (errors.length < MAX_KEPT_ERRORS) errors.push({ line: e.line, message: storableText(e.message) });
  };

  await deps.db
    .insertInto('imports')
    .values({
      id: importId,
      kind: opts.kind,
      format: opts.format,
      status: 'RUNNING',
      source: opts.source.slice(0, 500),
      totalBytes: read.totalBytes,
      errors: '[]',
      revision: null,
      startedAt: deps.clock.now(),
      finishedAt: null,
    })
    .execute();
  const saveProgress = async (status: 'RUNNING' | 'COMPLETED' | 'FAILED') => {
    progress.bytes = read.bytes;
    // By line, wherever each was found (a row refused when its batch is written is found after later rows are
    // read).
    errors.sort((a, b) => a.line - b.line);
    // The reason a FAILED import stopped is kept as its last entry, at the line where the feed stopped.
    const kept = [
      ...errors.map((e) => ({ row: e.line, code: 'BAD_USER_INPUT', message: e.message })),
      ...(failure ? [{ row: failure.line, code: failure.code, message: failure.message }] : []),
    ];
    await deps.db
      .updateTable('imports')
      .set({
        status,
        processedBytes: read.bytes,
        processedRows: progress.rows,
        okRows: progress.changedRows + progress.unchangedRows + progress.supersededRows,
        errorRows: progress.errorRows,
        errors: JSON.stringify(kept),
        revision: revisions?.[1] ?? null,
        finishedAt: status === 'RUNNING' ? null : deps.clock.now(),
      })
      .where('id', '=', importId)
      .execute();
    opts.onProgress?.({ ...progress });
  };

  /**
   * A batch's row for one key: the feed's last good row for it, and the good rows before it in the same batch
   * (`earlier`, in feed order), one of which takes its place if the database refuses it.
   */
  type Keyed = { line: number; row: Row; earlier: Array<{ line: number; row: Row }> };
  let batch = new Map<string, Keyed>();
  // Rows the batch holds, the earlier ones of a key included: a batch is written at `batchSize` rows, so a
  // feed repeating one key holds no more in memory than any other.
  let batchRows = 0;
  // Stock batches are written up to STOCK_PIPELINE_DEPTH at once (each judged while the one before it
  // commits), committed in feed order. Batches in flight when the import is stopped from outside finish (and
  // are counted) before FAILED is saved.
  const batches = new OrderedBatches(opts.kind === 'stock' ? STOCK_PIPELINE_DEPTH : 1);
  let saving: Promise<void> = Promise.resolve();
  let stopped = false;
  const flush = async () => {
    if (batch.size === 0 || stopped) return;
    const keys = batch;
    batch = new Map();
    batchRows = 0;
    await batches.add(keys, async (turn) => {
      // A row the database refuses replaces nothing: the latest good row before it for the same key is
      // written in its place (after this batch, before the next), as if they had been in batches of their
      // own — so what lands never depends on where the batches were cut.
      let rows = [...keys.values()];
      let after = turn;
      while (rows.length > 0) {
        const refused = new Set<number>();
        for (const r of await mergeRows(deps, opts.kind, rows, `import:${importId}`, after)) {
          progress.changedRows += r.changed;
          progress.unchangedRows += r.unchanged;
          for (const e of r.errors) {
            addError(e);
            refused.add(e.line);
          }
          if (r.revision !== null) revisions = [revisions?.[0] ?? r.revision, r.revision];
        }
        const instead: Keyed[] = [];
        for (const x of rows) {
          if (!refused.has(x.line)) {
            progress.supersededRows += x.earlier.length;
            continue;
          }
          const previous = x.earlier.pop();
          if (previous) instead.push({ ...previous, earlier: x.earlier });
        }
        rows = instead;
        after = Promise.resolve();
      }
      // Progress is saved one batch after another, off the path of the next commit.
      saving = saving.then(() => (stopped ? undefined : saveProgress('RUNNING')));
      if (opts.kind !== 'stock') await saving;
    });
  };

  const splitter = new RecordSplitter({ quoted: opts.format === 'csv', maxRecordBytes: MAX_RECORD_BYTES });
  const toRow = rowReader(opts.format, opts.kind);
  const take = async (records: AsyncIterable<FeedRecord>) => {
    for await (const rec of records) {
      const value = toRow(rec);
      if (value === null) continue;
      progress.rows++;
      if ('error' in value) {
        addError({ line: rec.line, message: value.error });
        continue;
      }
      let row: Row;
      if ('row' in value) row = value.row;
      else {
        const parsed = schema.safeParse(value.value);
        if (!parsed.success) {
          addError({ line: rec.line, message: describeIssues(parsed.error.issues) });
          continue;
        }
        row = parsed.data as Row;
      }
      const key = rowKey(opts.kind, row);
      // Within a batch the later row for a key wins; the earlier ones are kept in case it is refused.
      const prior = batch.get(key);
      const earlier = prior?.earlier ?? [];
      if (prior) earlier.push({ line: prior.line, row: prior.row });
      batch.set(key, { line: rec.line, row, earlier });
      if (++batchRows >= batchSize) await flush();
    }
    await flush();
    await batches.drain();
    await saving;
  };

  try {
    // One pipeline: an error anywhere (the feed cut off, a batch that cannot be written) stops every stage
    // and lands here.
    if (opts.signal) await pipeline(readFeed(opts.input, read), splitter, take, { signal: opts.signal });
    else await pipeline(readFeed(opts.input, read), splitter, take);
    await saveProgress('COMPLETED');
  } catch (e) {
    if (opts.signal?.aborted) stopped = true;
    // Batches already in flight end first (they commit or roll back whole), so the counts say what landed.
    await batches.settle();
    await saving.catch(() => undefined);
    const reason: unknown = opts.signal?.reason;
    failure = opts.signal?.aborted
      ? {
          line: splitter.line,
          code: 'UNAVAILABLE',
          message:
            `interrupted (${typeof reason === 'string' ? reason : 'stopped'}); ` +
            'rows of the batches committed before stay, the rest of the feed was not read',
        }
      : { line: splitter.line, ...failureOf(e, read, deps) };
    deps.logger[stopped ? 'info' : 'warn'](
      {
        importId,
        kind: opts.kind,
        source: opts.source,
        line: failure.line,
        code: failure.code,
        reason: failure.message,
        changedRows: progress.changedRows,
      },
      stopped ? 'import interrupted' : 'import failed',
    );
    await saveProgress('FAILED').catch((err: unknown) =>
      deps.logger.error({ err, importId }, 'could not record that an import failed'),
    );
  }
  return {
    ...progress,
    bytes: read.bytes,
    kind: opts.kind,
    format: opts.format,
    status: failure ? 'FAILED' : 'COMPLETED',
    errors,
    ...(failure ? { failure } : {}),
    revisions,
    durationMs: Date.now() - started,
  };
}
