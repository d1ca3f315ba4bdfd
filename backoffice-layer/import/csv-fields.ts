import { CsvError, parse, type Options } from 'csv-parse/sync';

/**
 * csv-parse on one record: RFC 4180 (`,` between fields, `"…"` around a field, `""` for a quote in it),
 * blanks around fields trimmed (never inside quotes). The record delimiter is pinned to LF: the record
 * splitter leaves a line break only inside a quoted field, and a stray CR in an unquoted field stays text
 * instead of cutting the record in two.
 */
const OPTIONS: Options = { trim: true, record_delimiter: '\n' };

/** csv-parse's error codes in the words of the import's row errors (`field N: …`, N counted from 1). */
const MESSAGES: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  CSV_INVALID_CLOSING_QUOTE: 'text after the closing quote (a quote inside a field is written "")',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE:
    'text after the closing quote (a quote inside a field is written "")',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (quote the whole field and write the quote as "")',
};

/**
 * Splits one CSV record (as cut by the record splitter) into its fields, trimming blanks around each field
 * (not inside quotes). A record holding a quote or a line break is read by csv-parse; one with neither
 * (nearly every record of a feed) is cut at its commas, which is what csv-parse makes of it too (its trim and
 * `String.prototype.trim` remove the same white space; a test holds them equal). That shortcut is kept for
 * its cost alone: a csv-parse call per record costs 20–40 µs against about 1 µs, and on the P6 benchmark
 * (1,000,000 stock rows) calling csv-parse on every record took the import from 104 s to 181 s and its re-run
 * from about 50 s to 134 s.
 * @returns the fields, or a message saying what is wrong with the record (a quote out of place or not
 *   closed).
 * @example csvFields('a, "b, c" ,"say ""hi"""') // → ['a', 'b, c', 'say "hi"']
 */
export function csvFields(record: string): string[] | { error: string } {
  if (!record.includes('"') && !record.includes('\n')) return record.split(',').map((f) => f.trim());
  let records: string[][];
  try {
    records = parse(record, OPTIONS);
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    const field = typeof e.column === 'number' ? e.column + 1 : 1;
    return { error: `field ${field}: ${MESSAGES[e.code] ?? `not valid CSV (${e.message})`}` };
  }
  if (records.length !== 1) return { error: 'a line break outside a quoted field' };
  return records[0]!;
}
