/** How long a bearer token may be, in characters; each entrance keeps its own bounds. */
export interface BearerBounds {
  /** Fewest characters a token may have (at least 1). */
  minLength: number;
  /** Most characters a token may have: longer values are refused before any look-up or hashing. */
  maxLength: number;
}

// RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`, the scheme in any case (RFC 7235 §2.1). The token is
// any run of non-white-space characters (wider than b64token: the hub's keys and tokens never contain
// white space, and a look-up refuses what is not a key anyway).
const BEARER = /^bearer +(\S+)$/i;

/**
 * The token of an `Authorization: Bearer <token>` header value, or null when the value is absent, uses
 * another scheme (`Basic …`), separates scheme and token by anything but spaces (a tab), carries more than
 * one word, or a token outside `bounds` (characters). One or more spaces may separate the two, as RFC 6750
 * §2.1 allows; the scheme is read in any case.
 * @example bearerToken('bearer  abc', { minLength: 1, maxLength: 512 }) // 'abc'
 * @example bearerToken('Basic eDp5', { minLength: 1, maxLength: 512 }) // null
 */
export function bearerToken(header: string | undefined, bounds: BearerBounds): string | null {
  const token = BEARER.exec(header ?? '')?.[1];
  if (token === undefined || token.length < bounds.minLength || token.length > bounds.maxLength) return null;
  return token;
}
