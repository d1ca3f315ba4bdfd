import type { AdminRoute, BackofficeWorkerOptions, EventConsumer } from '../backoffice-layer/index.js';
import { customerRoutes } from './customers/routes.js';
import { loyaltyConsumer } from './loyalty/consumer.js';
import { loyaltyRoutes } from './loyalty/routes.js';
import { promotionRoutes } from './promotions/routes.js';
import { previewRoutes } from './promotions/preview.js';
import { promotionsConsumer } from './promotions/consumer.js';
import { timelineConsumer } from './timeline/consumer.js';
import { segmentsConsumer } from './segments/consumer.js';
import { segmentRoutes } from './segments/routes.js';
import { qualityRoutes } from './quality/routes.js';
import { kpiRoutes } from './kpis/routes.js';
import { journeyNotifier } from './notify.js';
import { journeyServices } from './journey-jobs.js';
import {
  journeyReadModelSections,
  journeyScheduleEventTypes,
  journeyScheduleSources,
} from './pricing/read-model-sections.js';
import type { Redis } from '../shared/index.js';

/** Every admin REST route of the journey layer (mounted next to the backoffice's under /admin/v1). */
export const journeyAdminRoutes: readonly AdminRoute[] = [
  ...promotionRoutes,
  ...previewRoutes,
  ...loyaltyRoutes,
  ...customerRoutes,
  ...segmentRoutes,
  ...qualityRoutes,
  ...kpiRoutes,
];

/**
 * The journey layer's event consumers, run by every worker after the backoffice read model: loyalty (points
 * on store sales and on an online order's fulfilments delivered or collected, reversals on returns) and
 * promotions (a cancelled order's coupon use and budget given back) and the timeline (the hub's events as
 * interactions on her profile, once each) and segments (her memberships recomputed when her purchases or
 * her PROFILING consent change).
 */
export function journeyConsumers(clock: { now(): Date }): EventConsumer[] {
  return [
    loyaltyConsumer(clock),
    promotionsConsumer(clock),
    timelineConsumer(clock),
    segmentsConsumer(clock),
  ];
}

/**
 * What a worker runs for the journey layer: its consumers, and promotion windows as scheduled switch
 * instants.
 */
export function journeyWorkerOptions(deps: {
  clock: { now(): Date };
  redis: Redis;
  redisPrefix: string;
}): BackofficeWorkerOptions {
  return {
    consumers: [...journeyConsumers(deps.clock), journeyNotifier(deps)],
    scheduleSources: journeyScheduleSources,
    scheduleEventTypes: journeyScheduleEventTypes,
    readModelSections: journeyReadModelSections,
    services: journeyServices,
  };
}
