import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/** What an exported snapshot's id looks like (`pg_export_snapshot()`): hex groups and dashes. */
const SNAPSHOT_ID = /^[0-9A-Fa-f-]+$/;

/**
 * Rows of one `COPY (query) TO STDOUT` (text format) read on a connection of its own inside an exported
 * snapshot (`pg_export_snapshot()` of another REPEATABLE READ transaction), so several streams read one
 * consistent state. Reading is pulled: the socket pauses while rows wait to be consumed (constant memory).
 * Rows are read synchronously while some are buffered (`peek`, `next`) and refilled with `fill`.
 */
export class CopyRows {
  private rows: string[][] = [];
  private at = 0;
  private rest: Buffer | null = null;
  private ended = false;

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly chunks: AsyncIterator<Buffer>,
  ) {}

  /**
   * Opens the stream: a connection of `pool`, a read-only REPEATABLE READ transaction on snapshot `snapshot`,
   * then the COPY of `query` (a SELECT). Throws what PostgreSQL throws (an unknown or expired snapshot: the
   * exporting transaction must still be open).
   */
  static async open(pool: pg.Pool, snapshot: string, query: string): Promise<CopyRows> {
    if (!SNAPSHOT_ID.test(snapshot)) throw new Error(`not a snapshot id: ${snapshot}`);
    const client = await pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
      // Rows in index order as they come, never a sort of the whole table before the first row.
      await client.query('SET LOCAL enable_sort = off');
      // A whole catalogue takes longer than the pool's 30 s statement timeout: this stream gets 30 minutes.
      await client.query(`SET LOCAL statement_timeout = '30min'`);
      const stream = client.query(copyTo(`COPY (${query}) TO STDOUT`));
      return new CopyRows(client, stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
    } catch (e) {
      client.release(true);
      throw e;
    }
  }

  /** The next row without consuming it; undefined when none is buffered (call `fill`) or at the end. */
  peek(): string[] | undefined {
    return this.rows[this.at];
  }

  /** Consumes the row `peek` returned. */
  skip(): void {
    this.at++;
  }

  /** Buffers the next rows; false at the end of the stream (then the transaction is committed). */
  async fill(): Promise<boolean> {
    while (this.at >= this.rows.length) {
      if (this.ended) return false;
      const { value, done } = await this.chunks.next();
      if (done) {
        this.ended = true;
        if (this.rest && this.rest.length > 0) throw new Error('COPY ended inside a row');
        await this.client.query('COMMIT');
        this.client.release();
        return false;
      }
      this.split(value);
    }
    return true;
  }

  /** Stops reading (an error elsewhere): the connection is closed, which ends the COPY on the server. */
  abort(): void {
    if (this.ended) return;
    this.ended = true;
    this.client.release(true);
  }

  private split(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const end = buf.lastIndexOf(10);
    if (end < 0) {
      this.rest = buf;
      return;
    }
    this.rest = end + 1 < buf.length ? buf.subarray(end + 1) : null;
    const lines = buf.toString('utf8', 0, end).split('\n');
    this.rows = lines.map((l) => l.split('\t'));
    this.at = 0;
  }
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * A text field of COPY's text format as the value it stands for: `\N` is null, backslash sequences (`\t`,
 * `\n`, `\\`, octal `\ooo`, hex `\xhh`) are undone.
 */
export function copyField(raw: string): string | null {
  if (raw === '\\N') return null;
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}
