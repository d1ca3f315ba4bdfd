import type { z } from 'zod';
import { DomainError } from './errors.js';
import { findUnstorableText } from './text.js';

/**
 * Validates one part of a request — of the admin REST API (`body`, `path`, `query`) or of a GraphQL operation
 * (`input`) — with its zod schema, and refuses text PostgreSQL cannot store (a NUL character, a lone
 * surrogate) anywhere in it, and nesting deeper than MAX_INPUT_DEPTH (shared/text.ts), so no entrance lets
 * such input reach a write or a slow walk. Independent of any interface's error shape: each maps the
 * DomainError in its one place.
 * @throws DomainError BAD_USER_INPUT, its message listing every issue (at most 20), its details
 *   `{ issues: Array<{ path: string; message: string }> }`, each path led by `where` (`body.lines.0.sku`).
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'path' | 'query' | 'input',
): z.infer<S> {
  // First, in linear time, on the input as sent: text no column can store, or nesting no schema allows (which
  // would cost the schema's own walk time and stack).
  const unstorable = findUnstorableText(value);
  const r = unstorable ? undefined : schema.safeParse(value);
  if (r?.success) return r.data;
  const issues = (r ? r.error!.issues.slice(0, 20) : [unstorable!]).map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  throw new DomainError(
    'BAD_USER_INPUT',
    `Invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    { issues },
  );
}
