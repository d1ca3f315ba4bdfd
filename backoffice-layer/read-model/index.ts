export { createReadModel, type ReadModel, type Snapshot, type ReadModelOptions } from './read-model.js';
export {
  readModelConsumer,
  readModelWatermark,
  READ_MODEL_CONSUMER,
  type ReadModelChange,
} from './consumer.js';
export {
  rebuildReadModel,
  verifyReadModel,
  startReadModelMaintenance,
  ReadModelRebuildInterrupted,
  type ReadModelDifference,
  type RebuildOutcome,
} from './rebuild.js';
export { sourceIdentity, loadSourceIdentity } from './source.js';
export {
  readModelKeys,
  loadSnapshotFromDatabase,
  loadGlobals,
  type GlobalFacet,
  type SkuView,
} from './store.js';
