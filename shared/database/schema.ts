import type { ColumnType, Generated } from 'kysely';
import type { JourneyTables } from './journey-schema.js';

/** TypeScript view of the PostgreSQL schema (camelCase; Kysely's CamelCasePlugin maps to snake_case). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface ProductsTable {
  sku: string;
  name: string;
  category: string;
  attributes: Json<Record<string, string>>;
  vatRateBp: number;
  status: 'ACTIVE' | 'INACTIVE' | 'DISCONTINUED';
  revision: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface LocationsTable {
  id: string;
  name: string;
  kind: 'WAREHOUSE' | 'STORE';
  fulfilsOnline: boolean;
  revision: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface PriceListsTable {
  id: string;
  name: string;
  currency: string;
  priority: number;
  validFrom: Timestamp | null;
  validTo: Timestamp | null;
  revision: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface PricesTable {
  priceListId: string;
  sku: string;
  minQuantity: number;
  amount: number;
  validFrom: Timestamp | null;
  validTo: Timestamp | null;
  revision: number;
}

export interface PriceHistoryTable {
  id: Generated<number>;
  priceListId: string;
  sku: string;
  minQuantity: number;
  amount: number | null;
  validFrom: Timestamp | null;
  validTo: Timestamp | null;
  revision: number;
  changedAt: Timestamp;
  source: string;
}

export interface StockLevelsTable {
  sku: string;
  locationId: string;
  onHand: number;
  reserved: number;
  safetyStock: number;
  revision: number;
  updatedAt: Timestamp;
}

export type StockMovementKind =
  | 'RECEIPT'
  | 'ADJUSTMENT'
  | 'TRANSFER_OUT'
  | 'TRANSFER_IN'
  | 'RESERVATION'
  | 'RELEASE'
  | 'SALE'
  | 'RETURN'
  | 'COUNT'
  | 'DISCREPANCY';

export interface StockMovementsTable {
  id: Generated<number>;
  sku: string;
  locationId: string;
  kind: StockMovementKind;
  onHandDelta: number;
  reservedDelta: number;
  safetyStockDelta: number;
  reference: string | null;
  reason: string | null;
  revision: number;
  createdAt: Timestamp;
}

export type ReservationStatus = 'ACTIVE' | 'COMMITTED' | 'RELEASED' | 'EXPIRED';

export interface ReservationsTable {
  id: string;
  status: ReservationStatus;
  channel: string | null;
  /** The channel client that made it; null through the admin API (and for reservations made before 20261130T0100). */
  clientId: ColumnType<string | null, string | null | undefined, string | null>;
  /** The customer it was made for, if any. */
  customerId: ColumnType<string | null, string | null | undefined, string | null>;
  expiresAt: Timestamp;
  revision: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface ReservationLinesTable {
  reservationId: string;
  lineNo: number;
  sku: string;
  locationId: string;
  quantity: number;
}

export interface OrdersTable {
  id: string;
  kind: 'ONLINE' | 'STORE';
  reservationId: string | null;
  locationId: string | null;
  customerRef: string | null;
  channel: string | null;
  currency: string;
  totalAmount: number;
  revision: number;
  createdAt: Timestamp;
}

export interface OrderLinesTable {
  orderId: string;
  lineNo: number;
  sku: string;
  locationId: string;
  quantity: number;
  unitAmount: number;
  lineAmount: number;
  returnedQuantity: Generated<number>;
}

export interface ReturnsTable {
  id: string;
  orderId: string;
  locationId: string;
  refundAmount: number;
  revision: number;
  createdAt: Timestamp;
}

export interface ReturnLinesTable {
  returnId: string;
  lineNo: number;
  sku: string;
  quantity: number;
  sellable: boolean;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  requestHash: string;
  response: Json;
  createdAt: Timestamp;
}

export interface OutboxTable {
  position: Generated<number>;
  id: string;
  revision: number;
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: Json<Record<string, unknown>>;
  createdAt: Timestamp;
  publishedAt: Timestamp | null;
}

export interface AppliedEventsTable {
  consumer: string;
  eventId: string;
  revision: number;
  appliedAt: Timestamp;
}

export interface ConsumerWatermarksTable {
  consumer: string;
  position: number;
  revision: number;
  updatedAt: Timestamp;
}

export interface AdminKeysTable {
  id: string;
  name: string;
  keyHash: string;
  createdAt: Timestamp;
  revokedAt: Timestamp | null;
  /** A rotated key's end of grace: refused from then on. Null: works until revoked. */
  expiresAt: Timestamp | null;
  /** The key this one replaced by rotation. */
  rotatedFrom: string | null;
}

export interface ImportsTable {
  id: string;
  kind: 'products' | 'prices' | 'stock';
  format: 'ndjson' | 'csv';
  status: 'RUNNING' | 'COMPLETED' | 'FAILED';
  source: string;
  totalBytes: number | null;
  processedBytes: Generated<number>;
  processedRows: Generated<number>;
  okRows: Generated<number>;
  errorRows: Generated<number>;
  errors: Json<Array<{ row: number; code: string; message: string }>>;
  revision: number | null;
  startedAt: Timestamp;
  finishedAt: Timestamp | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor: string;
  action: string;
  subject: string | null;
  revision: number | null;
  details: Json<Record<string, unknown>>;
}

/** One row: this database's identity, written at migration (see backoffice-layer/read-model/source.ts). */
export interface HubIdentityTable {
  singleton: Generated<boolean>;
  databaseId: Generated<string>;
  createdAt: Generated<Date>;
}

/** Every scheduled switch committed: its instant and the revision that committed it (see price-schedule.ts). */
export interface ScheduleSwitchesTable {
  at: Timestamp;
  revision: number;
  createdAt: Timestamp;
}

export interface DB extends JourneyTables {
  hubIdentity: HubIdentityTable;
  scheduleSwitches: ScheduleSwitchesTable;
  products: ProductsTable;
  locations: LocationsTable;
  priceLists: PriceListsTable;
  prices: PricesTable;
  priceHistory: PriceHistoryTable;
  stockLevels: StockLevelsTable;
  stockMovements: StockMovementsTable;
  reservations: ReservationsTable;
  reservationLines: ReservationLinesTable;
  orders: OrdersTable;
  orderLines: OrderLinesTable;
  returns: ReturnsTable;
  returnLines: ReturnLinesTable;
  idempotencyKeys: IdempotencyKeysTable;
  outbox: OutboxTable;
  appliedEvents: AppliedEventsTable;
  consumerWatermarks: ConsumerWatermarksTable;
  adminKeys: AdminKeysTable;
  imports: ImportsTable;
  auditLog: AuditLogTable;
}
