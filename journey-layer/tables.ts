/**
 * The tables the journey layer owns — customers and what is known of them, consents, loyalty, promotions and
 * coupons, and the bonus points an order promised — and the database types its functions take. Only this
 * layer names these tables (tests/ops/table-ownership.test.ts checks it).
 */
import type { Generated, Transaction as KyselyTransaction } from 'kysely';
import type { BackofficeTables } from '../backoffice-layer/index.js';
import type {
  Database as SharedDatabase,
  Executor as SharedExecutor,
  JsonColumn,
  SharedTables,
  TimestampColumn,
  WriteContext as SharedWriteContext,
} from '../shared/index.js';

export interface CustomersTable {
  id: string;
  status: 'ACTIVE' | 'MERGED' | 'ERASED';
  displayName: string | null;
  mergedInto: string | null;
  firstOrderAt: TimestampColumn | null;
  revision: number;
  createdAt: TimestampColumn;
  updatedAt: TimestampColumn;
  erasedAt: TimestampColumn | null;
}

export type IdentifierKind = 'EMAIL' | 'PHONE' | 'LOYALTY_CARD' | 'APP_ACCOUNT';
export type ConsentPurpose = 'EMAIL_MARKETING' | 'PERSONALISATION' | 'PROFILING';

export interface CustomerIdentifiersTable {
  kind: IdentifierKind;
  value: string;
  customerId: string;
  channel: string;
  createdAt: TimestampColumn;
}

export interface CustomerAttributesTable {
  customerId: string;
  name: string;
  value: JsonColumn;
  channel: string;
  changedAt: TimestampColumn;
}

export interface ConsentsTable {
  customerId: string;
  purpose: ConsentPurpose;
  granted: boolean;
  channel: string;
  changedAt: TimestampColumn;
  /** Where it was given (a form, a till, a call), in words; null when not said. */
  source: string | null;
  /** When a granted consent ends by itself; null: until withdrawn. */
  expiresAt: TimestampColumn | null;
}

export interface ConsentHistoryTable {
  id: Generated<number>;
  customerId: string;
  purpose: ConsentPurpose;
  granted: boolean;
  channel: string;
  changedAt: TimestampColumn;
  revision: number;
  source: string | null;
  expiresAt: TimestampColumn | null;
}

export interface CustomerMergesTable {
  id: Generated<number>;
  fromId: string;
  intoId: string;
  channel: string;
  revision: number;
  mergedAt: TimestampColumn;
  /** What the merge moved and overwrote, so it can be undone (shape: customers/merge-journal.ts). */
  journal: JsonColumn | null;
  /** Who merged (`client:<id>`, `admin:<name>`); null for merges recorded before the actor was kept. */
  actor: string | null;
  undoneAt: TimestampColumn | null;
  undoneBy: string | null;
}

/** The kinds of interaction a timeline holds (docs/API.md, "Customer journey"). */
export type InteractionKind =
  | 'PRODUCT_VIEWED'
  | 'CART_UPDATED'
  | 'WISHLIST_ADDED'
  | 'STORE_VISIT'
  | 'SERVICE_CONTACT'
  | 'RESERVATION'
  | 'ORDER_PLACED'
  | 'STORE_SALE'
  | 'FULFILMENT'
  | 'RETURN'
  | 'POINTS'
  | 'TIER'
  | 'CONSENT'
  | 'PROFILE_CHANGED'
  | 'NOTE';

/**
 * One interaction on a profile's timeline. `source` is unique: `event:<event id>:<part>` for the hub's own
 * events, `client:<client id>:<idempotency key>` for what a channel reported, so each lands once.
 */
export interface CustomerInteractionsTable {
  id: string;
  customerId: string;
  kind: InteractionKind;
  channel: string;
  locationId: string | null;
  sku: string | null;
  orderId: string | null;
  summary: string;
  /** An agent's note (service contact, note); personal data. */
  note: string | null;
  actor: string;
  source: string;
  occurredAt: TimestampColumn;
  revision: number;
}

/** One correction of a profile field, with the value before and after. */
export interface ProfileChangesTable {
  id: Generated<number>;
  customerId: string;
  field: string;
  oldValue: string | null;
  newValue: string | null;
  channel: string;
  actor: string;
  changedAt: TimestampColumn;
  revision: number;
}

/** A way to contact her (e-mail, SMS, push notification, post). */
export type ContactChannel = 'EMAIL' | 'SMS' | 'PUSH' | 'POST';
/** What a message to her is about. */
export type ContactTopic = 'NEWSLETTER' | 'PERSONAL_OFFERS' | 'SERVICE' | 'LOYALTY';

/** Her contact preference for one contact channel: the topics she wants there, at most so many a week. */
export interface ContactPreferencesTable {
  customerId: string;
  channel: ContactChannel;
  topics: ContactTopic[];
  maxPerWeek: number | null;
  /** The channel the preference was set through. */
  source: string;
  changedAt: TimestampColumn;
}

/** A segment: RFM (recency, frequency, monetary) or a rule staff defined; `definition` is zod-validated. */
export interface SegmentDefinitionsTable {
  id: string;
  name: string;
  kind: 'RFM' | 'RULE';
  definition: JsonColumn;
  status: 'ACTIVE' | 'ARCHIVED';
  revision: number;
  createdAt: TimestampColumn;
  updatedAt: TimestampColumn;
}

/** A profile's computed membership of a segment: since when, why, when last computed. */
export interface SegmentMembershipsTable {
  customerId: string;
  segmentId: string;
  since: TimestampColumn;
  reason: string;
  computedAt: TimestampColumn;
  revision: number;
}

/** One read or use of her data: who, when, through which channel, for which purpose, what. */
export interface CustomerDataUseTable {
  id: Generated<number>;
  customerId: string;
  at: TimestampColumn;
  actor: string;
  channel: string;
  purpose: string;
  what: string;
}

export interface LoyaltyProgramsTable {
  id: string;
  definition: JsonColumn;
  revision: number;
  updatedAt: TimestampColumn;
}

export interface LoyaltyAccountsTable {
  customerId: string;
  balance: Generated<number>;
  tier: string;
  revision: number;
  updatedAt: TimestampColumn;
}

export type LoyaltyLedgerKind = 'EARN' | 'REVERSE' | 'REDEEM' | 'EXPIRE' | 'ADJUST' | 'MERGE';

export interface LoyaltyLedgerTable {
  id: Generated<number>;
  customerId: string;
  kind: LoyaltyLedgerKind;
  points: number;
  reference: string | null;
  reason: string | null;
  earnedAt: TimestampColumn;
  expiresAt: TimestampColumn | null;
  revision: number;
}

export interface PromotionsTable {
  id: string;
  definition: JsonColumn;
  status: 'ACTIVE' | 'PAUSED' | 'ARCHIVED';
  validFrom: TimestampColumn | null;
  validTo: TimestampColumn | null;
  budgetAmount: number | null;
  budgetSpent: Generated<number>;
  revision: number;
  createdAt: TimestampColumn;
  updatedAt: TimestampColumn;
}

export interface CouponsTable {
  code: string;
  promotionId: string;
  batchId: string | null;
  usageLimit: number | null;
  perCustomerLimit: number | null;
  usedCount: Generated<number>;
  validFrom: TimestampColumn | null;
  validTo: TimestampColumn | null;
  revision: number;
  createdAt: TimestampColumn;
}

export interface CouponRedemptionsTable {
  id: Generated<number>;
  code: string;
  customerId: string | null;
  orderId: string;
  amount: number;
  revision: number;
  redeemedAt: TimestampColumn;
}

export interface OrderBonusPointsTable {
  orderId: string;
  points: number;
  createdAt: TimestampColumn;
}

/**
 * What an order used of one promotion, written with the order: its coupon code (null: none) and the discount
 * it gave (minor units of the order's currency, what the budget spent on it); `givenBackAt` is set when the
 * order was cancelled and the use given back.
 */
export interface OrderPromotionUseTable {
  orderId: string;
  promotionId: string;
  code: string | null;
  amount: number;
  revision: number;
  usedAt: TimestampColumn;
  givenBackAt: TimestampColumn | null;
}

/**
 * The points an online order's fulfilment earned when its goods reached the customer, once per fulfilment,
 * and the amount paid for its lines they were earned on (minor units of the order's currency).
 */
export interface FulfilmentPointsTable {
  fulfilmentId: string;
  orderId: string;
  amount: number;
  points: number;
  earnedAt: TimestampColumn;
}

/** The tables the journey layer owns (camelCase; Kysely's CamelCasePlugin maps them to snake_case). */
export interface JourneyTables {
  customers: CustomersTable;
  customerIdentifiers: CustomerIdentifiersTable;
  customerAttributes: CustomerAttributesTable;
  consents: ConsentsTable;
  consentHistory: ConsentHistoryTable;
  customerMerges: CustomerMergesTable;
  loyaltyPrograms: LoyaltyProgramsTable;
  loyaltyAccounts: LoyaltyAccountsTable;
  loyaltyLedger: LoyaltyLedgerTable;
  promotions: PromotionsTable;
  coupons: CouponsTable;
  couponRedemptions: CouponRedemptionsTable;
  orderBonusPoints: OrderBonusPointsTable;
  orderPromotionUse: OrderPromotionUseTable;
  fulfilmentPoints: FulfilmentPointsTable;
  customerInteractions: CustomerInteractionsTable;
  profileChanges: ProfileChangesTable;
  contactPreferences: ContactPreferencesTable;
  segmentDefinitions: SegmentDefinitionsTable;
  segmentMemberships: SegmentMembershipsTable;
  customerDataUse: CustomerDataUseTable;
}

/**
 * The journey's database type: the shared mechanisms, the backoffice's tables and its own. The backoffice's
 * are here only because the journey hands its database and transactions on to backoffice functions (one
 * order, one transaction); the journey itself names only its own tables and the shared ones.
 */
export type JourneyDB = SharedTables & BackofficeTables & JourneyTables;
/** The database as the journey sees it. */
export type Database = SharedDatabase<JourneyDB>;
/** The database or an open transaction, as the journey sees them. */
export type Executor = SharedExecutor<JourneyDB>;
/** An open transaction, as the journey sees it (an event consumer's, for instance). */
export type Transaction = KyselyTransaction<JourneyDB>;
/** A journey write's transaction context (see `runWrite`). */
export type WriteContext = SharedWriteContext<JourneyDB>;
