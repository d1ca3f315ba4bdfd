import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';

/** One record of a feed, numbered by the line it starts on (1-based): its text, or why it cannot be read. */
export type FeedRecord = { line: number; text: string } | { line: number; error: string };

interface RecordSplitterOptions {
  /** CSV: a line break inside a double-quoted field belongs to the record. NDJSON: every line is a record. */
  quoted: boolean;
  /**
   * Largest record in bytes, line break excluded; a longer one is reported and skipped up to the next line
   * break.
   */
  maxRecordBytes: number;
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const NEWLINE = Buffer.from('\n');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Cuts a byte stream into records (object mode out: {@link FeedRecord}) holding at most one record in memory,
 * and never more than `maxRecordBytes` of it: a longer record is reported as an error on its first line and
 * its bytes are dropped as they arrive until the next line break, where reading starts afresh. Each record is
 * checked to be valid UTF-8 (a record that is not becomes an error, the rest still flow). A CSV quote left
 * open at the end of the feed is reported on the line it opened. Blank records are dropped; a trailing CR and
 * a leading BOM are removed. Fields are then read by csv-parse, record by record (see csv-fields.ts). This
 * cut stays ours because csv-parse cannot make it: over a whole feed, its `max_record_size` is an error that
 * ends the parse (it cannot drop a long record and resume at the next line break), and a quote left open
 * makes the rest of the feed one field held in memory; here a bad record costs at most `maxRecordBytes` and
 * the records after it are still read.
 */
export class RecordSplitter extends Transform {
  /** The line the next byte belongs to: where the feed stopped, if it stops. */
  line = 1;
  private startLine = 1;
  private parts: Buffer[] = [];
  private size = 0;
  private inQuote = false;
  private skipping = false;

  constructor(private readonly opts: RecordSplitterOptions) {
    super({ readableObjectMode: true });
  }

  override _transform(buf: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    // The next quote of the chunk, found once per quote rather than once per line.
    let quote = this.opts.quoted ? buf.indexOf(QUOTE) : -1;
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(LF, pos);
      const end = nl === -1 ? buf.length : nl;
      if (this.skipping) {
        if (nl === -1) break;
        this.skipping = false;
        this.inQuote = false;
        this.line++;
        this.startLine = this.line;
        pos = nl + 1;
        if (quote !== -1 && quote < pos) quote = buf.indexOf(QUOTE, pos);
        continue;
      }
      while (quote !== -1 && quote < end) {
        this.inQuote = !this.inQuote; // RFC 4180: an escaped quote ("") toggles twice
        quote = buf.indexOf(QUOTE, quote + 1);
      }
      this.size += end - pos;
      if (this.size > this.opts.maxRecordBytes) {
        const lines =
          this.line > this.startLine ? `lines ${this.startLine}–${this.line}` : `line ${this.startLine}`;
        const open = this.inQuote ? ' (inside a quoted field)' : '';
        this.push({
          line: this.startLine,
          error:
            `the record is longer than ${this.opts.maxRecordBytes} bytes${open}; ` +
            `${lines} skipped up to the next line break`,
        });
        this.parts = [];
        this.size = 0;
        this.skipping = true;
        continue;
      }
      if (end > pos) this.parts.push(buf.subarray(pos, end));
      if (nl === -1) break;
      this.line++;
      pos = nl + 1;
      if (this.inQuote) {
        this.parts.push(NEWLINE);
        this.size++;
        continue;
      }
      this.emitRecord();
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (!this.skipping && this.inQuote) {
      const to =
        this.line > this.startLine
          ? ` (lines ${this.startLine}–${this.line}, the rest of the feed, were read as part of it)`
          : '';
      this.push({ line: this.startLine, error: `a quoted field opened on this line is never closed${to}` });
    } else if (!this.skipping && this.size > 0) {
      this.emitRecord();
    }
    done();
  }

  private emitRecord(): void {
    let record = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    const line = this.startLine;
    this.parts = [];
    this.size = 0;
    this.startLine = this.line;
    if (record.length > 0 && record[record.length - 1] === CR) record = record.subarray(0, record.length - 1);
    if (line === 1 && record.subarray(0, 3).equals(BOM)) record = record.subarray(3);
    if (record.length === 0) return;
    if (!isUtf8(record)) this.push({ line, error: 'not valid UTF-8 text' });
    else this.push({ line, text: record.toString('utf8') });
  }
}
