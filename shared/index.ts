/**
 * Shared infrastructure: config, connections, clock, money, errors, input parsing and the boundary schemas'
 * building blocks, logging, the event envelope. No business rules.
 */
export { loadConfig, listenHost, CONFIG_ENV_VARS, type Config } from './config.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
export { PROJECT_ROOT } from './project-root.js';
export { seededRandom } from './prng.js';
export {
  money,
  mulDivHalfUp,
  percentOf,
  vatPart,
  prorate,
  formatMoney,
  currencyExponent,
  isKnownCurrency,
  assertMinorUnits,
  MAX_MONEY_AMOUNT,
  type Money,
} from './money.js';
export {
  DomainError,
  ERROR_CODES,
  classifyInfrastructureError,
  detailMembers,
  type ErrorCode,
} from './errors.js';
export { parseInput } from './parse-input.js';
export {
  ID_PATTERN,
  IdSchema,
  SkuSchema,
  LocationIdSchema,
  CurrencyCodeSchema,
  KnownCurrencySchema,
  UUID_FORM,
  UuidSchema,
  isUuid,
  CHANNEL_KINDS,
  ChannelKindSchema,
  WriteOriginSchema,
  MAX_AMOUNT,
  AmountSchema,
  MAX_LINE_QUANTITY,
  type ChannelKind,
  type WriteOrigin,
} from './schemas.js';
export { pageCursor, instantAndId, type PageCursor } from './page-cursor.js';
export { createLogger, type Logger } from './logger.js';
export { OUTBOX_CHANNEL, type EventEnvelope, type PendingEvent } from './events.js';
export {
  createDatabase,
  createPool,
  withDatabaseName,
  type Database,
  type Executor,
  type DatabaseHandle,
  type PoolOptions,
} from './database/database.js';
export {
  createReadReplica,
  readOnReplica,
  type ReadReplica,
  type ReplicaCounts,
} from './database/replica.js';
export type * from './database/schema.js';
export {
  migrate,
  migrationsCurrent,
  listMigrations,
  MIGRATIONS_DIR,
  type MigrationResult,
} from './database/migrate.js';
export { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './database/embedded-postgres.js';
export {
  runWrite,
  writeInTransaction,
  lockOrClaim,
  currentRevision,
  advanceRevision,
  canonicalJson,
  sha256,
  requestHash,
  type WriteContext,
  type WriteResult,
  type IdempotencyOptions,
  type WriteDeps,
} from './database/write-transaction.js';
export {
  createRedis,
  hubRedisPrefix,
  isRedisUrl,
  parseRedisUrl,
  redactRedisUrl,
  redisMasters,
  deleteKeysMatching,
  assertNoEviction,
  redisReachable,
  startLocalRedis,
  luaScript,
  countInWindow,
  answeredWithin,
  GUARD_REDIS_WAIT_MS,
  type LuaScript,
  type Redis,
  type RedisTarget,
  type RedisNodeAddress,
  type LocalRedisHandle,
} from './redis/redis.js';
export type { Deps } from './deps.js';
export {
  createMetrics,
  SCRAPE_READ_TIMEOUT_MS,
  type Metrics,
  type SampledGauge,
  type ReadModelRole,
} from './metrics.js';
export {
  displayName,
  findUnstorableText,
  MAX_INPUT_DEPTH,
  nameTextReason,
  noteText,
  storableText,
  unstorableTextReason,
} from './text.js';
export {
  callerAddress,
  KeyGuard,
  KEY_CACHE_MS,
  ADDRESS_LOOKUPS_PER_SECOND,
  UNKNOWN_KEYS_PER_MINUTE,
} from './key-guard.js';
export { bearerToken, type BearerBounds } from './bearer.js';
export {
  CONSOLE_AREAS,
  CONSOLE_SCOPE_FORMS,
  CONSOLE_SCOPE_PATTERN,
  consoleGrants,
  fullConsoleGrants,
  grantsArea,
  isConsoleScope,
  locationOutside,
  reachesAnyLocation,
  type ConsoleArea,
  type ConsoleAreaGrant,
  type ConsoleGrants,
} from './console-scopes.js';
