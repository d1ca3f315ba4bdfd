/*
 * Orders and fulfilment: what other layers read of the orders and how a merge or an erasure moves them, the
 * fulfilment lifecycle, sourcing and the delivery promise (pure rules), and orders with their status,
 * fulfilments and history as placement writes them and the admin API reads them.
 */
export {
  customerOrderRecords,
  reassignCustomerOrders,
  moveCustomerOrders,
  type MovedCustomerOrders,
  type CustomerOrderRecords,
  type CustomerOrderRow,
  type CustomerOrderLineRow,
  type CustomerReturnRow,
  type CustomerReservationRow,
} from './customer-orders.js';
export { refundsOfOrder } from './order-amounts.js';
// Reading orders with their status, fulfilments and history, and the admin routes that serve them.
export {
  getOrder,
  listOrders,
  listFulfilments,
  type FulfilmentListQuery,
  type FulfilmentListItem,
  type OrderSummary,
  type OrderDetail,
  type OrderLineView,
  type FulfilmentView,
  type OrderHistoryEntry,
  type OrderListQuery,
} from './order-reads.js';
export { orderRoutes } from './routes.js';
export {
  ADMIN_CHANNEL,
  placementActor,
  placementStatus,
  recordFulfilmentPlan,
  type FulfilmentPlan,
} from './placement-records.js';
// The fulfilment lifecycle's pure rules: legal transitions, stock effects, the order's status, points.
export {
  FULFILMENT_METHODS,
  FULFILMENT_STATUSES,
  FULFILMENT_TRANSITIONS,
  ORDER_STATUSES,
  FulfilmentMethodSchema,
  FulfilmentStatusSchema,
  OrderStatusSchema,
  OrderEventSchema,
  fulfilmentStatusesOf,
  allowedTransitions,
  isTerminalFulfilment,
  transition,
  stockEffect,
  orderStatusOf,
  pointsEarnedOn,
  type FulfilmentMethod,
  type FulfilmentStatus,
  type OrderStatus,
  type OrderEvent,
  type TransitionResult,
  type StockEffect,
} from './fulfilment-lifecycle.js';
// The delivery promise: pure functions of an instant, a location's fulfilment settings and a shipping zone.
export {
  promiseDelivery,
  promisePickup,
  zoneFor,
  nextCutOff,
  nextPromiseEdge,
  PICKUP_PREPARATION_MS,
  PICKUP_STEP_MS,
  DEFAULT_TRANSFER_DAYS,
  storedPromise,
  type StoredPromise,
  type DeliveryPromise,
  type PromiseLocation,
} from './delivery-promise.js';
export {
  FulfilmentSettingsSchema,
  ShippingZoneSchema,
  OpeningHoursSchema,
  type FulfilmentSettings,
  type ShippingZone,
  type OpeningHours,
} from './fulfilment-settings.schema.js';
// Where an order's units come from: the retailer's sourcing rules and the pure decision (issue 12).
export {
  sourceOrder,
  type OrderLineToSource,
  type SourcingCandidate,
  type SourcingRequest,
  type SourcingAllocation,
  type SourcingReason,
  type SourcingDecision,
} from './sourcing.js';
export {
  SourcingRulesSchema,
  SOURCING_RULES,
  type SourcingRule,
  type SourcingRules,
} from './sourcing.schema.js';
// A cart's sourcing and promise together (pure), and what it reads of the hub for placement.
export {
  promiseCart,
  promiseAllocations,
  loadPromiseInputs,
  type CartPromise,
  type CartPromiseInput,
  type CartPromiseLocation,
  type CartPromiseRequest,
  type PromiseInputs,
} from './cart-promise.js';
export { FulfilmentInputSchema, type FulfilmentInput } from './fulfilment-input.schema.js';
// The stored fulfilment configuration (settings per location, shipping zones, sourcing rules), admin REST.
export {
  getFulfilmentSettings,
  listShippingZones,
  getShippingZone,
  putShippingZone,
  getSourcingRules,
  sourcingRulesView,
  putSourcingRules,
  DEFAULT_SOURCING_RULES,
  ShippingZoneBodySchema,
  type LocationFulfilment,
  type ShippingZoneView,
  type SourcingRulesView,
} from './fulfilment-config.js';
export { fulfilmentConfigRoutes } from './fulfilment-config-routes.js';
// The lifecycle's transactional wiring: fulfilment events, cancellation, collection at the store.
export {
  recordFulfilmentEvent,
  cancelOrder,
  markCollected,
  FulfilmentEventBodySchema,
  CancelOrderBodySchema,
  type FulfilmentEventBody,
  type CancelOrderBody,
  type OrderActor,
  type OrderMove,
} from './fulfilment-transitions.js';
// A ready pickup's holding period and the uncollected job that ends it.
export {
  DEFAULT_PICKUP_HOLD,
  pickupHoldUntil,
  pickupHoldUntilAt,
  schedulePickupHolds,
  type PickupHold,
  type PickupHoldDeadline,
  type UncollectedJobData,
} from './pickup-hold.js';
export {
  UNCOLLECTED_BY,
  releaseUncollectedPickup,
  startUncollectedPickupWorker,
  sweepUncollectedPickups,
  type UncollectedOutcome,
} from './uncollected-pickups.js';
export { orderParties, type OrderParties } from './order-parties.js';
export { orderCursor } from './order-reads.js';
