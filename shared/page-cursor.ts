import { DomainError } from './errors.js';
import { isUuid } from './schemas.js';

/** Encodes and decodes one list's page cursors: {@link pageCursor}. */
export interface PageCursor<T> {
  /** The opaque cursor (base64url text) of a page's last item `key`. */
  encode(key: T): string;
  /**
   * The key a cursor stands for. Only a cursor `encode` wrote is taken — the same text back — so nothing odd
   * reaches PostgreSQL.
   * @throws DomainError BAD_USER_INPUT (`details.after`: the cursor) for any other text.
   */
  decode(cursor: string): T;
}

/**
 * The cursors of one keyset-paged list: base64url of the key's `parts` joined by `|`. `fromParts` reads
 * the parts back (null: not a key of this list); a cursor is taken only when the key it reads encodes to
 * the very same text. `what` names the list in the refusal ("The cursor `after` is not one a page of
 * <what> answered").
 * @example const c = pageCursor('data use', (id: number) => [`u${id}`], ([t]) => …);
 */
export function pageCursor<T>(
  what: string,
  toParts: (key: T) => readonly string[],
  fromParts: (parts: readonly string[]) => T | null,
): PageCursor<T> {
  const encode = (key: T) => Buffer.from(toParts(key).join('|')).toString('base64url');
  return {
    encode,
    decode(cursor) {
      const key = fromParts(Buffer.from(cursor, 'base64url').toString('utf8').split('|'));
      if (key === null || encode(key) !== cursor)
        throw new DomainError(
          'BAD_USER_INPUT',
          `The cursor \`after\` is not one a page of ${what} answered`,
          {
            after: cursor,
          },
        );
      return key;
    },
  };
}

/**
 * An instant-and-id key read from two cursor parts — an ISO 8601 instant in years 1–9999 and a lower-case
 * UUID — or null when they are not one.
 */
export function instantAndId(
  at: string | undefined,
  id: string | undefined,
): { at: Date; id: string } | null {
  const instant = new Date(at ?? '');
  const year = instant.getUTCFullYear();
  if (!id || !isUuid(id) || id !== id.toLowerCase() || Number.isNaN(instant.getTime())) return null;
  return year >= 1 && year <= 9999 ? { at: instant, id } : null;
}
