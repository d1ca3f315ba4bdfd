import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const CONSOLE = path.resolve(import.meta.dirname, '../../console/src');

/** Every namespace of the console's labels: the shell's (common) and one per page. */
async function namespaces(): Promise<
  Array<[string, { en: Record<string, string>; nl: Record<string, string> }]>
> {
  const pages = readdirSync(path.join(CONSOLE, 'pages'), { withFileTypes: true }).filter((d) =>
    d.isDirectory(),
  );
  const files: Array<[string, string]> = [
    ['common', path.join(CONSOLE, 'messages.ts')],
    ...pages.map((d) => [d.name, path.join(CONSOLE, 'pages', d.name, 'messages.ts')] as [string, string]),
  ];
  return Promise.all(
    files.map(async ([ns, file]) => [ns, ((await import(file)) as { messages: never }).messages] as const),
  ) as never;
}

const placeholders = (text: string): string[] =>
  [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!).sort();

describe("the console's labels", () => {
  it('exist in English and Dutch for every key, none empty, with the same placeholders', async () => {
    const all = await namespaces();
    expect(all.length).toBeGreaterThanOrEqual(9);
    for (const [ns, m] of all) {
      // i18next's plural forms (`_one`, `_other`) may differ per language; every base key must exist in both.
      const base = (k: string) => k.replace(/_(zero|one|two|few|many|other)$/, '');
      expect([ns, [...new Set(Object.keys(m.nl).map(base))].sort()]).toEqual([
        ns,
        [...new Set(Object.keys(m.en).map(base))].sort(),
      ]);
      for (const [key, en] of Object.entries(m.en)) {
        expect([ns, key, en.trim().length > 0]).toEqual([ns, key, true]);
        const nl = m.nl[key];
        if (nl === undefined) continue;
        expect([ns, key, nl.trim().length > 0]).toEqual([ns, key, true]);
        expect([ns, key, placeholders(nl)]).toEqual([ns, key, placeholders(en)]);
      }
    }
  });
});
