import type { Deps } from '../shared/index.js';
import type { BackofficeQueues } from './jobs/queues.js';
import type { Database } from './tables.js';

/** What backoffice services need: the shared connections (seeing the backoffice's tables), its job queues. */
export interface BackofficeDeps extends Deps {
  db: Database;
  queues: BackofficeQueues;
}
