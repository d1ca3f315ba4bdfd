/**
 * The backoffice layer: the single source of truth for catalogue, prices and stock. Other layers import only
 * this file.
 */
export type { BackofficeDeps } from './backoffice-deps.js';
// The tables this layer owns, for the types of the layers above it (they name none of them: see tables.ts).
export type { BackofficeTables, BackofficeDB } from './tables.js';
export * from './orders/index.js';
export { auditEntriesAbout, renameAuditSubject } from './admin-api/audit.js';
export { skusOnSale } from './catalogue/skus-on-sale.js';
export { createBackofficeQueues, bullPrefix, QUEUE_NAMES, type BackofficeQueues } from './jobs/queues.js';
export {
  defineRoute,
  type AdminRoute,
  type AdminActor,
  type AdminRouteInput,
  type ConsoleKeyHolder,
} from './admin-api/admin-route.js';
export { createAdminRouter, ADMIN_JSON_LIMIT, type AdminRouterOptions } from './admin-api/admin-router.js';
export {
  bootstrapAdminKey,
  generateAdminKey,
  registerAdminKey,
  authenticateAdminKey,
  hasChannelKeyPrefix,
  ADMIN_KEY_LENGTH,
  type AdminKeyBootstrap,
  type ConsoleKeyLookup,
} from './admin-api/admin-auth.js';
export {
  CONSOLE_ROUTES,
  requireConsoleAccess,
  type ConsoleRouteAccess,
  type LocationTouch,
} from './admin-api/console-access.js';
export {
  listAdminKeys,
  getAdminKey,
  createAdminKey,
  revokeAdminKey,
  rotateAdminKey,
  DEFAULT_ROTATION_GRACE_SECONDS,
  type AdminKeyView,
  type AdminKeyRotation,
} from './admin-api/admin-keys.js';
export { toProblem, sendProblem, problemOf, problemType, type Problem } from './admin-api/problem.js';
export { backofficeAdminRoutes } from './admin-api/routes.js';
export * from './catalogue/index.js';
export * from './pricing/index.js';
export * from './stock/index.js';
export * from './events/index.js';
export * from './read-model/index.js';
export * from './import/index.js';
export * from './seed/index.js';
export { recordAudit, type AuditEntry } from './admin-api/audit.js';
export {
  nextPriceBoundary,
  nextScheduleBoundary,
  commitPriceSwitch,
  runDuePriceSwitches,
  startPriceScheduler,
  lastScheduleSwitch,
  loadScheduleState,
  scheduleSection,
  effectiveInstant,
  SCHEDULE_SECTION,
  PRICE_SCHEDULE_QUEUE,
  type PriceScheduler,
  type PriceScheduleSwitch,
  type BoundarySource,
  type ScheduleState,
} from './jobs/price-schedule.js';
export { startPeriodicSweep, type PeriodicSweep } from './jobs/periodic-sweep.js';
export {
  startBackofficeWorker,
  type BackofficeWorker,
  type BackofficeWorkerOptions,
  type WorkerService,
} from './jobs/backoffice-worker.js';
// What the journey reads of a customer's purchases (segments) and of the products on sale (next best offers).
export {
  purchaseFacts,
  lastPurchaseAt,
  customersWithPurchasesSince,
  saleableProducts,
  type PurchaseFact,
  type PurchaseFactLine,
  type SaleableProduct,
} from './orders/purchase-facts.js';
export * from './quality/index.js';
// The figures staff steer by (the console's dashboard): sales per channel, the hub's health.
export * from './kpis/index.js';
