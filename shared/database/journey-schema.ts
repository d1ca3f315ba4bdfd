import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

/** Table types of the journey layer's migrations (customers, consents, loyalty, promotions, coupons). */
export interface CustomersTable {
  id: string;
  status: 'ACTIVE' | 'MERGED' | 'ERASED';
  displayName: string | null;
  mergedInto: string | null;
  firstOrderAt: Timestamp | null;
  revision: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  erasedAt: Timestamp | null;
}

export type IdentifierKind = 'EMAIL' | 'PHONE' | 'LOYALTY_CARD' | 'APP_ACCOUNT';
export type ConsentPurpose = 'EMAIL_MARKETING' | 'PERSONALISATION' | 'PROFILING';

export interface CustomerIdentifiersTable {
  kind: IdentifierKind;
  value: string;
  customerId: string;
  channel: string;
  createdAt: Timestamp;
}

export interface CustomerAttributesTable {
  customerId: string;
  name: string;
  value: Json;
  channel: string;
  changedAt: Timestamp;
}

export interface ConsentsTable {
  customerId: string;
  purpose: ConsentPurpose;
  granted: boolean;
  channel: string;
  changedAt: Timestamp;
}

export interface ConsentHistoryTable {
  id: Generated<number>;
  customerId: string;
  purpose: ConsentPurpose;
  granted: boolean;
  channel: string;
  changedAt: Timestamp;
  revision: number;
}

export interface CustomerMergesTable {
  id: Generated<number>;
  fromId: string;
  intoId: string;
  channel: string;
  revision: number;
  mergedAt: Timestamp;
}

export interface LoyaltyProgramsTable {
  id: string;
  definition: Json;
  revision: number;
  updatedAt: Timestamp;
}

export interface LoyaltyAccountsTable {
  customerId: string;
  balance: Generated<number>;
  tier: string;
  revision: number;
  updatedAt: Timestamp;
}

export type LoyaltyLedgerKind = 'EARN' | 'REVERSE' | 'REDEEM' | 'EXPIRE' | 'ADJUST' | 'MERGE';

export interface LoyaltyLedgerTable {
  id: Generated<number>;
  customerId: string;
  kind: LoyaltyLedgerKind;
  points: number;
  reference: string | null;
  reason: string | null;
  earnedAt: Timestamp;
  expiresAt: Timestamp | null;
  revision: number;
}

export interface PromotionsTable {
  id: string;
  definition: Json;
  status: 'ACTIVE' | 'PAUSED' | 'ARCHIVED';
  validFrom: Timestamp | null;
  validTo: Timestamp | null;
  budgetAmount: number | null;
  budgetSpent: Generated<number>;
  revision: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface CouponsTable {
  code: string;
  promotionId: string;
  batchId: string | null;
  usageLimit: number | null;
  perCustomerLimit: number | null;
  usedCount: Generated<number>;
  validFrom: Timestamp | null;
  validTo: Timestamp | null;
  revision: number;
  createdAt: Timestamp;
}

export interface CouponRedemptionsTable {
  id: Generated<number>;
  code: string;
  customerId: string | null;
  orderId: string;
  amount: number;
  revision: number;
  redeemedAt: Timestamp;
}

/** Channel clients of the channel layer's API (kept with the other non-backoffice tables). */
export interface ChannelClientsTable {
  id: string;
  name: string;
  channel: 'WEB' | 'APP' | 'STORE' | 'CALL_CENTER' | 'CONSOLE';
  locationId: string | null;
  scopes: string[];
  /** The client's market currency (ISO 4217); null: the hub's default. Added by 20261130T0720. */
  currency: ColumnType<string | null, string | null | undefined, string | null>;
  keyHash: string;
  createdAt: Timestamp;
  revokedAt: Timestamp | null;
}

export interface HubSecretsTable {
  name: string;
  value: string;
  createdAt: Timestamp;
}

export interface OrderBonusPointsTable {
  orderId: string;
  points: number;
  createdAt: Timestamp;
}

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
  channelClients: ChannelClientsTable;
  hubSecrets: HubSecretsTable;
  orderBonusPoints: OrderBonusPointsTable;
}
