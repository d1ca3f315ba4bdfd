import { snapshotFromDatabase, type ReadModel, type Snapshot } from '../../backoffice-layer/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import { journeyReadModelSections } from './read-model-sections.js';

/**
 * A snapshot of these SKUs (and all locations, and the journey's shared sections) at a revision ≥
 * `minRevision`: from the node's read model when it has one (which, when it cannot answer, reads through to
 * PostgreSQL — a streaming replica that has replayed the revision, else the primary), else from the primary.
 * Never from a replica without a read model: that is how an order is priced, and a lagging copy would widen
 * the gap between the price it read and the commit that charges it.
 * @throws BAD_USER_INPUT when `minRevision` is ahead of the hub's latest revision.
 */
export async function snapshotFor(
  deps: JourneyDeps,
  skus: readonly string[],
  opts: { minRevision?: number | undefined; readModel?: ReadModel | undefined } = {},
): Promise<Snapshot> {
  const { minRevision, readModel } = opts;
  if (readModel) return readModel.getSnapshot(skus, { minRevision });
  return snapshotFromDatabase(deps.db, skus, {
    minRevision: minRevision ?? 0,
    sections: journeyReadModelSections,
  });
}
