import type { OrderKind } from '../tables.js';
import type { FulfilmentSettings, ShippingZone } from '../orders/fulfilment-settings.schema.js';
import type { SourcingRules } from '../orders/sourcing.schema.js';
import type { FulfilmentMethod, FulfilmentStatus, OrderStatus } from '../orders/fulfilment-lifecycle.js';

/**
 * The backoffice events and their payloads: the contract between the writers (catalogue, pricing, stock,
 * imports) and the consumers the event worker runs — the read model, the price scheduler and the journey
 * layer's consumers, whose notices the channel layer's subscriptions hear. Payloads carry the *new state* of
 * what changed, so applying an event is idempotent and needs no read-back; bulk events list keys to reload
 * instead.
 */
export interface ProductState {
  sku: string;
  name: string;
  category: string;
  attributes: Record<string, string>;
  vatRateBp: number;
  status: 'ACTIVE' | 'INACTIVE' | 'DISCONTINUED';
}

export interface LocationState {
  id: string;
  name: string;
  kind: 'WAREHOUSE' | 'STORE';
  fulfilsOnline: boolean;
}

export interface PriceListState {
  id: string;
  name: string;
  currency: string;
  priority: number;
  validFrom: string | null;
  validTo: string | null;
}

export interface PriceState {
  priceListId: string;
  sku: string;
  minQuantity: number;
  amount: number;
  validFrom: string | null;
  validTo: string | null;
}

/**
 * One price row together with its list's terms: everything the pure price selection needs to decide which
 * amount applies to a SKU at an instant and quantity. The read model keeps these per SKU.
 */
export interface PriceCandidate {
  priceListId: string;
  /** Higher priority wins among windows that are open at the instant. */
  priority: number;
  currency: string;
  listValidFrom: string | null;
  listValidTo: string | null;
  minQuantity: number;
  amount: number;
  validFrom: string | null;
  validTo: string | null;
}

export interface StockLevelState {
  sku: string;
  locationId: string;
  onHand: number;
  reserved: number;
  safetyStock: number;
}

export interface BackofficeEventPayloads {
  'product.changed': { product: ProductState };
  /** `fulfilment`: the location's fulfilment settings, absent when it has none (issue 12). */
  'location.changed': { location: LocationState; fulfilment?: FulfilmentSettings };
  /** A shipping zone created or changed (`PUT /admin/v1/shipping-zones/{id}`): its new state. */
  'shipping-zone.changed': { shippingZone: ShippingZone };
  /** The retailer's sourcing rules replaced (`PUT /admin/v1/sourcing`): the new rules. */
  'sourcing.changed': { sourcing: SourcingRules };
  'price-list.changed': { priceList: PriceListState };
  /** `price` null means the price row was removed. */
  'price.changed': { priceListId: string; sku: string; minQuantity: number; price: PriceState | null };
  /** New levels of every (sku, location) the write touched. */
  'stock.changed': { levels: StockLevelState[]; cause: string };
  'reservation.created': {
    reservationId: string;
    expiresAt: string;
    lines: Array<{ sku: string; locationId: string; quantity: number }>;
  };
  'reservation.released': { reservationId: string; status: 'RELEASED' | 'EXPIRED' };
  'reservation.committed': { reservationId: string; orderId: string };
  /** A committed sale (online order or POS): the journey layer earns points on it. */
  'sale.committed': {
    orderId: string;
    kind: OrderKind;
    customerRef: string | null;
    locationId: string | null;
    currency: string;
    totalAmount: number;
    lines: Array<{
      sku: string;
      locationId: string;
      quantity: number;
      unitAmount: number;
      lineAmount: number;
    }>;
  };
  /**
   * An order moved (issue 12): one or more of its fulfilments changed status in one write (a warehouse or
   * carrier event, a cancellation, a collection at the store, the uncollected job). `status` and
   * `previousStatus` are the order's, before and after; `fulfilments` the transitions of this write;
   * `locationIds` every location the order involves (where its units are held and its pickup stores), for
   * access and notices; `actor`, `channel`, `reason` as in the order's history. The journey layer earns
   * points on `DELIVERED`/`COLLECTED` and gives coupon use and promotion budget back when `status` becomes
   * `CANCELLED`.
   */
  'order.changed': {
    orderId: string;
    kind: OrderKind;
    customerRef: string | null;
    currency: string;
    status: OrderStatus;
    previousStatus: OrderStatus;
    fulfilments: Array<{
      fulfilmentId: string;
      locationId: string;
      method: FulfilmentMethod;
      from: FulfilmentStatus;
      to: FulfilmentStatus;
    }>;
    locationIds: string[];
    actor: string;
    channel: string;
    reason: string | null;
  };
  'return.recorded': {
    returnId: string;
    orderId: string;
    customerRef: string | null;
    refundAmount: number;
    lines: Array<{ sku: string; quantity: number; sellable: boolean }>;
  };
  /**
   * A POS sale found fewer units in the books than were sold: the books were corrected, staff should count.
   */
  'stock.discrepancy': { sku: string; locationId: string; shortfall: number; reference: string };
  /** A bulk import batch changed these keys; consumers reload them from PostgreSQL. */
  'catalogue.bulk-changed': { kind: 'products' | 'prices' | 'stock'; skus: string[] };
  /** A price window opened or closed at `at`: the effective price of these SKUs (or whole lists) changed. */
  'price.schedule-switched': { at: string; priceListIds: string[]; skus: string[] };
  /**
   * The read model was taken over from another database or a restored older copy: revisions moved past
   * `fromRevision`.
   */
  'read-model.rebased': { fromRevision: number; reason: string };
}

export type BackofficeEventType = keyof BackofficeEventPayloads;
