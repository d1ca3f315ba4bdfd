import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

/** The repository's files as git sees them: tracked, or new and not ignored (what a commit would hold). */
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
  encoding: 'utf8',
})
  .split('\0')
  .filter(Boolean)
  .map((f) => path.normalize(f));
const fileSet = new Set(files);
const docs = files.filter((f) => f === 'README.md' || /^docs\/[^/]+\.md$/.test(f)).sort();

/** Markdown without fenced code blocks and inline code spans, whose text is not link syntax. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/(`+)[^`\n]*?\1/g, '');
}

/**
 * Every link and image target: inline `[..](target)` and `![..](target)`, reference definitions, `<img src>`.
 */
function targets(markdown: string): string[] {
  const text = prose(markdown);
  return [
    ...[...text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/<img\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!),
  ];
}

/**
 * The anchors GitHub gives a document's headings (github-slugger: lower case, punctuation dropped, spaces to
 * hyphens).
 */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .matchAll(/^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = m[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

interface Broken {
  doc: string;
  target: string;
  problem: string;
}

/** The links of one document that do not resolve to a file (or a heading) of the repository. */
function brokenLinks(doc: string, markdown = readFileSync(doc, 'utf8')): Broken[] {
  const broken: Broken[] = [];
  for (const target of targets(markdown)) {
    // another site, or mailto: and the like
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
    const [rawPath = '', anchor] = target.split('#', 2);
    const file =
      rawPath === '' ? doc : path.normalize(path.join(path.dirname(doc), decodeURIComponent(rawPath)));
    if (file.startsWith('..') || path.isAbsolute(file)) {
      broken.push({ doc, target, problem: 'outside the repository' });
      continue;
    }
    const isDir = files.some((f) => f.startsWith(`${file}${path.sep}`));
    if (rawPath !== '' && !fileSet.has(file) && !isDir) {
      broken.push({ doc, target, problem: 'no such file in the repository' });
      continue;
    }
    const linked = file === doc ? markdown : readFileSync(file, 'utf8');
    if (anchor && file.endsWith('.md') && !anchors(linked).has(anchor))
      broken.push({ doc, target, problem: 'no such heading' });
  }
  return broken;
}

describe('the documentation\u2019s links', () => {
  it('reads README.md and docs/*.md', () => {
    expect(docs).toEqual(expect.arrayContaining(['README.md', path.join('docs', 'API.md')]));
  });

  it('finds links, images and headings the way GitHub renders them', () => {
    const sample =
      '# Guards: the same on HTTP and WebSocket\n## A `code` — span\n## A `code` — span\n' +
      '![x](a.png) [y](b.md#c "t")\n[ref]: c/d.md\n`[no](code.md)`\n```\n[no](fence.md)\n# not ' +
      'a heading\n```\n<img src="e.svg">';
    expect(targets(sample)).toEqual(['a.png', 'b.md#c', 'c/d.md', 'e.svg']);
    expect([...anchors(sample)]).toEqual([
      'guards-the-same-on-http-and-websocket',
      'a-code--span',
      'a-code--span-1',
    ]);
  });

  it('tells a broken link from a good one', () => {
    const doc = path.join('docs', 'new.md');
    const markdown =
      '# Here\n[a](../README.md) [b](API.md#guards-the-same-on-http-and-websocket) [c](#here) ' +
      '[d](https://example.com/x)\n' +
      '[e](missing.md) [f](API.md#no-such-heading) [g](../../beside.md) [h](#nowhere) ' +
      '![i](../docs/nothing.png)';
    expect(brokenLinks(doc, markdown)).toEqual([
      { doc, target: 'missing.md', problem: 'no such file in the repository' },
      { doc, target: 'API.md#no-such-heading', problem: 'no such heading' },
      { doc, target: '../../beside.md', problem: 'outside the repository' },
      { doc, target: '#nowhere', problem: 'no such heading' },
      { doc, target: '../docs/nothing.png', problem: 'no such file in the repository' },
    ]);
  });

  it(
    'resolve every relative link and image to a file of the ' + 'repository, and every anchor to a heading',
    () => {
      expect(docs.flatMap((doc) => brokenLinks(doc))).toEqual([]);
    },
  );
});

describe('the repository', () => {
  // Built from parts, so that this file does not mention what it looks for.
  const designNotes = ['shared', 'design'].join('/');
  const upToShared = new RegExp(`(?:\\.\\./)+${'shared'}\\b`, 'g');

  it('mentions neither the design notes nor a folder beside the checkout', () => {
    const found: Array<{ file: string; mention: string }> = [];
    for (const file of files) {
      const bytes = readFileSync(file);
      if (bytes.includes(0)) continue; // binary
      const text = bytes.toString('utf8');
      if (text.includes(designNotes)) found.push({ file, mention: designNotes });
      for (const m of text.matchAll(upToShared)) {
        // `../shared/index.js` from inside a layer is the project's own shared/ layer; one more `../` leaves
        // the checkout.
        const resolved = path.normalize(path.join(path.dirname(file), m[0]));
        if (resolved.startsWith('..')) found.push({ file, mention: m[0] });
      }
    }
    expect(found).toEqual([]);
  });
});
