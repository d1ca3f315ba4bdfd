import type pg from 'pg';
import { sql, type Transaction } from 'kysely';
import type { Logger } from '../logger.js';
import { createDatabase, type Database } from './database.js';
import { currentRevision } from './write-transaction.js';

/** What a replica did with the reads offered to it since it was opened. */
export interface ReplicaCounts {
  /** Reads it answered: its snapshot had replayed the revision asked for. */
  served: number;
  /** Reads it declined because it had not replayed that revision yet: the primary answered them. */
  behind: number;
  /**
   * Reads it could not answer (down, unreachable, a query cancelled by the replay, not a copy of the
   * primary), and reads not offered to it while it rested after such a failure: the primary answered them.
   */
  unavailable: number;
}

/**
 * A streaming replica of the hub's primary (`DATABASE_REPLICA_URL`), read by `readOnReplica` only: a pool of
 * its own, what it did (`counts`), and a short rest after a failure, so a replica that is down costs one
 * failed connection every `retryAfterMs`, not one per read.
 */
export interface ReadReplica {
  readonly url: string;
  readonly pool: pg.Pool;
  readonly counts: ReplicaCounts;
  /** Ends its pool. */
  close(): Promise<void>;
}

/** The replica's state, kept out of the public shape. */
interface ReplicaState {
  db: Database;
  retryAfterMs: number;
  /** Until when (epoch ms) the replica rests after a failure; 0: it is offered every read. */
  restingUntil: number;
  logger: Logger | undefined;
}

const states = new WeakMap<ReadReplica, ReplicaState>();

/**
 * Opens a replica's pool (10 connections, 1 s to connect: a replica that does not answer must not hold up a
 * read that the primary can answer). Connects lazily: a replica that is down at start is no error.
 * @example const replica = createReadReplica('postgres://omnihub@replica:5432/omnihub', { logger });
 */
export function createReadReplica(
  url: string,
  opts: { logger?: Logger; retryAfterMs?: number; max?: number; connectionTimeoutMs?: number } = {},
): ReadReplica {
  const handle = createDatabase(url, {
    max: opts.max ?? 10,
    applicationName: 'omnihub-replica-reader',
    connectionTimeoutMs: opts.connectionTimeoutMs ?? 1_000,
  });
  const replica: ReadReplica = {
    url,
    pool: handle.pool,
    counts: { served: 0, behind: 0, unavailable: 0 },
    close: async () => {
      await handle.close();
      if (!handle.pool.ended) await handle.pool.end();
    },
  };
  states.set(replica, {
    db: handle.db,
    retryAfterMs: opts.retryAfterMs ?? 5_000,
    restingUntil: 0,
    logger: opts.logger,
  });
  return replica;
}

/** The replica declined: its snapshot is older than asked. Rolls its transaction back, answers nothing. */
class Behind extends Error {}

/**
 * Runs `read` in one REPEATABLE READ snapshot of the replica when that snapshot has replayed revision
 * `atLeast`, and returns its result; returns `undefined` (the caller reads the primary) when it has not, when
 * the replica fails in any way, or while it rests after a failure — a replica never makes a read fail.
 *
 * The revision is the highest one committed in that very snapshot (`currentRevision`, as the replica sees
 * it), so what `read` sees is exactly the primary's state at that revision: revisions are drawn under a lock
 * released only after the commit record is written, so the WAL holds the commits in revision order, and a
 * standby, which replays the WAL in order, never shows revision R without every revision below it.
 *
 * `primary` types the replica: a streaming replica holds the primary's tables. `mirrors`, when given, must
 * confirm the replica is a copy of the primary (see backoffice-layer/read-model/source.ts); a replica that is
 * not is unavailable.
 */
export async function readOnReplica<DB, T>(
  replica: ReadReplica,
  primary: Database<DB>,
  atLeast: number,
  read: (tx: Transaction<DB>, revision: number) => Promise<T>,
  mirrors?: (replica: Database<DB>, primary: Database<DB>) => Promise<boolean>,
): Promise<T | undefined> {
  const state = states.get(replica);
  if (!state) return undefined;
  if (Date.now() < state.restingUntil) {
    replica.counts.unavailable++;
    return undefined;
  }
  try {
    // The replica's tables are the primary's.
    if (mirrors && !(await mirrors(state.db as unknown as Database<DB>, primary)))
      throw new Error('DATABASE_REPLICA_URL names a database that is not a copy of the primary');
    const result = await state.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (tx) => {
        await sql`SELECT 1`.execute(tx); // the snapshot starts at the first statement
        const revision = await currentRevision(tx);
        if (revision < atLeast) throw new Behind();
        return read(tx as unknown as Transaction<DB>, revision);
      });
    replica.counts.served++;
    if (state.restingUntil !== 0) {
      state.restingUntil = 0;
      state.logger?.info('read replica answers again');
    }
    return result;
  } catch (e) {
    if (e instanceof Behind) {
      replica.counts.behind++;
      return undefined;
    }
    replica.counts.unavailable++;
    if (state.restingUntil === 0)
      state.logger?.warn(
        { err: e, retryAfterMs: state.retryAfterMs },
        'read replica failed; reading the primary, trying the replica again later',
      );
    state.restingUntil = Date.now() + state.retryAfterMs;
    return undefined;
  }
}
