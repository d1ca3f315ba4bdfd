import { customerJourneyResolvers, interactionFieldResolvers, journeyMutationResolvers } from './journey.js';
import { mutationResolvers } from './mutations.js';
import { orderFieldResolvers } from './orders.js';
import { customerResolvers, queryResolvers } from './queries.js';
import { DateTime, Revision } from './scalars.js';
import { subscriptionResolvers } from './subscriptions.js';

export type { GraphqlContext } from './context.js';

/** Every resolver of the channel API's schema (schema.ts), by type. */
export const resolvers = {
  Revision,
  DateTime,
  Query: queryResolvers,
  Mutation: { ...mutationResolvers, ...journeyMutationResolvers },
  Subscription: subscriptionResolvers,
  Customer: { ...customerResolvers, ...customerJourneyResolvers },
  Interaction: interactionFieldResolvers,
  Order: orderFieldResolvers,
};
