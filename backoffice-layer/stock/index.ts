export { stockRoutes } from './routes.js';
export { setStockCount, applyStockMovements, verifyStockLedger, type LedgerDifference } from './stock.js';
export { listStockMovements, type StockMovementEntry, type StockMovementQuery } from './ledger.js';
export { getStockLevels, availableOf, type StockLevelView } from './levels.js';
export { stockStatus, LOW_STOCK_UNITS, type StockStatus } from './levels.js';
export {
  reserveStock,
  ReservationQueue,
  type ReserveDeps,
  type ReserveOptions,
} from './reservation-queue.js';
export {
  releaseReservation,
  expireReservation,
  sweepExpiredReservations,
  foldHeldUnits,
  getReservation,
  reservationMadeWith,
  unitsHeldBy,
  type ReservationView,
  type ReservationStatus,
  type ReserveResult,
} from './reservations.js';
export { commitReservation, type OrderHooks } from './commit-reservation.js';
export { startReservationExpiryWorker } from './reservation-expiry-worker.js';
export { recordStoreSale, returnItems, findOrderHead, type OrderHead } from './sales.js';
export {
  StockCountBodySchema,
  StockMovementsBodySchema,
  ReserveBodySchema,
  CommitReservationSchema,
  StoreSaleSchema,
  ReturnSchema,
  IdempotencyKeySchema,
  MAX_UNITS,
  MAX_LINES,
  DEFAULT_RESERVATION_TTL_SECONDS,
  MAX_RESERVATION_TTL_SECONDS,
  type StockCountBody,
  type StockMovementsBody,
  type ReserveBody,
  type ReserveRequest,
  type CommitReservationInput,
  type StoreSaleInput,
  type ReturnInput,
  type StockMovement,
} from './stock.schema.js';
