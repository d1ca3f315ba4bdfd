/**
 * The tables of the hub's mechanisms, which every layer may use: the outbox and the idempotency keys (written
 * by `runWrite` for whichever layer writes), the applied events and watermarks of the event consumers (every
 * layer's consumers run on the same event worker), and the database's identity (written at migration; it
 * names the database, not a business record). Nothing else: each layer declares the tables it owns in its own
 * `tables.ts` (backoffice-layer/tables.ts, journey-layer/tables.ts, channel-layer/tables.ts) and other layers
 * read them only through that layer's index.ts — tests/ops/table-ownership.test.ts fails when a layer names
 * another's table. The whole hub's table type is composed only where a process is built
 * (channel-layer/tables.ts, `HubTables`).
 *
 * TypeScript view of the PostgreSQL schema in migrations/ (camelCase; Kysely's CamelCasePlugin maps to
 * snake_case).
 */
import type { ColumnType, Generated } from 'kysely';

/** A timestamp column: read as a Date, written as a Date or an ISO string. */
export type TimestampColumn = ColumnType<Date, Date | string, Date | string>;
/** A jsonb column: read as `T`, written as its JSON text. */
export type JsonColumn<T = unknown> = ColumnType<T, string, string>;

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  requestHash: string;
  response: JsonColumn;
  createdAt: TimestampColumn;
}

export interface OutboxTable {
  position: Generated<number>;
  id: string;
  revision: number;
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: JsonColumn<Record<string, unknown>>;
  createdAt: TimestampColumn;
  publishedAt: TimestampColumn | null;
}

export interface AppliedEventsTable {
  consumer: string;
  eventId: string;
  revision: number;
  appliedAt: TimestampColumn;
}

export interface ConsumerWatermarksTable {
  consumer: string;
  position: number;
  revision: number;
  updatedAt: TimestampColumn;
}

/** One row: this database's identity, written at migration (see backoffice-layer/read-model/source.ts). */
export interface HubIdentityTable {
  singleton: Generated<boolean>;
  databaseId: Generated<string>;
  createdAt: Generated<Date>;
}

/** The mechanism tables: the only ones `shared/` names; the default tables of `Database` and `Executor`. */
export interface SharedTables {
  idempotencyKeys: IdempotencyKeysTable;
  outbox: OutboxTable;
  appliedEvents: AppliedEventsTable;
  consumerWatermarks: ConsumerWatermarksTable;
  hubIdentity: HubIdentityTable;
}
