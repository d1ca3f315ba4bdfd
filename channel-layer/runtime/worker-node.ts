import { startBackofficeWorker, type BackofficeDeps } from '../../backoffice-layer/index.js';
import { journeyWorkerOptions } from '../../journey-layer/index.js';

export interface WorkerNode {
  stop(): Promise<void>;
}

/**
 * A worker process: the outbox relay, event consumers (the read model, then loyalty), the read-model guardian, reservation expiry
 * and the price scheduler. Stopping drains the jobs in hand.
 */
export async function startWorkerNode(deps: BackofficeDeps): Promise<WorkerNode> {
  const backoffice = await startBackofficeWorker(deps, journeyWorkerOptions(deps));
  return { stop: () => backoffice.stop() };
}
