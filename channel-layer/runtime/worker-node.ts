import type { BackofficeDeps } from '../../backoffice-layer/index.js';

export interface WorkerNode {
  stop(): Promise<void>;
}

/** A worker process: outbox relay, event consumers and reservation expiry. (Being wired up.) */
export async function startWorkerNode(_deps: BackofficeDeps): Promise<WorkerNode> {
  return { stop: async () => undefined };
}
