import { describe, expect, it } from '@jest/globals';
import { bearerToken } from '../../shared/index.js';

describe('bearerToken reads Authorization: Bearer as RFC 6750 §2.1 writes it', () => {
  const bounds = { minLength: 4, maxLength: 8 };

  it('takes the token after the scheme, in any case, after one or more spaces', () => {
    expect(bearerToken('Bearer abcd', bounds)).toBe('abcd');
    expect(bearerToken('Bearer  abcd', bounds)).toBe('abcd');
    expect(bearerToken('Bearer    abcdefgh', bounds)).toBe('abcdefgh');
    expect(bearerToken('bearer abcd', bounds)).toBe('abcd');
    expect(bearerToken('BEARER abcd', bounds)).toBe('abcd');
  });

  it('refuses a tab or no separator, an empty or missing value, and another scheme', () => {
    expect(bearerToken('Bearer\tabcd', bounds)).toBeNull();
    expect(bearerToken('Bearer \tabcd', bounds)).toBeNull();
    expect(bearerToken('Bearerabcd', bounds)).toBeNull();
    expect(bearerToken('', bounds)).toBeNull();
    expect(bearerToken(undefined, bounds)).toBeNull();
    expect(bearerToken('Bearer', bounds)).toBeNull();
    expect(bearerToken('Bearer ', bounds)).toBeNull();
    expect(bearerToken('Basic abcd', bounds)).toBeNull();
    expect(bearerToken('Token abcd', bounds)).toBeNull();
    expect(bearerToken('abcd', bounds)).toBeNull();
    expect(bearerToken('Bearer abcd efgh', bounds)).toBeNull();
  });

  it('keeps the token within the entrance’s bounds, both ends included', () => {
    expect(bearerToken('Bearer abc', bounds)).toBeNull();
    expect(bearerToken('Bearer abcdefghi', bounds)).toBeNull();
    expect(bearerToken('Bearer abcd', bounds)).toBe('abcd');
    expect(bearerToken('Bearer abcdefgh', bounds)).toBe('abcdefgh');
    expect(bearerToken(`Bearer ${'k'.repeat(512)}`, { minLength: 1, maxLength: 512 })).toHaveLength(512);
    expect(bearerToken(`Bearer ${'k'.repeat(513)}`, { minLength: 1, maxLength: 512 })).toBeNull();
  });
});
