/**
 * The README's admin route table is what `npx tsx scripts/routes-table.ts` prints from the route definitions,
 * row for row: a route added, removed or re-described without regenerating the table fails here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

const root = new URL('../../', import.meta.url);

/** The markdown table that starts with `header` in `text`: its header and every `|` line after it. */
function tableAt(text: string, header: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines.slice(start, end < 0 ? undefined : end);
}

describe('the README admin route table', () => {
  it('is the output of scripts/routes-table.ts, every row in order', () => {
    const generated = execFileSync(
      new URL('node_modules/.bin/tsx', root).pathname,
      ['scripts/routes-table.ts'],
      { cwd: root.pathname, encoding: 'utf8' },
    );
    const rows = generated.trimEnd().split('\n');
    expect(rows.length).toBeGreaterThan(30);
    expect(rows).toContain(
      '| `GET /admin/v1/admin-keys` | Every admin key (never the key), newest first, revoked ' +
        'and expired ones included |',
    );
    expect(tableAt(readFileSync(new URL('README.md', root), 'utf8'), rows[0]!)).toEqual(rows);
  });
});
