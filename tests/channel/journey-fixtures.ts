import { startApiNode, type ApiNode } from '../../channel-layer/index.js';
import type { BackofficeTestContext } from '../support/backoffice.js';
import type { GraphqlError } from '../support/channel.js';
import { givenChannelClients, givenMember, givenWarehouseAndTwoStores } from './access-fixtures.js';

/** Who calls: a channel key (none: anonymous) and, for a web or app client, a customer token. */
export interface JourneyCaller {
  key: string | null;
  token?: string;
}

/** One answer over HTTP: the status and the parsed body. */
export interface JourneyAnswer {
  status: number;
  data?: Record<string, any> | null;
  errors?: GraphqlError[];
}

/** The shop the journey tests play in, its clients, two members and an API node. */
export interface JourneyShop {
  node: ApiNode;
  /** Anna (anna@example.nl) and Bram (bram@example.nl), enrolled through the web. */
  a: string;
  b: string;
  clients: Record<'web' | 'app' | 'storeA' | 'storeB' | 'agent' | 'console', { id: string; key: string }>;
  /** Posts one operation as `caller`. */
  gql(caller: JourneyCaller, query: string, variables?: Record<string, unknown>): Promise<JourneyAnswer>;
  /** A customer token for `customerId`, issued by the web or app client. */
  token(client: 'web' | 'app', customerId: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The warehouse and two stores (see givenWarehouseAndTwoStores) with the coat COAT-M at € 129,95; a web,
 * an app, store A's (ams-01) and store B's (utr-01) terminal, a call-center and a console client; Anna and
 * Bram; an API node on a free port.
 */
export async function givenJourneyShop(ctx: BackofficeTestContext): Promise<JourneyShop> {
  await givenWarehouseAndTwoStores(ctx, {
    sku: 'COAT-M',
    name: 'Wollen jas',
    category: 'coats',
    amount: 12995,
    onHand: 100,
  });
  const clients = (await givenChannelClients(ctx, [
    ['web', 'WEB', null],
    ['app', 'APP', null],
    ['storeA', 'STORE', 'ams-01'],
    ['storeB', 'STORE', 'utr-01'],
    ['agent', 'CALL_CENTER', null],
    ['console', 'CONSOLE', null],
  ])) as JourneyShop['clients'];
  const a = await givenMember(ctx, 'Anna', 'anna@example.nl');
  const b = await givenMember(ctx, 'Bram', 'bram@example.nl');
  const node = await startApiNode(ctx.deps, 0, '127.0.0.1');
  const gql: JourneyShop['gql'] = async (caller, query, variables = {}) => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(caller.key ? { authorization: `Bearer ${caller.key}` } : {}),
        ...(caller.token ? { 'x-customer-token': caller.token } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, ...((await res.json()) as Omit<JourneyAnswer, 'status'>) };
  };
  const token: JourneyShop['token'] = async (client, customerId) => {
    const r = await gql(
      { key: clients[client].key },
      'mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }',
      { c: customerId },
    );
    return (r.data as { issueCustomerToken: { token: string } }).issueCustomerToken.token;
  };
  return { node, a, b, clients, gql, token, stop: () => node.stop(100) };
}

/** OK, or the stable code of the first error; a 5xx is never an acceptable answer. */
export function outcome(r: JourneyAnswer): string {
  if (r.status >= 500) return `HTTP ${r.status}`;
  return r.errors?.[0]?.extensions.code ?? 'OK';
}
