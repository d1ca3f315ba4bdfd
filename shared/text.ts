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

/** How deeply an input (a request body, GraphQL variables, an import record) may nest objects and arrays. */
export const MAX_INPUT_DEPTH = 64;

/**
 * Finds the first string (value or object key) in a parsed input that PostgreSQL would refuse in text, or the first
 * place the input nests deeper than MAX_INPUT_DEPTH — no input the hub accepts comes near it, and each level would
 * otherwise cost every walker of the input (validation, storage) time and stack. Linear in the input's size, without
 * recursion: a path is put together only for the place it reports.
 * @returns the path to it and why, or undefined when every string can be stored and the nesting is within the limit.
 * @example findUnstorableText({ name: 'a\u0000b' }) // → { path: ['name'], message: 'holds a NUL character …' }
 */
export function findUnstorableText(value: unknown): { path: Array<string | number>; message: string } | undefined {
  type Place = { value: unknown; key: string | number | null; parent: Place | null; depth: number };
  const pathOf = (p: Place, last?: string): Array<string | number> => {
    const path: Array<string | number> = last === undefined ? [] : [last];
    for (let at: Place | null = p; at && at.key !== null; at = at.parent) path.unshift(at.key);
    return path;
  };
  const stack: Place[] = [{ value, key: null, parent: null, depth: 0 }];
  while (stack.length > 0) {
    const place = stack.pop()!;
    const v = place.value;
    if (typeof v === 'string') {
      const message = unstorableTextReason(v);
      if (message) return { path: pathOf(place), message };
    } else if (v !== null && typeof v === 'object') {
      if (place.depth >= MAX_INPUT_DEPTH) return { path: pathOf(place), message: `nests objects or arrays deeper than ${MAX_INPUT_DEPTH} levels` };
      const depth = place.depth + 1;
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i] as unknown, key: i, parent: place, depth });
      } else {
        for (const [k, x] of Object.entries(v)) {
          const message = unstorableTextReason(k);
          if (message) return { path: pathOf(place, k), message: `the field name ${message}` };
          stack.push({ value: x, key: k, parent: place, depth });
        }
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
