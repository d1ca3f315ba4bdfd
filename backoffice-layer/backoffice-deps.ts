import type { Deps } from '../shared/index.js';
import type { BackofficeQueues } from './jobs/queues.js';
import type { ReservationQueue } from './stock/reservation-queue.js';
import type { Database } from './tables.js';

/** What backoffice services need: the shared connections (seeing the backoffice's tables), its job queues. */
export interface BackofficeDeps extends Deps {
  db: Database;
  queues: BackofficeQueues;
  /**
   * The process's group-commit queue for reservations (one per process and database). Absent: `reserveStock`
   * makes one on first use and keeps it on these deps.
   */
  reservationQueue?: ReservationQueue;
}
