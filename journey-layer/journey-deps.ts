import type { BackofficeDeps } from '../backoffice-layer/index.js';

/** What journey services need: the same connections as the backoffice layer (one process, one pool). */
export type JourneyDeps = BackofficeDeps;
