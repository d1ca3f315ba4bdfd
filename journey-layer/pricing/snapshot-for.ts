import { loadSnapshotFromDatabase, type ReadModel, type Snapshot } from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import { journeyReadModelSections } from './read-model-sections.js';

/**
 * A snapshot of these SKUs (and all locations, and the journey's shared sections) at a revision ≥
 * `minRevision`: from the node's read model when it has one, else read through PostgreSQL.
 * @throws BAD_USER_INPUT when `minRevision` is ahead of the hub's latest revision.
 */
export async function snapshotFor(
  deps: JourneyDeps,
  skus: readonly string[],
  opts: { minRevision?: number | undefined; readModel?: ReadModel | undefined } = {},
): Promise<Snapshot> {
  const { minRevision, readModel } = opts;
  if (readModel) return readModel.getSnapshot(skus, { minRevision });
  // The read model's own read-through (`fromDatabase` in backoffice-layer/read-model/read-model.ts) lives
  // inside `createReadModel` and is not exported: until it is, the same few lines are here.
  const s = await loadSnapshotFromDatabase(deps.db, skus, journeyReadModelSections);
  if (minRevision !== undefined && s.revision < minRevision)
    throw new DomainError(
      'BAD_USER_INPUT',
      `minRevision ${minRevision} is ahead of the hub (latest revision ${s.revision})`,
      { minRevision },
    );
  return {
    revision: s.revision,
    source: 'database',
    skus: s.views,
    locations: s.locations,
    globals: s.globals,
  };
}
