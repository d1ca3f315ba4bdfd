/** One GraphQL error as a channel client receives it. */
export interface GraphqlError {
  message: string;
  extensions: Record<string, unknown> & { code: string };
}

/**
 * A channel client over real HTTP: posts a GraphQL document with its key to an API node on `port` and returns the
 * parsed response.
 * @example const gql = graphqlClient(node.port, key); const { errors } = await gql('{ revision }');
 */
export function graphqlClient(port: number, key: string): (query: string, variables?: Record<string, unknown>) => Promise<{ data?: unknown; errors?: GraphqlError[] }> {
  return async (query, variables = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query, variables }) });
    return await res.json() as { data?: unknown; errors?: GraphqlError[] };
  };
}
