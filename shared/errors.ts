/**
 * The fixed set of error codes every interface speaks (GraphQL `extensions.code`, REST problem `code`).
 * One registry: each code has its HTTP status and a default title.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: { status: 400, title: 'Bad input' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFLICT: { status: 409, title: 'Conflict' },
  INSUFFICIENT_STOCK: { status: 409, title: 'Insufficient stock' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  RATE_LIMITED: { status: 429, title: 'Rate limited' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  INTERNAL: { status: 500, title: 'Unexpected error.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * An expected failure with a stable code and machine-readable details. Domain code throws only this;
 * the channel and admin interfaces map it in one place each. Anything else is masked as "Unexpected error.".
 * @example
 * throw new DomainError('INSUFFICIENT_STOCK', 'Only 2 units of COAT-1 at ams-01', {
 *   sku: 'COAT-1',
 *   available: 2,
 * });
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** `cause`: the failure it stands for (a database error), for the logs — never shown to a client. */
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** What node-postgres and ioredis say when a connection is lost or cannot be made. */
const LOST_CONNECTION = new RegExp(
  [
    'Connection terminated',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error',
    'Connection is closed',
  ].join('|'),
  'i',
);

/**
 * PostgreSQL SQLSTATE classes that mean "the database is unreachable or restarting", not "your input is bad".
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** The HINT of an error the database raised as one of the hub's domain errors (`omnihub:<code>`). */
const DATABASE_REFUSAL = /^omnihub:([A-Z_]+)$/;

/**
 * The domain error a database function raised on purpose (SQLSTATE P0001 with HINT `omnihub:<code>` and the
 * details as JSON in DETAIL — a check that must run inside a transaction, see the migration
 * 20261201T0600_held_units_check), or null for any other error.
 */
function databaseRefusal(err: { code?: unknown; hint?: unknown; detail?: unknown; message?: unknown }) {
  if (err.code !== 'P0001' || typeof err.hint !== 'string') return null;
  const code = DATABASE_REFUSAL.exec(err.hint)?.[1];
  if (!code || !Object.hasOwn(ERROR_CODES, code)) return null;
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = typeof err.detail === 'string' ? JSON.parse(err.detail) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      details = parsed as Record<string, unknown>;
  } catch {
    // details stay empty: the code and message still say what was refused
  }
  return new DomainError(code as ErrorCode, String(err.message), details);
}

/**
 * Turns infrastructure failures into `UNAVAILABLE` so callers get a retryable 503 instead of a masked 500,
 * and the database's own integrity checks (the last line of defence behind validation) into `CONFLICT` /
 * `BAD_USER_INPUT`: a request that trips a CHECK constraint was refused, not a server fault (the answer names
 * no constraint: validation should have refused such input first, so the interfaces log the original).
 * A domain error a database function raised on purpose (HINT `omnihub:<code>`) becomes that DomainError.
 * Returns anything else unchanged.
 */
export function classifyInfrastructureError(e: unknown): unknown {
  if (e instanceof DomainError) return e;
  const err = e as { code?: unknown; message?: unknown; hint?: unknown; detail?: unknown } | null;
  const refusal = err ? databaseRefusal(err) : null;
  if (refusal) return refusal;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? err.message : '';
  if (
    (code && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) ||
    LOST_CONNECTION.test(message)
  ) {
    return new DomainError('UNAVAILABLE', 'A backing service is unavailable; retry shortly', {});
  }
  if (code === '40001' || code === '40P01')
    return new DomainError('CONFLICT', 'A concurrent change conflicted with this one; retry', {});
  // The constraint's name is the schema's business, not the client's: it is logged where the error is
  // answered.
  if (code && /^23/.test(code))
    return new DomainError('CONFLICT', 'Refused by a data rule', {}, { cause: e });
  if (code && /^22/.test(code))
    return new DomainError('BAD_USER_INPUT', 'A value is out of range or malformed', {}, { cause: e });
  return e;
}

/**
 * A DomainError's details as the members of an error envelope (a REST problem document, GraphQL
 * `extensions`): every detail beside the envelope's own members, except those named like one of `reserved`,
 * which move, whole, under `details` — so a detail (a coupon's `code`, say) can never replace the envelope's
 * fields.
 * @example
 * detailMembers({ code: 'WELCOME5', left: 0 }, new Set(['code']))
 * // { left: 0, details: { code: 'WELCOME5' } }
 */
export function detailMembers(
  details: Record<string, unknown>,
  reserved: ReadonlySet<string>,
): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  const shadowed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) (reserved.has(k) || k === 'details' ? shadowed : own)[k] = v;
  return Object.keys(shadowed).length > 0 ? { ...own, details: shadowed } : own;
}
