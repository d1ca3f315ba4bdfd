import type { Request, Response } from 'express';
import {
  DomainError,
  ERROR_CODES,
  classifyInfrastructureError,
  detailMembers,
  type Logger,
} from '../../shared/index.js';

/**
 * RFC 9457 problem document with the hub's stable `code`. A DomainError's details travel as extension members
 * beside these; one named like a member of the envelope (`type`, `title`, `status`, `code`, `detail`,
 * `instance`) is kept under `details` instead, so it can never replace the envelope.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/**
 * The problem `type` URI of a code, the one scheme of every problem the hub answers (admin REST and the HTTP
 * app's 404): `https://omnihub.dev/problems/<code in kebab case>`.
 * @example problemType('NOT_FOUND') // 'https://omnihub.dev/problems/not-found'
 */
export function problemType(code: keyof typeof ERROR_CODES): string {
  return `https://omnihub.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}

/**
 * A problem document for `code` with its registered status and title: the one way a problem's envelope is
 * built. `instance` is the request's path without its query string (a query can carry what was searched for:
 * an e-mail, a card number), so no problem echoes it back.
 */
export function problemOf(
  code: keyof typeof ERROR_CODES,
  detail: string,
  req?: Pick<Request, 'originalUrl'>,
  extensions: Record<string, unknown> = {},
): Problem {
  const meta = ERROR_CODES[code];
  return {
    ...extensions,
    type: problemType(code),
    title: meta.title,
    status: meta.status,
    code,
    detail,
    ...(req ? { instance: req.originalUrl.split('?')[0]! } : {}),
  };
}

/** The members of a problem document's envelope (RFC 9457 §3.1, plus our `code`). */
const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'code', 'detail', 'instance']);

/**
 * Maps any thrown value to a problem document; the one place REST errors are shaped. Unknown errors are
 * masked.
 */
export function toProblem(error: unknown, req: Request, logger: Logger): Problem {
  let e = classifyInfrastructureError(error);
  const body = e as { type?: string; status?: number; expose?: boolean };
  // Errors from express' body parser: malformed JSON, too large, wrong charset.
  if (!(e instanceof DomainError) && body && typeof body.status === 'number' && body.expose) {
    if (body.type === 'entity.too.large')
      e = new DomainError('PAYLOAD_TOO_LARGE', 'Request body is too large');
    else
      e = new DomainError(
        'BAD_USER_INPUT',
        body.type === 'entity.parse.failed'
          ? 'Request body is not valid JSON'
          : 'Request body could not be read',
        {},
      );
  }
  // A path segment that is not valid percent-encoding (`/products/%zz`): the router could not decode it.
  if (e instanceof Error && e.name === 'URIError')
    e = new DomainError('BAD_USER_INPUT', 'The path is not valid percent-encoded UTF-8', {});
  if (e instanceof DomainError) {
    // Details are extension members (RFC 9457 §3.2) that can never replace the envelope's members.
    return problemOf(e.code, e.message, req, detailMembers(e.details, PROBLEM_MEMBERS));
  }
  logger.error({ err: error, method: req.method, url: req.originalUrl }, 'unexpected error in admin API');
  return problemOf('INTERNAL', 'Unexpected error.', req);
}

export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}
