import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { withoutSuggestions } from './operation-rules.js';
import { classifyInfrastructureError, detailMembers, DomainError, type Logger } from '../../shared/index.js';

/** Codes graphql-js and Apollo give a request they could not parse, validate or resolve: the client's mistake. */
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
 * Keys of `extensions` that belong to the envelope, not to a failure's details: a detail of the same name (a coupon's
 * `code`, say) must never replace them. Such details are kept under `extensions.details` instead.
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
 * The `extensions` of a DomainError: its details, then its stable `code`, which nothing can overwrite. Details whose
 * names the envelope uses move, whole, to `extensions.details`.
 * @example graphqlExtensions(new DomainError('CONFLICT', 'used up', { code: 'WELCOME5' })) // { code: 'CONFLICT', details: { code: 'WELCOME5' } }
 */
export function graphqlExtensions(e: DomainError): Record<string, unknown> {
  return { ...detailMembers(e.details, ENVELOPE_KEYS), code: e.code };
}

/**
 * Where every error of the channel API becomes what the client sees, over HTTP and WebSocket alike: a DomainError (or
 * an infrastructure failure classified as one) keeps its message and stable `extensions.code`; a request graphql-js
 * refused is BAD_USER_INPUT; anything else is logged and masked as "Unexpected error." with INTERNAL.
 * Where introspection is closed (production), `opts.suggestions` is false and "Did you mean …?" hints are removed:
 * they would name what introspection hides.
 * @param formatted what graphql-js would send; `error` the thrown value behind it (possibly wrapped by a resolver).
 */
export function formatChannelError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
  opts: { suggestions: boolean } = { suggestions: true },
): GraphQLFormattedError {
  const unwrapped = unwrapResolverError(error);
  // graphql-js wraps a thrown value that is not an Error of its own realm (a driver's, say) and keeps it as `thrownValue`.
  const thrown =
    unwrapped instanceof Error && unwrapped.name === 'NonErrorThrown' && 'thrownValue' in unwrapped
      ? unwrapped.thrownValue
      : unwrapped;
  const original = classifyInfrastructureError(thrown);
  // A database rule tripped by a request means validation let it through: answered as refused, logged to be fixed.
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
