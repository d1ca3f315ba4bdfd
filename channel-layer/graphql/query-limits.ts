/**
 * The limits an operation passes before it runs, on both transports: the message size, storable variables,
 * and the document limits (tokens, depth, aliases, cost: operation-rules.ts) checked first and alone, before
 * Apollo's own, partly quadratic, validation. Over HTTP these are Express middleware; graphql-ws's
 * onSubscribe asks the same functions (unstorableVariables, then checkDocument) for every operation.
 */
import type { Request, RequestHandler } from 'express';
import { Kind } from 'graphql';
import { DomainError, findUnstorableText } from '../../shared/index.js';
import { refuse, type ChannelErrorFormatter } from './errors.js';
import { withinLimits } from './operation-rules.js';

/** Largest request body (HTTP) or message (WebSocket) the channel API reads, in bytes: 256 KiB. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Documents up to this length (characters) found within the limits are remembered, by their text. */
const REMEMBERED_LENGTH = 4096;
/** Most documents remembered as within the limits; the oldest is forgotten first. */
const REMEMBERED_DOCUMENTS = 1000;

/**
 * A GET request's parameters exactly as Apollo reads them (URLSearchParams over the raw query string) — not
 * Express's `req.query`, which stops after 1,000 parameters and would let a padded URL hide its document from
 * the limits.
 */
function searchOf(req: Request): URLSearchParams {
  const at = req.originalUrl.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : req.originalUrl.slice(at + 1));
}

/**
 * Refuses variables no text column can store (NUL, lone surrogates), on either transport.
 * @returns BAD_USER_INPUT naming the variable (`field`: `variables.<path>`), or undefined when all are
 *   storable.
 */
export function unstorableVariables(variables: unknown): DomainError | undefined {
  const bad = findUnstorableText(variables);
  return bad
    ? new DomainError('BAD_USER_INPUT', `variables.${bad.path.join('.')}: ${bad.message}`, {
        field: ['variables', ...bad.path].join('.'),
      })
    : undefined;
}

/** HTTP: refuses a request whose variables are not storable (see unstorableVariables). */
export const storableVariables: RequestHandler = (req, res, next) => {
  // GET /graphql carries its variables as JSON text in the query string, read as Apollo reads it.
  const variables: unknown =
    req.method === 'GET'
      ? (() => {
          try {
            return JSON.parse(searchOf(req).get('variables') ?? 'null') as unknown;
          } catch {
            return null;
          }
        })()
      : (req.body as { variables?: unknown } | undefined)?.variables;
  const bad = unstorableVariables(variables);
  if (bad) {
    refuse(res, bad);
    return;
  }
  next();
};

/**
 * HTTP: the document limits first and alone (see withinLimits), answered 400 with the formatted request
 * errors; a subscription is refused (served over WebSocket only). Documents already found within the limits
 * (short ones, by their text) are remembered: a client's usual queries are checked once.
 */
export function documentLimits(errors: ChannelErrorFormatter): RequestHandler {
  const seen = new Set<string>();
  return (req, res, next) => {
    const source: unknown =
      req.method === 'GET'
        ? searchOf(req).get('query')
        : (req.body as { query?: unknown } | undefined)?.query;
    if (typeof source !== 'string' || seen.has(source)) {
      next();
      return;
    }
    const checked = withinLimits(source);
    if (checked.errors) {
      res.status(400).json({ errors: checked.errors.map(errors.requestError) });
      return;
    }
    if (
      checked.document.definitions.some(
        (d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'subscription',
      )
    ) {
      refuse(
        res,
        new DomainError(
          'BAD_USER_INPUT',
          'Subscriptions are served over WebSocket (graphql-ws) at /graphql',
          {},
        ),
      );
      return;
    }
    if (source.length <= REMEMBERED_LENGTH) {
      if (seen.size >= REMEMBERED_DOCUMENTS) seen.delete(seen.values().next().value!);
      seen.add(source);
    }
    next();
  };
}
