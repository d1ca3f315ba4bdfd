import type { Deps } from '../shared/index.js';
import type { BackofficeQueues } from './jobs/queues.js';

/** What backoffice services need: the shared connections plus the layer's job queues. */
export interface BackofficeDeps extends Deps {
  queues: BackofficeQueues;
}
