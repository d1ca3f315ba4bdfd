import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import type { RequestHandler, Response } from 'express';
import type { OperationDefinitionNode } from 'graphql';
import type { Metrics } from '../../shared/index.js';

/** An operation name that may become a label value: a GraphQL name of at most 64 characters. */
const LABELLED_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** A result code that may become a label value (every code the hub answers has this shape). */
const LABELLED_CODE = /^[A-Z][A-Z0-9_]{0,39}$/;
/** Distinct operation names one API node labels; later new names count as `other`. */
export const MAX_LABELLED_OPERATIONS = 200;

/** How the answer went out: POST/GET /graphql, or a graphql-ws message. */
export type Transport = 'http' | 'ws';

/** The errors an answer carries, as the client receives them (formatted), or none. */
type SentErrors = readonly { extensions?: Readonly<Record<string, unknown>> }[] | null | undefined;

/**
 * What Apollo decided about one HTTP request, filled by the plugin and read when the answer is sent.
 * `operation` is the operation Apollo resolved — only one that passed validation — or null.
 */
export interface HttpAnswer {
  decided?: { operation: OperationDefinitionNode | null; code: string };
  /**
   * The read-model revision the whole answer was computed at, when it may be served again to the same
   * question at that revision (set by the answer cache's plugin: answer-cache.ts).
   */
  cacheableAt?: number;
  /** The customers whose data (read from PostgreSQL) that answer depends on (answer-cache.ts). */
  customers?: readonly string[];
}

/**
 * The HttpAnswer `operationCounter`'s `http` step keeps for one request (for the Apollo context's `answer`).
 */
export function httpAnswer(res: Response): HttpAnswer {
  return res.locals.graphqlAnswer as HttpAnswer;
}

/** The `extensions.code` of the first error, OK without errors, OTHER when the code is not a code's shape. */
export function resultCode(errors: SentErrors): string {
  if (!errors || errors.length === 0) return 'OK';
  const code = errors[0]?.extensions?.code;
  return typeof code === 'string' && LABELLED_CODE.test(code) ? code : 'OTHER';
}

/**
 * The code an HTTP body sent outside Apollo's pipeline carries (refusals: small JSON bodies); OTHER if it is
 * no JSON.
 */
function bodyCode(body: unknown): string {
  try {
    const parsed: unknown =
      typeof body === 'string' || Buffer.isBuffer(body) ? JSON.parse(body.toString()) : body;
    const errors = (parsed as { errors?: unknown } | null)?.errors;
    return Array.isArray(errors) ? resultCode(errors as SentErrors) : 'OK';
  } catch {
    return 'OTHER';
  }
}

/** The errors of an Apollo response, as sent (after formatError). */
function responseErrors(response: GraphQLResponse): SentErrors {
  const body = response.body;
  return body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
}

/**
 * Counts the answers of the GraphQL API, on both transports, in
 * `omnihub_graphql_operations_total{operation,type,code,transport}`. Each answer is counted once:
 * - `operation`: the name of an operation that passed validation (`anonymous` without one); `unknown` for a
 *   request refused before — unauthenticated, rate limited, unreadable, over the limits, unparsable, invalid,
 * an `operationName` the document lacks — so a name takes one of MAX_LABELLED_OPERATIONS label values only
 * once it names a real operation of the schema; `other` for a name that is not a GraphQL name of at most 64
 * characters or comes after MAX_LABELLED_OPERATIONS others — the series stay bounded whatever clients send;
 * - `type`: `query`, `mutation` or `subscription` of that operation, `unknown` when refused before
 *   validation;
 * - `code`: `OK`, or the `extensions.code` of the first error the client received (`OTHER` if it is not a
 *   code's shape);
 * - `transport`: `http` or `ws`.
 */
export interface OperationCounter {
  /**
   * Counts one answer: `operation` is the operation that passed validation (null when refused before), `code`
   * the answer's (see `resultCode`).
   */
  count(transport: Transport, operation: OperationDefinitionNode | null | undefined, code: string): void;
  /**
   * Express middleware, first of the /graphql chain: counts the answer when it is sent, whichever step sends
   * it — with what Apollo decided (see `plugin`) or, for a refusal sent before or around Apollo, with the
   * code its body carries. Keeps an HttpAnswer for the Apollo context (see `httpAnswer`).
   */
  http: RequestHandler;
  /**
   * The Apollo plugin telling `http` what operation Apollo ran and the code it answered, through the
   * context's `answer` (without one — `executeOperation` — it counts the operation itself).
   */
  plugin: ApolloServerPlugin<{ answer?: HttpAnswer }>;
}

/**
 * Creates the counter of one API node's GraphQL answers (see OperationCounter); without a Prometheus counter
 * (a node without metrics) it counts nothing.
 * @example const operations = operationCounter(metrics.graphqlOperations); router.use(operations.http, ...);
 */
export function operationCounter(counter: Metrics['graphqlOperations'] | undefined): OperationCounter {
  const labelled = new Set<string>();
  const nameLabel = (operation: OperationDefinitionNode): string => {
    const name = operation.name?.value;
    if (!name) return 'anonymous';
    if (!LABELLED_NAME.test(name)) return 'other';
    if (labelled.has(name)) return name;
    if (labelled.size >= MAX_LABELLED_OPERATIONS) return 'other';
    labelled.add(name);
    return name;
  };
  const count: OperationCounter['count'] = (transport, operation, code) => {
    counter?.inc({
      operation: operation ? nameLabel(operation) : 'unknown',
      type: operation?.operation ?? 'unknown',
      code,
      transport,
    });
  };
  return {
    count,
    http: (_req, res, next) => {
      const answer: HttpAnswer = {};
      res.locals.graphqlAnswer = answer;
      const send = res.send.bind(res);
      let counted = false;
      // Express's json() ends in send(): every answer of the chain passes here (once, however send is called
      // again).
      res.send = ((body?: unknown) => {
        if (!counted) {
          counted = true;
          count('http', answer.decided?.operation, answer.decided?.code ?? bodyCode(body));
        }
        return send(body);
      }) as Response['send'];
      next();
    },
    plugin: {
      requestDidStart: async () => ({
        // Apollo sets `operation` only once the document passed validation and names one of its operations.
        willSendResponse: async ({ operation, response, contextValue }) => {
          const code = resultCode(responseErrors(response));
          if (contextValue.answer) contextValue.answer.decided = { operation: operation ?? null, code };
          else count('http', operation, code);
        },
      }),
    },
  };
}
