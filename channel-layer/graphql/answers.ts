import { getLoyaltyStatus, offer } from '../../journey-layer/index.js';
import type { GraphqlContext } from './context.js';
import { offerView } from './views.js';

/** The arguments of `offer` (and of each pane of the channel mirror). */
export interface OfferArgs {
  sku: string;
  customerId?: string | null;
  locationId?: string | null;
  minRevision?: number;
  /** Where the offer is to be delivered (Offer.delivery). */
  postcode?: string | null;
  countryCode?: string | null;
}

/**
 * What `offer` answers a caller the policy let through: the offer priced in the caller's market (its
 * client's currency), read from the node's read model, shaped as GraphQL `Offer`. The channel mirror's panes
 * are this same call with a caller of each channel.
 * @throws as `offer` (journey layer): BAD_USER_INPUT, NOT_FOUND.
 */
export async function offerAnswer(ctx: GraphqlContext, a: OfferArgs): Promise<ReturnType<typeof offerView>> {
  const o = await offer(ctx.deps, { ...a, currency: ctx.market }, { readModel: ctx.readModel });
  ctx.sources?.revisions.add(o.revision);
  if (a.customerId) ctx.sources?.customers.add(a.customerId);
  return offerView(o);
}

/** What `Customer.loyalty` answers: her loyalty status now by the hub's clock (tier, points, progress). */
export async function loyaltyAnswer(
  ctx: GraphqlContext,
  customerId: string,
): Promise<Awaited<ReturnType<typeof getLoyaltyStatus>>> {
  return getLoyaltyStatus(ctx.deps.db, customerId, ctx.deps.clock.now());
}
