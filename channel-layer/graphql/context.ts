import type { BackofficeDeps, ReadModel } from '../../backoffice-layer/index.js';
import type { ChannelClient } from '../clients/clients.js';
import type { SnapshotHub } from './snapshot-hub.js';

/**
 * What every resolver of the channel API is given: the hub, the caller, and (WebSocket only) the live parts.
 */
export interface GraphqlContext {
  deps: BackofficeDeps;
  readModel: ReadModel;
  client: ChannelClient;
  /** The customer a web or app client acts for (from X-Customer-Token), if any. */
  customerId: string | null;
  /**
   * The currency (ISO 4217) the caller's answers are priced in: its client's market, else the hub's default
   * (`OMNIHUB_DEFAULT_CURRENCY`). Resolved once here, so every resolver passes the same one.
   */
  market: string;
  /** This node's shared subscription snapshots (WebSocket operations only). */
  snapshots?: SnapshotHub;
  /**
   * Aborts when the caller's connection may no longer receive anything (its key was revoked): subscriptions
   * end with its reason.
   */
  signal?: AbortSignal;
  /**
   * What an HTTP answer was computed from, for the answer cache (answer-cache.ts): the revisions of the
   * snapshots its resolvers read (offer, offers) and whether the request put anything on record.
   */
  sources?: AnswerSources;
}

/**
 * What one HTTP operation's answer rests on: the read-model revisions it was computed at, the customers whose
 * data it read from PostgreSQL (not from the read model: a change of theirs can be newer than the node's
 * revision), and whether it wrote an audit row or data-use entry (an answer that writes is never served from
 * the answer cache).
 */
export interface AnswerSources {
  revisions: Set<number>;
  customers: Set<string>;
  onRecord: boolean;
}

/**
 * The context both transports (HTTP and graphql-ws) build for an admitted caller, before their own additions.
 */
export function contextOf(
  deps: BackofficeDeps,
  readModel: ReadModel,
  admitted: { client: ChannelClient; customerId: string | null },
): GraphqlContext {
  const { client, customerId } = admitted;
  return { deps, readModel, client, customerId, market: client.currency ?? deps.config.defaultCurrency };
}

/**
 * A cart as the GraphQL inputs carry it (QuoteInput, PlaceOrderInput, StoreSaleInput): its lines (quantities
 * in units), the customer it is for and the coupons given; null is GraphQL's "not given".
 */
export interface CartInput {
  lines: Array<{ sku: string; quantity: number }>;
  customerId?: string | null;
  couponCodes?: string[] | null;
}
