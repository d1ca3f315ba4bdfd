import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { csvFields } from '../../../backoffice-layer/import/csv-fields.js';

describe('a CSV record is read into its fields by csv-parse, and a bad one is named in plain words', () => {
  it('reads quoted fields as RFC 4180 defines them, trimming blanks outside quotes only', () => {
    expect(csvFields('a, "b, c" ,"say ""hi"""')).toEqual(['a', 'b, c', 'say "hi"']);
    expect(csvFields('NK,"Muts, ""navy""\r\nwol",acc,')).toEqual(['NK', 'Muts, "navy"\r\nwol', 'acc', '']);
    expect(csvFields('a\rb, "" ,"\t x "')).toEqual(['a\rb', '', '\t x ']);
  });

  it('says which field holds a quote out of place or not closed', () => {
    expect(csvFields('NK,Muts "grijs",acc')).toEqual({
      error: 'field 2: a quote inside an unquoted field (quote the whole field and write the quote as "")',
    });
    expect(csvFields('a,b,"c')).toEqual({ error: 'field 3: a quoted field is not closed' });
    expect(csvFields('"ab"c,d')).toEqual({
      error: 'field 1: text after the closing quote (a quote inside a field is written "")',
    });
    expect(csvFields('a,"b" x,c')).toEqual({
      error: 'field 2: text after the closing quote (a quote inside a field is written "")',
    });
  });

  it('a record without quotes is cut at its commas exactly as csv-parse cuts it', () => {
    const chars = fc.constantFrom(
      'a',
      'Z',
      '9',
      '-',
      ',',
      ',',
      ' ',
      '\t',
      '\r',
      '\u00a0',
      '\u2003',
      '\u3000',
      '\ufeff',
      'é',
      '€',
    );
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 40 }).map((c) => c.join('')),
        (record) => {
          expect(csvFields(record)).toEqual(parse(record, { trim: true, record_delimiter: '\n' })[0] ?? ['']);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
