/**
 * The tables the backoffice layer owns — catalogue, locations, prices and their schedule, stock,
 * reservations, orders and returns, imports, admin keys and the audit log — and the database types that see
 * them with the shared mechanism tables. Only this layer names these tables; other layers go through its
 * index.ts (tests/ops/table-ownership.test.ts checks it).
 */
import type { ColumnType, Generated } from 'kysely';
import type {
  Database as SharedDatabase,
  Executor as SharedExecutor,
  JsonColumn,
  SharedTables,
  TimestampColumn,
  WriteContext as SharedWriteContext,
  WriteDeps as SharedWriteDeps,
} from '../shared/index.js';
import type { StoredPromise } from './orders/delivery-promise.js';
import type { FulfilmentSettings } from './orders/fulfilment-settings.schema.js';
import type { SourcingRules } from './orders/sourcing.schema.js';

export interface ProductsTable {
  sku: string;
  name: string;
  category: string;
  attributes: JsonColumn<Record<string, string>>;
  vatRateBp: number;
  status: 'ACTIVE' | 'INACTIVE' | 'DISCONTINUED';
  revision: number;
  createdAt: TimestampColumn;
  updatedAt: TimestampColumn;
}

export interface LocationsTable {
  id: string;
  name: string;
  kind: 'WAREHOUSE' | 'STORE';
  fulfilsOnline: boolean;
  /** Fulfilment settings (FulfilmentSettingsSchema, migration 20261130T0900); null: none declared. */
  fulfilment: ColumnType<FulfilmentSettings | null, string | null | undefined, string | null>;
  revision: number;
  createdAt: TimestampColumn;
  updatedAt: TimestampColumn;
}

export interface PriceListsTable {
  id: string;
  name: string;
  currency: string;
  priority: number;
  validFrom: TimestampColumn | null;
  validTo: TimestampColumn | null;
  revision: number;
  createdAt: TimestampColumn;
  updatedAt: TimestampColumn;
}

export interface PricesTable {
  priceListId: string;
  sku: string;
  minQuantity: number;
  amount: number;
  validFrom: TimestampColumn | null;
  validTo: TimestampColumn | null;
  revision: number;
}

export interface PriceHistoryTable {
  id: Generated<number>;
  priceListId: string;
  sku: string;
  minQuantity: number;
  amount: number | null;
  validFrom: TimestampColumn | null;
  validTo: TimestampColumn | null;
  revision: number;
  changedAt: TimestampColumn;
  source: string;
}

/** Every scheduled switch committed: its instant and the revision that committed it (price-schedule.ts). */
export interface ScheduleSwitchesTable {
  at: TimestampColumn;
  revision: number;
  createdAt: TimestampColumn;
}

export interface StockLevelsTable {
  sku: string;
  locationId: string;
  onHand: number;
  reserved: number;
  safetyStock: number;
  revision: number;
  updatedAt: TimestampColumn;
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
  createdAt: TimestampColumn;
}

export type ReservationStatus = 'ACTIVE' | 'COMMITTED' | 'RELEASED' | 'EXPIRED';

export interface ReservationsTable {
  id: string;
  status: ReservationStatus;
  channel: string | null;
  /**
   * The channel client that made it; null through the admin API (and for reservations made before
   * 20261130T0100).
   */
  clientId: ColumnType<string | null, string | null | undefined, string | null>;
  /** The customer it was made for, if any. */
  customerId: ColumnType<string | null, string | null | undefined, string | null>;
  expiresAt: TimestampColumn;
  revision: number;
  createdAt: TimestampColumn;
  updatedAt: TimestampColumn;
}

export interface ReservationLinesTable {
  reservationId: string;
  lineNo: number;
  sku: string;
  locationId: string;
  quantity: number;
}

/**
 * A running total of the units a channel client holds in ACTIVE reservations, one row per database backend
 * that changed it (0: the folded rows of ended backends). Kept by triggers; read by `unitsHeldBy`.
 */
export interface ClientHeldUnitsTable {
  clientId: string;
  backendPid: number;
  /** Units (may be negative in one row; the client's rows sum to what it holds). */
  units: ColumnType<string, string | number, string | number>;
}

/** An online order (from a reservation or a location) or a sale at a store's till. */
export type OrderKind = 'ONLINE' | 'STORE';

export interface OrdersTable {
  id: string;
  kind: OrderKind;
  reservationId: string | null;
  locationId: string | null;
  customerRef: string | null;
  channel: string | null;
  currency: string;
  totalAmount: number;
  /** Where the order stands (migration 20261130T0910); written at placement, 'OPEN' when not given. */
  status: ColumnType<OrderStatusColumn, OrderStatusColumn | undefined, OrderStatusColumn>;
  /** What checkout promised (migration 20261130T1100), JSON; [] when nothing was promised. */
  promised: ColumnType<StoredPromise[], string | undefined, string>;
  /** Why the hub sourced each SKU where it did (SourcingReason list); null: the order named its locations. */
  sourcing: ColumnType<
    Array<{ sku: string; locationId: string; reason: string }> | null,
    string | null | undefined,
    string | null
  >;
  revision: number;
  createdAt: TimestampColumn;
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
  createdAt: TimestampColumn;
}

export interface ReturnLinesTable {
  returnId: string;
  lineNo: number;
  sku: string;
  quantity: number;
  sellable: boolean;
}

export interface AdminKeysTable {
  id: string;
  name: string;
  keyHash: string;
  createdAt: TimestampColumn;
  revokedAt: TimestampColumn | null;
  /** A rotated key's end of grace: refused from then on. Null: works until revoked. */
  expiresAt: TimestampColumn | null;
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
  errors: JsonColumn<Array<{ row: number; code: string; message: string }>>;
  revision: number | null;
  startedAt: TimestampColumn;
  finishedAt: TimestampColumn | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: TimestampColumn;
  actor: string;
  action: string;
  subject: string | null;
  revision: number | null;
  details: JsonColumn<Record<string, unknown>>;
}

// Fulfilment configuration (issue 12, migration 20261130T0900): shipping zones and the sourcing rules.
/** Carrier transit for the postcodes of one country (ShippingZoneSchema). */
export interface ShippingZonesTable {
  id: string;
  countryCode: string;
  postcodePrefixes: string[];
  transitDays: number;
  carrierHolidays: string[];
  revision: number;
  updatedAt: TimestampColumn;
}

/** The retailer's sourcing rules (SourcingRulesSchema): one row at most, `id` always true. */
export interface SourcingRulesTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  definition: JsonColumn<SourcingRules>;
  revision: number;
  updatedAt: TimestampColumn;
}

// --- Orders' status, fulfilments and history (issue 12, migration 20261130T0910_order_fulfilments) ---

/** An order's status as stored (see orderStatusOf in orders/fulfilment-lifecycle.ts). */
export type OrderStatusColumn = 'OPEN' | 'PARTIALLY_FULFILLED' | 'FULFILLED' | 'CANCELLED';
/** A fulfilment's method as stored. */
export type FulfilmentMethodColumn = 'DELIVERY' | 'PICKUP';
/** A fulfilment's status as stored (the legal moves: orders/fulfilment-lifecycle.ts). */
export type FulfilmentStatusColumn =
  | 'PENDING'
  | 'PICKING'
  | 'PACKED'
  | 'SHIPPED'
  | 'DELIVERED'
  | 'READY_FOR_PICKUP'
  | 'COLLECTED'
  | 'UNCOLLECTED'
  | 'CANCELLED';

/** One shipment or pickup of an order, from one location. */
export interface FulfilmentsTable {
  id: string;
  orderId: string;
  locationId: string;
  method: FulfilmentMethodColumn;
  status: FulfilmentStatusColumn;
  trackingCode: string | null;
  readyBy: TimestampColumn | null;
  deliverBy: TimestampColumn | null;
  /** PICKUP: the store the customer collects at (migration 20261130T1100); null: where the units are held. */
  pickupLocationId: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * Whether its units are still reserved at `locationId` (migration 20261130T1050): true from placement until
   * they are committed (shipped, collected) or released (cancelled, uncollected).
   */
  stockHeld: ColumnType<boolean, boolean | undefined, boolean>;
  /**
   * Where the held units are now when not at `locationId` (migration 20261130T1200): an arrived transfer's
   * pickup store. Null otherwise.
   */
  heldAt: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * PICKUP: when a ready pickup's holding period ends and its units return to stock (migration
   * 20261130T1120, orders/pickup-hold.ts); set when it reaches READY_FOR_PICKUP, null before and for a
   * delivery.
   */
  holdUntil: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revision: number;
  createdAt: TimestampColumn;
  updatedAt: TimestampColumn;
}

/** The units one fulfilment carries, one row per SKU. */
export interface FulfilmentLinesTable {
  fulfilmentId: string;
  sku: string;
  quantity: number;
}

/**
 * An order's history: a status the order or one of its fulfilments reached, by whom, through which
 * channel.
 */
export interface OrderEventsTable {
  id: Generated<number>;
  orderId: string;
  /** Null for an event of the order as a whole (placed, sold). */
  fulfilmentId: string | null;
  at: TimestampColumn;
  status: string;
  actor: string;
  channel: string;
  reason: string | null;
}

/** The tables the backoffice layer owns (camelCase; Kysely's CamelCasePlugin maps them to snake_case). */
export interface BackofficeTables {
  products: ProductsTable;
  locations: LocationsTable;
  priceLists: PriceListsTable;
  prices: PricesTable;
  priceHistory: PriceHistoryTable;
  scheduleSwitches: ScheduleSwitchesTable;
  stockLevels: StockLevelsTable;
  stockMovements: StockMovementsTable;
  reservations: ReservationsTable;
  reservationLines: ReservationLinesTable;
  clientHeldUnits: ClientHeldUnitsTable;
  orders: OrdersTable;
  orderLines: OrderLinesTable;
  returns: ReturnsTable;
  returnLines: ReturnLinesTable;
  adminKeys: AdminKeysTable;
  imports: ImportsTable;
  auditLog: AuditLogTable;
  // Fulfilment configuration (issue 12).
  shippingZones: ShippingZonesTable;
  sourcingRules: SourcingRulesTable;
  // Orders' fulfilments and history (issue 12).
  fulfilments: FulfilmentsTable;
  fulfilmentLines: FulfilmentLinesTable;
  orderEvents: OrderEventsTable;
}

/** Every table the backoffice layer may name: the shared mechanisms and its own. */
export type BackofficeDB = SharedTables & BackofficeTables;
/** The database as the backoffice sees it. */
export type Database = SharedDatabase<BackofficeDB>;
/** The database or an open transaction, as the backoffice sees them (repository functions take either). */
export type Executor = SharedExecutor<BackofficeDB>;
/** A backoffice write's transaction context (see `runWrite`). */
export type WriteContext = SharedWriteContext<BackofficeDB>;
/** What a backoffice write needs: the database as the backoffice sees it and the clock. */
export type WriteDeps = SharedWriteDeps<BackofficeDB>;
