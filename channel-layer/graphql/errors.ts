import { unwrapResolverError } from '@apollo/server/errors';
import type { ErrorRequestHandler, Response } from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import {
  classifyInfrastructureError,
  detailMembers,
  DomainError,
  ERROR_CODES,
  type Logger,
} from '../../shared/index.js';
import { withoutSuggestions } from './operation-rules.js';

/**
 * Codes graphql-js and Apollo give a request they could not parse, validate or resolve: the client's mistake.
 */
const INPUT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Keys of `extensions` that belong to the envelope, not to a failure's details: a detail of the same name (a
 * coupon's `code`, say) must never replace them. Such details are kept under `extensions.details` instead.
 */
const ENVELOPE_KEYS = new Set([
  'code',
  'details',
  'http',
  'stacktrace',
  'exception',
  'message',
  'path',
  'locations',
]);

/**
 * The `extensions` of a DomainError: its details, then its stable `code`, which nothing can overwrite.
 * Details whose names the envelope uses move, whole, to `extensions.details`.
 * @example graphqlExtensions(new DomainError('CONFLICT', 'used up', { code: 'WELCOME5' }))
 *   // { code: 'CONFLICT', details: { code: 'WELCOME5' } }
 */
export function graphqlExtensions(e: DomainError): Record<string, unknown> {
  return { ...detailMembers(e.details, ENVELOPE_KEYS), code: e.code };
}

/**
 * Where every error of the channel API becomes what the client sees, over HTTP and WebSocket alike: a
 * DomainError (or an infrastructure failure classified as one) keeps its message and stable
 * `extensions.code`; a request graphql-js refused is BAD_USER_INPUT; anything else is logged and masked as
 * "Unexpected error." with INTERNAL. Where introspection is closed (production), `opts.suggestions` is false
 * and "Did you mean …?" hints are removed: they would name what introspection hides.
 * @param formatted what graphql-js would send; `error` the thrown value behind it (possibly wrapped by a
 *   resolver).
 */
export function formatChannelError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
  opts: { suggestions: boolean } = { suggestions: true },
): GraphQLFormattedError {
  const unwrapped = unwrapResolverError(error);
  // graphql-js wraps a thrown value that is not an Error of its own realm (a driver's, say) and keeps it as
  // `thrownValue`.
  const thrown =
    unwrapped instanceof Error && unwrapped.name === 'NonErrorThrown' && 'thrownValue' in unwrapped
      ? unwrapped.thrownValue
      : unwrapped;
  const original = classifyInfrastructureError(thrown);
  // A database rule tripped by a request means validation let it through: answered as refused, logged to be
  // fixed.
  if (original instanceof DomainError) {
    if (original.cause !== undefined)
      logger.warn(
        { err: original.cause, path: formatted.path },
        'a database rule refused a request that validation let through',
      );
    return {
      message: original.message,
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: graphqlExtensions(original),
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && INPUT_CODES.has(code))
    return {
      message: opts.suggestions ? formatted.message : withoutSuggestions(formatted.message),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: 'BAD_USER_INPUT' },
    };
  logger.error({ err: original, path: formatted.path }, 'unexpected error in the channel API');
  return {
    message: 'Unexpected error.',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL' },
  };
}

/**
 * The two formatters of one API node, both masking as formatChannelError does (see channelErrorFormatter).
 */
export interface ChannelErrorFormatter {
  /** An error of an operation (a resolver's, a validation rule's): `error` is the thrown value behind it. */
  format(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
  /**
   * A request the client got wrong (unparsable, invalid, a variable of the wrong type): BAD_USER_INPUT unless
   * it says otherwise.
   */
  requestError(e: GraphQLError): GraphQLFormattedError;
}

/**
 * The error formatters of an API node, for both transports. Where introspection is closed, "Did you mean …?"
 * hints are removed (see formatChannelError).
 */
export function channelErrorFormatter(logger: Logger, introspection: boolean): ChannelErrorFormatter {
  const format = (formatted: GraphQLFormattedError, error: unknown) =>
    formatChannelError(formatted, error, logger, { suggestions: introspection });
  return {
    format,
    requestError: (e) =>
      format({ ...e.toJSON(), extensions: { code: 'BAD_USER_INPUT', ...e.extensions } }, e),
  };
}

/**
 * The answer to a request refused before it ran (by the gate or a limit), over HTTP: the code's status, a
 * retry hint (`retry-after`, seconds, from `details.retryAfterMs`) and the GraphQL error envelope.
 */
export function refuse(res: Response, e: DomainError): void {
  const retryAfterMs = e.details.retryAfterMs;
  if (typeof retryAfterMs === 'number')
    res.set('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  res
    .status(ERROR_CODES[e.code].status)
    .json({ errors: [{ message: e.message, extensions: graphqlExtensions(e) }] });
}

/**
 * The WebSocket close code for a connection the gate refused: 4401 as graphql-ws names it; 4029 "too many
 * requests" (graphql-ws's own 4429 means "too many initialisation requests"); 1013 "try again later"; 4403
 * for the rest.
 */
const CLOSE_CODES: Partial<Record<DomainError['code'], number>> = {
  UNAUTHENTICATED: 4401,
  RATE_LIMITED: 4029,
  UNAVAILABLE: 1013,
};

/**
 * How a WebSocket connection the gate refused with `e` is closed: its close code and reason (≤ 120 bytes).
 */
export function closeFor(e: DomainError): { code: number; reason: string } {
  return { code: CLOSE_CODES[e.code] ?? 4403, reason: `${e.code}: ${e.message}`.slice(0, 120) };
}

/** A WebSocket operation refused before it ran, as the errors graphql-ws sends (formatted by its onError). */
export function asErrors(e: unknown): GraphQLError[] {
  return [
    new GraphQLError(e instanceof Error ? e.message : String(e), {
      originalError: e instanceof Error ? e : new Error(String(e)),
    }),
  ];
}

/**
 * Express's error handler for /graphql. A body the JSON parser refused (too large, malformed): the GraphQL
 * error envelope with its code, never an HTML page; anything else that failed on the way is logged and
 * answered masked, in the same envelope.
 */
export function unreadableBody(logger: Logger, maxBytes: number): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    const e = err as { status?: unknown; type?: unknown; message?: unknown };
    if (res.headersSent) {
      next(err);
      return;
    }
    if (typeof e.status !== 'number' || e.status >= 500) {
      logger.error({ err }, 'unexpected error in the channel API');
      res.status(500).json({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL' } }] });
      return;
    }
    const tooLarge = e.type === 'entity.too.large';
    res.status(tooLarge ? 413 : 400).json({
      errors: [
        {
          message: tooLarge
            ? `The request body is larger than ${maxBytes / 1024} KiB`
            : 'The request body is not valid JSON',
          extensions: { code: 'BAD_USER_INPUT', ...(tooLarge ? { maxBytes } : {}) },
        },
      ],
    });
  };
}
