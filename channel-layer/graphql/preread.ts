/**
 * What the fast path of POST /graphql (answer-cache.ts) did for a request before handing it on to the usual
 * pipeline, which then neither reads the body nor admits the caller again.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { DomainError } from '../../shared/index.js';
import type { Admitted } from '../clients/admission.js';

/**
 * What the fast path already did for a request it hands on: the body it read (parsed, or the parse error as
 * Express's JSON parser reports one) and the Gate's answer (the caller let in, or why not).
 */
export interface Preread {
  body?: unknown;
  bodyError?: Error & { status: number; type: string };
  admission: { admitted: Admitted } | { refused: DomainError };
}

const PREREAD = Symbol('omnihub.preread');

/** What the fast path did for this request before handing it on, if it read it. */
export function prereadOf(req: IncomingMessage): Preread | undefined {
  return (req as IncomingMessage & { [PREREAD]?: Preread })[PREREAD];
}

/** Records what the fast path did for `req` (read by `prereadOf`). */
export function setPreread(req: IncomingMessage, pre: Preread): void {
  (req as IncomingMessage & { [PREREAD]?: Preread })[PREREAD] = pre;
}

/**
 * HTTP, in place of the JSON parser for a body the fast path read: sets `req.body`, or hands on the parse
 * error the JSON parser would have raised (answered by unreadableBody as 400 BAD_USER_INPUT). Requests the
 * fast
 * path did not read pass untouched (the JSON parser reads them next).
 */
export const prereadBody: RequestHandler = (req, _res, next) => {
  const pre = prereadOf(req);
  if (!pre) return next();
  if (pre.bodyError) return next(pre.bodyError);
  req.body = pre.body;
  next();
};
