import type { BackofficeDeps } from '../backoffice-layer/index.js';
import type { Database } from './tables.js';

/**
 * What journey services need: the same connections as the backoffice layer (one process, one pool), the
 * database seen with the journey's tables as well.
 */
export interface JourneyDeps extends BackofficeDeps {
  db: Database;
}
