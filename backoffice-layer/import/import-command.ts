import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { DomainError, type Deps } from '../../shared/index.js';
import type { WriteDeps } from '../tables.js';
import { IMPORT_FORMATS, IMPORT_KINDS, type ImportFormat, type ImportKind } from './import-rows.js';
import { runImport, type ImportProgress, type ImportSummary } from './run-import.js';

/*
 * The command line's import (`omnihub import FILE`): what the file is, a progress bar on the terminal, and
 * Ctrl-C marking the import FAILED (interrupted). The import itself is `runImport`.
 */

/**
 * Guesses the format from the extension and the kind from the file name (`stock-2026-11.csv` → stock, csv).
 */
export function inferImportType(
  file: string,
  given: { kind?: string | undefined; format?: string | undefined },
): { kind: ImportKind; format: ImportFormat } {
  const base = path.basename(file).toLowerCase();
  const format = (given.format ??
    (base.endsWith('.csv')
      ? 'csv'
      : base.endsWith('.ndjson') || base.endsWith('.jsonl')
        ? 'ndjson'
        : undefined)) as ImportFormat | undefined;
  const kind = (given.kind ??
    IMPORT_KINDS.find((k) => base.includes(k) || base.includes(k.replace(/s$/, '')))) as
    ImportKind | undefined;
  if (given.format !== undefined && !IMPORT_FORMATS.includes(given.format as ImportFormat))
    throw new DomainError(
      'BAD_USER_INPUT',
      `--format ${given.format} is not a format: use ${IMPORT_FORMATS.join(' or ')}`,
      { format: given.format, formats: IMPORT_FORMATS },
    );
  if (given.kind !== undefined && !IMPORT_KINDS.includes(given.kind as ImportKind))
    throw new DomainError(
      'BAD_USER_INPUT',
      `--kind ${given.kind} is not a kind of import: use ${IMPORT_KINDS.join(', ')}`,
      { kind: given.kind, kinds: IMPORT_KINDS },
    );
  if (!format || !IMPORT_FORMATS.includes(format))
    throw new DomainError(
      'BAD_USER_INPUT',
      `Cannot tell the format of ${file}: name it .csv or .ndjson, or pass --format csv|ndjson`,
      {},
    );
  if (!kind || !IMPORT_KINDS.includes(kind))
    throw new DomainError(
      'BAD_USER_INPUT',
      `Cannot tell what ${file} holds: put products, prices or stock in its name, ` +
        'or pass --kind products|prices|stock',
      {},
    );
  return { kind, format };
}

function bar(fraction: number, width = 28): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/** What `omnihub import` did: the import's summary, and the signal that stopped it, if one did. */
export type ImportCommandResult = ImportSummary & { interrupted?: NodeJS.Signals };

/**
 * The file an import reads, checked before anything is recorded: BAD_USER_INPUT when missing, a folder or
 * empty.
 */
async function importFileSize(file: string): Promise<number> {
  const s = await stat(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR')
      throw new DomainError('BAD_USER_INPUT', `No such file: ${file}`, { file });
    throw new DomainError('BAD_USER_INPUT', `${file} cannot be read (${e.code ?? e.message})`, { file });
  });
  if (s.isDirectory())
    throw new DomainError('BAD_USER_INPUT', `${file} is a folder, not a file: name the file to import`, {
      file,
    });
  if (s.isFile() && s.size === 0)
    throw new DomainError('BAD_USER_INPUT', `${file} is empty: there is nothing to import`, { file });
  return s.isFile() ? s.size : 0;
}

/**
 * `omnihub import FILE` (`-` reads standard input, with --kind and --format): runs the import with a progress
 * bar on stderr (bytes, rows/s, ETA), redrawn in place on a terminal; elsewhere a line every 3 s at most and
 * one final line. Then prints a final summary: the rejected rows with their lines and, for a FAILED import,
 * why and where it stopped. SIGINT or SIGTERM stops it: the import ends FAILED "interrupted (SIGINT)", said
 * in the summary, and `interrupted` names the signal; a second signal exits at once.
 * Throws BAD_USER_INPUT, recording nothing, when the file is missing, a folder or empty, or its kind or
 * format cannot be told.
 */
export async function runImportCommand(
  deps: WriteDeps & Pick<Deps, 'logger'>,
  file: string,
  given: { kind?: string | undefined; format?: string | undefined },
  out: NodeJS.WriteStream = process.stderr,
): Promise<ImportCommandResult> {
  const stdin = file === '-';
  if (stdin && (!given.kind || !given.format))
    throw new DomainError(
      'BAD_USER_INPUT',
      'Standard input (-) has no name to tell its kind and format from: ' +
        'pass --kind products|prices|stock and --format ndjson|csv',
      {},
    );
  const size = stdin ? 0 : await importFileSize(file);
  const { kind, format } = inferImportType(file, given);
  const started = Date.now();
  // Not a terminal (a log, a pipe): a line at most every few seconds while it runs, then the final one, once.
  let lastLine = started;
  let lastText = '';
  const render = (p: ImportProgress, final = false) => {
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    const fraction = size ? p.bytes / size : 0;
    const rate = Math.round(p.rows / secs);
    const eta = fraction > 0 && fraction < 1 ? `${Math.ceil(secs / fraction - secs)}s left` : '';
    const percent = `${(fraction * 100).toFixed(0).padStart(3)}%`;
    const errors = p.errorRows ? `${p.errorRows} errors  ` : '';
    const counts = `${bar(fraction)} ${percent}  ${p.rows.toLocaleString('en-US')} rows  ${errors}`;
    const text = `${counts}${rate.toLocaleString('en-US')} rows/s  ${eta}`.trimEnd();
    if (out.isTTY) {
      // Redrawn in place: the line is cleared and cut to the terminal's width, since a line that wraps cannot
      // be redrawn by a carriage return and would show once per redraw.
      const width = Math.max(20, (out.columns || 80) - 1);
      out.write(`\r\x1b[2K${text.slice(0, width)}${final ? '\n' : ''}`);
    } else if (final ? counts !== lastText : Date.now() - lastLine >= 3000) {
      out.write(`${text}\n`);
      lastLine = Date.now();
      lastText = counts;
    }
  };
  const megabytes = (size / 1e6).toFixed(1);
  out.write(
    `Importing ${kind} from ${stdin ? 'standard input' : file} ` +
      `(${format}${stdin ? '' : `, ${megabytes} MB`})\n`,
  );
  const input = stdin ? process.stdin : createReadStream(file);
  const abort = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // a second Ctrl-C does not wait for the batch
    if (interrupted) process.exit(signal === 'SIGINT' ? 130 : 143);
    interrupted = signal;
    abort.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let summary: ImportSummary;
  try {
    summary = await runImport(deps, {
      kind,
      format,
      input,
      source: stdin ? 'standard input' : file,
      totalBytes: stdin ? null : size,
      onProgress: (p) => render(p),
      signal: abort.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!stdin) input.destroy();
  }
  render(summary, true);
  const count = (n: number) => n.toLocaleString('en-US');
  const seconds = (summary.durationMs / 1000).toFixed(1);
  const lines = [
    interrupted && summary.failure
      ? `Interrupted by ${interrupted} at line ${summary.failure.line}: ` +
        'the import is marked FAILED (interrupted); the batches committed before stay'
      : '',
    !interrupted && summary.failure
      ? `Failed at line ${summary.failure.line}: ${summary.failure.message}`
      : '',
    `${summary.failure ? 'Stopped after' : 'Done in'} ${seconds} s: ${count(summary.rows)} rows — ` +
      `${count(summary.changedRows)} changed, ${count(summary.unchangedRows)} unchanged, ` +
      (summary.supersededRows > 0 ? `${count(summary.supersededRows)} superseded by a later row, ` : '') +
      `${count(summary.errorRows)} rejected`,
    summary.revisions
      ? `Committed revisions ${summary.revisions[0]}–${summary.revisions[1]}; import id ${summary.importId}`
      : `Nothing changed; import id ${summary.importId}`,
    ...summary.errors.slice(0, 10).map((e) => `  line ${e.line}: ${e.message}`),
    summary.errorRows > 10
      ? `  … and ${summary.errorRows - 10} more (GET /admin/v1/imports/${summary.importId})`
      : '',
    summary.status === 'COMPLETED' && summary.rows === 0
      ? `${stdin ? 'Standard input' : file} holds no rows ` +
        '(only a header or blank lines): nothing was imported'
      : '',
  ].filter(Boolean);
  out.write(`${lines.join('\n')}\n`);
  return { ...summary, ...(interrupted ? { interrupted } : {}) };
}
