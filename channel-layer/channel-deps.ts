import type { JourneyDeps } from '../journey-layer/index.js';
import type { Database } from './tables.js';

/**
 * What a hub process hands its services (runtime/bootstrap.ts builds it): the journey's deps, the database
 * seen with every layer's tables — this layer builds the process, so the whole hub's table type is composed
 * here.
 */
export interface ChannelDeps extends JourneyDeps {
  db: Database;
}
