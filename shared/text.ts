/**
 * What PostgreSQL refuses in `text` and `jsonb`: a NUL character, and UTF-16 surrogates without their partner (lone
 * surrogates, which cannot be encoded as UTF-8 at all and would otherwise be replaced silently by U+FFFD).
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored as PostgreSQL text, or undefined when it can. */
export function unstorableTextReason(s: string): string | undefined {
  const m = UNSTORABLE.exec(s);
  if (!m) return undefined;
  return m[0] === '\u0000' ? 'holds a NUL character (\\u0000), which cannot be stored' : 'holds a lone UTF-16 surrogate (not valid Unicode text)';
}

/**
 * Finds the first string (value or object key) in a parsed input that PostgreSQL would refuse in text, walking
 * objects and arrays without recursion (so a deeply nested input cannot overflow the stack).
 * @returns the path to it and why, or undefined when every string can be stored.
 * @example findUnstorableText({ name: 'a\u0000b' }) // → { path: ['name'], message: 'holds a NUL character …' }
 */
export function findUnstorableText(value: unknown): { path: Array<string | number>; message: string } | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const message = unstorableTextReason(v);
      if (message) return { path, message };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i] as unknown, path: [...path, i] });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const message = unstorableTextReason(k);
        if (message) return { path: [...path, k], message: `the field name ${message}` };
        stack.push({ value: x, path: [...path, k] });
      }
    }
  }
  return undefined;
}

/**
 * The string with what PostgreSQL cannot store made visible instead: NUL as the text `\u0000`, a lone surrogate as
 * U+FFFD. For messages that quote an input back (a row error naming a bad field), so the message itself can be stored.
 */
export function storableText(s: string): string {
  return s.replace(new RegExp(UNSTORABLE.source, 'g'), (m) => (m === '\u0000' ? '\\u0000' : '\uFFFD'));
}
