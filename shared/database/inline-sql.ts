import pg from 'pg';

/**
 * Turns a compiled statement into text with its parameters written as literals, so it can travel with other
 * statements in one simple-protocol message (`BEGIN; …` or `…; COMMIT`) and save a round trip. Each value
 * becomes a quoted literal of unknown type — what node-postgres sends a parameter as — so PostgreSQL resolves
 * its type from the context exactly as it would for `$n`. Dates become ISO instants (every time column of the
 * hub is `timestamptz`). Returns null for a value it does not know how to write (the caller then sends the
 * statement with parameters), and for text PostgreSQL could not take anyway (NUL).
 */
export function inlineParameters(compiled: { sql: string; parameters: readonly unknown[] }): string | null {
  const literals: string[] = [];
  for (const p of compiled.parameters) {
    const l = literal(p);
    if (l === null) return null;
    literals.push(l);
  }
  let missing = false;
  const text = compiled.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const l = literals[Number(n) - 1];
    if (l === undefined) missing = true;
    return l ?? '';
  });
  return missing ? null : text;
}

function literal(v: unknown): string | null {
  if (v === null || v === undefined) return 'NULL';
  const text = asText(v);
  if (text === null || text.includes('\u0000')) return null;
  return pg.escapeLiteral(text);
}

/** A value as the text node-postgres would send for it; null when not representable here. */
function asText(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) ? String(v) : null;
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      break;
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return arrayLiteral(v);
  if (Buffer.isBuffer(v)) return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return null;
}

/** `{"a","b",NULL}` — PostgreSQL's array input syntax, each element quoted. */
function arrayLiteral(items: readonly unknown[]): string | null {
  const parts: string[] = [];
  for (const item of items) {
    if (item === null || item === undefined) {
      parts.push('NULL');
      continue;
    }
    if (Array.isArray(item)) {
      const inner = arrayLiteral(item);
      if (inner === null) return null;
      parts.push(inner);
      continue;
    }
    if (typeof item === 'object' && !(item instanceof Date)) return null;
    const text = asText(item);
    if (text === null) return null;
    parts.push(`"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  }
  return `{${parts.join(',')}}`;
}
