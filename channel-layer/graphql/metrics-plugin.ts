import type { ApolloServerPlugin, BaseContext, GraphQLResponse } from '@apollo/server';
import { getOperationAST } from 'graphql';
import type { Metrics } from '../../shared/index.js';

/** An operation name that may become a label value: a GraphQL name of at most 64 characters. */
const LABELLED_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** A result code that may become a label value (every code the hub answers has this shape). */
const LABELLED_CODE = /^[A-Z][A-Z0-9_]{0,39}$/;
/** Distinct operation names one API node labels; later new names count as `other`. */
export const MAX_LABELLED_OPERATIONS = 200;

/** The `extensions.code` of the first error the client receives, or OK. */
function resultCode(response: GraphQLResponse): string {
  const body = response.body;
  const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
  const code = errors?.[0]?.extensions?.code;
  if (errors === undefined || errors.length === 0) return 'OK';
  return typeof code === 'string' && LABELLED_CODE.test(code) ? code : 'OTHER';
}

/**
 * Counts every GraphQL operation Apollo answers (HTTP) in `omnihub_graphql_operations_total{operation,type,code}`:
 * - `operation`: the operation's name; `anonymous` without one; `unknown` when the request named no operation of a
 *   parsed document (unparsable, or an `operationName` the document lacks); `other` for a name that is not a GraphQL
 *   name of at most 64 characters or comes after MAX_LABELLED_OPERATIONS others — names are the client's to choose, so
 *   the series stay bounded whatever clients send;
 * - `type`: `query`, `mutation`, `subscription` or `unknown`;
 * - `code`: `OK`, or the `extensions.code` of the first error sent (`OTHER` if it is not a code's shape).
 * Requests the gate or the document limits refuse never reach Apollo: they count in `omnihub_rate_limited_total` and by
 * status in `omnihub_http_request_duration_seconds{route="/graphql"}`.
 * @example new ApolloServer({ schema, plugins: [graphqlMetricsPlugin(metrics.graphqlOperations)] })
 */
export function graphqlMetricsPlugin(counter: Metrics['graphqlOperations']): ApolloServerPlugin<BaseContext> {
  const labelled = new Set<string>();
  const nameLabel = (name: string | null | undefined, resolved: boolean): string => {
    if (!resolved) return 'unknown';
    if (!name) return 'anonymous';
    if (!LABELLED_NAME.test(name)) return 'other';
    if (labelled.has(name)) return name;
    if (labelled.size >= MAX_LABELLED_OPERATIONS) return 'other';
    labelled.add(name);
    return name;
  };
  return {
    requestDidStart: async () => ({
      willSendResponse: async ({ operation, document, request, response }) => {
        // Validation refuses before Apollo resolves the operation: take it from the parsed document then.
        const op = operation ?? (document ? getOperationAST(document, request.operationName) : null);
        counter.inc({ operation: nameLabel(op?.name?.value, op !== null && op !== undefined), type: op?.operation ?? 'unknown', code: resultCode(response) });
      },
    }),
  };
}
