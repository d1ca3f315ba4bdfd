import type pg from 'pg';
import type { Redis } from './redis/redis.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './database/database.js';
import type { ReadReplica } from './database/replica.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/**
 * Everything a service needs from the outside world, passed as one plain object (no DI container).
 * Tests build their own with a per-file database, a per-file Redis prefix and a controllable clock.
 * `db` sees the shared mechanism tables here; each layer's deps narrow it to the tables that layer may name.
 */
export interface Deps {
  config: Config;
  db: Database;
  pool: pg.Pool;
  /**
   * Connections straight to the primary (`DATABASE_DIRECT_URL`) when `pool` goes through a pooler in
   * transaction mode: for LISTEN, which needs a session of its own. Absent: `pool` is direct.
   */
  directPool?: pg.Pool;
  /**
   * A streaming replica (`DATABASE_REPLICA_URL`) that readers falling back from the read model read when it
   * has replayed the revision they need (`readOnReplica`). Absent: they read the primary.
   */
  replica?: ReadReplica;
  redis: Redis;
  /** Redis URL, for components (BullMQ workers, relays) that open their own connections. */
  redisUrl: string;
  /** Prefix of every Redis key and BullMQ queue of this hub instance. */
  redisPrefix: string;
  clock: Clock;
  logger: Logger;
  /**
   * The process's Prometheus metrics (one registry per process, so `omnihub start` shows API and worker on
   * one `/metrics`). Absent: each API node or worker started with these deps makes a registry of its own.
   */
  metrics?: Metrics;
}
