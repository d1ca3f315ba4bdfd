/**
 * What an import holds and how it is written: guessed from the file's name, or given — and a wrong one is
 * named.
 */
import { describe, expect, it } from '@jest/globals';
import { inferImportType } from '../../../backoffice-layer/index.js';

const refusal = (file: string, given: { kind?: string; format?: string }): string => {
  try {
    inferImportType(file, given);
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('inferImportType', () => {
  it('guesses kind and format from the name, and takes them when given', () => {
    expect(inferImportType('stock-2026-11.csv', {})).toEqual({ kind: 'stock', format: 'csv' });
    expect(inferImportType('feed.jsonl', { kind: 'prices' })).toEqual({ kind: 'prices', format: 'ndjson' });
    expect(inferImportType('feed.txt', { kind: 'products', format: 'csv' })).toEqual({
      kind: 'products',
      format: 'csv',
    });
  });

  it('names the valid kinds and formats when a given one is not', () => {
    expect(refusal('prices.csv', { kind: 'pricez' })).toBe(
      '--kind pricez is not a kind of import: use products, prices, stock',
    );
    expect(refusal('prices.csv', { format: 'xlsx' })).toBe(
      '--format xlsx is not a format: use ndjson or csv',
    );
    expect(refusal('feed.csv', {})).toMatch(
      /Cannot tell what feed\.csv holds: .*--kind products\|prices\|stock/,
    );
  });
});
