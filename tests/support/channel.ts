import {
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
  type BackofficeDeps,
} from '../../backoffice-layer/index.js';

/** One GraphQL error as a channel client receives it. */
export interface GraphqlError {
  message: string;
  extensions: Record<string, unknown> & { code: string };
}

/**
 * A channel client over real HTTP: posts a GraphQL document with its key to an API node on `port` and returns
 * the parsed response.
 * @example const gql = graphqlClient(node.port, key); const { errors } = await gql('{ revision }');
 */
export function graphqlClient(
  port: number,
  key: string,
): (
  query: string,
  variables?: Record<string, unknown>,
) => Promise<{ data?: unknown; errors?: GraphqlError[] }> {
  return async (query, variables = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: unknown; errors?: GraphqlError[] };
  };
}

/**
 * The smallest shop a channel test needs: warehouse `wh-1` (fulfils online), price list `base` (EUR) and the
 * coat `COAT-M` at `amount` minor units with `onHand` units at the warehouse.
 */
export async function seedCoat(
  deps: BackofficeDeps,
  opts: { amount?: number; onHand?: number } = {},
): Promise<void> {
  await upsertLocation(deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
  await upsertPriceList(deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
  await upsertProduct(deps, 'COAT-M', {
    name: 'Jas',
    category: 'coats',
    vatRate: 21,
    attributes: {},
    status: 'ACTIVE',
  });
  await setPrice(deps, 'base', 'COAT-M', { amount: opts.amount ?? 12995, minQuantity: 1 });
  await setStockCount(deps, 'COAT-M', 'wh-1', { onHand: opts.onHand ?? 5 });
}
