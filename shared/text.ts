import { z } from 'zod';

/**
 * What PostgreSQL refuses in `text` and `jsonb`: a NUL character, and UTF-16 surrogates without their partner
 * (lone surrogates, which cannot be encoded as UTF-8 at all and would otherwise be replaced silently by
 * U+FFFD).
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored as PostgreSQL text, or undefined when it can. */
export function unstorableTextReason(s: string): string | undefined {
  const m = UNSTORABLE.exec(s);
  if (!m) return undefined;
  return m[0] === '\u0000'
    ? 'holds a NUL character (\\u0000), which cannot be stored'
    : 'holds a lone UTF-16 surrogate (not valid Unicode text)';
}

/** How deeply an input (a request body, GraphQL variables, an import record) may nest objects and arrays. */
export const MAX_INPUT_DEPTH = 64;

/**
 * Finds the first string (value or object key) in a parsed input that PostgreSQL would refuse in text, or the
 * first place the input nests deeper than MAX_INPUT_DEPTH — no input the hub accepts comes near it, and each
 * level would otherwise cost every walker of the input (validation, storage) time and stack. Linear in the
 * input's size, without recursion: a path is put together only for the place it reports.
 * @returns the path to it and why, or undefined when every string can be stored and the nesting is within the
 *   limit.
 * @example findUnstorableText({ name: 'a\u0000b' }) // → { path: ['name'], message: 'holds a NUL character …'
 *   }
 */
export function findUnstorableText(
  value: unknown,
): { path: Array<string | number>; message: string } | undefined {
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
      if (place.depth >= MAX_INPUT_DEPTH)
        return {
          path: pathOf(place),
          message: `nests objects or arrays deeper than ${MAX_INPUT_DEPTH} levels`,
        };
      const depth = place.depth + 1;
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--)
          stack.push({ value: v[i] as unknown, key: i, parent: place, depth });
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
 * The string with what PostgreSQL cannot store made visible instead: NUL as the text `\u0000`, a lone
 * surrogate as U+FFFD. For messages that quote an input back (a row error naming a bad field), so the message
 * itself can be stored.
 */
export function storableText(s: string): string {
  return s.replace(new RegExp(UNSTORABLE.source, 'g'), (m) => (m === '\u0000' ? '\\u0000' : '\uFFFD'));
}

/**
 * Characters a name shown to people (an admin key's or a client's name, a product's, a promotion's label) may
 * not hold: C0 controls (line breaks, tabs, escape), DEL and the C1 controls, and the bidirectional
 * formatting characters (U+061C, U+200E/F, U+202A–202E, U+2066–2069), which reorder how the text around them
 * is shown, so a name could pose as another line of an audit trail or as someone else.
 */
const NOT_IN_A_NAME = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/** Why `s` cannot be a name (see NOT_IN_A_NAME), or undefined when it can. */
export function nameTextReason(s: string): string | undefined {
  const m = NOT_IN_A_NAME.exec(s);
  if (!m) return undefined;
  const code = `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return `must not hold control or bidirectional formatting characters (found ${code})`;
}

/**
 * The zod schema of a name-like field of an input: text without control or bidi formatting characters
 * (checked as sent, before trimming), trimmed, 1–`max` characters. Refused with BAD_USER_INPUT naming the
 * field (`body.name`).
 * @example displayName(200).parse('ops\nadmin') // throws: must not hold control or bidirectional formatting
 *   characters (found U+000A)
 */
export function displayName(max: number) {
  return z
    .string()
    .superRefine((s, ctx) => {
      const reason = nameTextReason(s);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    })
    .trim()
    .min(1)
    .max(max);
}

/**
 * What a note may not hold: control characters other than the line feed and the tab, and bidirectional
 * formatting characters (as in a name, since staff screens show it). A carriage return is taken only as part
 * of a line break (`\r\n`, stored as `\n`).
 */
const NOT_IN_A_NOTE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/**
 * The zod schema of an agent's free-text note: like {@link displayName}, but it may run over several lines
 * (`\n`, `\r\n` stored as `\n`) and hold tabs. Trimmed, 1–`max` characters; refused with BAD_USER_INPUT
 * naming the field otherwise.
 * @example noteText(2000).parse('Called back.\r\nSize 40 on order.') // 'Called back.\nSize 40 on order.'
 */
export function noteText(max: number) {
  return z
    .string()
    .superRefine((s, ctx) => {
      const m = NOT_IN_A_NOTE.exec(s.replace(/\r\n/g, '\n'));
      if (!m) return;
      const code = `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      ctx.addIssue({
        code: 'custom',
        message:
          'must not hold control or bidirectional formatting characters other than line breaks and tabs ' +
          `(found ${code})`,
      });
    })
    .trim()
    .min(1)
    .max(max)
    .transform((s) => s.replace(/\r\n/g, '\n'));
}
