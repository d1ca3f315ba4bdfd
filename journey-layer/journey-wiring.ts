import type { AdminRoute, EventConsumer } from '../backoffice-layer/index.js';
import { loyaltyConsumer } from './loyalty/consumer.js';
import { loyaltyRoutes } from './loyalty/routes.js';

/** Every admin REST route of the journey layer (mounted next to the backoffice's under /admin/v1). */
export const journeyAdminRoutes: readonly AdminRoute[] = [...loyaltyRoutes];

/** The journey layer's event consumers, run by every worker after the backoffice read model. */
export function journeyConsumers(clock: { now(): Date }): EventConsumer[] {
  return [loyaltyConsumer(clock)];
}
