/**
 * The tables the channel layer owns — its API clients and the hub's own secrets — and `HubTables`, every
 * layer's tables together, composed here because this layer builds the process (runtime/bootstrap.ts). Only
 * this layer names its tables (tests/ops/table-ownership.test.ts checks it).
 */
import type { BackofficeTables } from '../backoffice-layer/index.js';
import type { JourneyTables } from '../journey-layer/index.js';
import type { ColumnType } from 'kysely';
import type {
  ChannelKind,
  Database as SharedDatabase,
  SharedTables,
  TimestampColumn,
} from '../shared/index.js';

/** The channel layer's API clients: one key each, a channel, scopes, and a store for till clients. */
export interface ChannelClientsTable {
  id: string;
  name: string;
  channel: ChannelKind;
  locationId: string | null;
  scopes: string[];
  /** The client's market currency (ISO 4217); null: the hub's default. Added by 20261130T0720. */
  currency: ColumnType<string | null, string | null | undefined, string | null>;
  keyHash: string;
  createdAt: TimestampColumn;
  revokedAt: TimestampColumn | null;
}

/** Secrets the hub makes for itself (the customer-token signing key). */
export interface HubSecretsTable {
  name: string;
  value: string;
  createdAt: TimestampColumn;
}

/** The tables the channel layer owns (camelCase; Kysely's CamelCasePlugin maps them to snake_case). */
export interface ChannelTables {
  channelClients: ChannelClientsTable;
  hubSecrets: HubSecretsTable;
}

/** Every table of the hub: the type of the one database a hub process opens and hands to every layer. */
export type HubTables = SharedTables & BackofficeTables & JourneyTables & ChannelTables;
/** The database as a hub process (and the channel layer) sees it. */
export type Database = SharedDatabase<HubTables>;
