export {
  createReadModel,
  snapshotFromDatabase,
  type ReadModel,
  type Snapshot,
  type ReadModelOptions,
} from './read-model.js';
export {
  readModelConsumer,
  readModelWatermark,
  READ_MODEL_CONSUMER,
  type ReadModelChange,
} from './consumer.js';
export { rebuildReadModel, ReadModelRebuildInterrupted, type RebuildOutcome } from './rebuild.js';
export { verifyReadModel, type ReadModelDifference } from './verify-read-model.js';
export { startReadModelMaintenance } from './read-model-maintenance.js';
export { sourceIdentity, loadSourceIdentity } from './source.js';
export {
  readModelKeys,
  loadSnapshotFromDatabase,
  loadGlobals,
  type SharedSection,
  type SkuView,
} from './store.js';
export {
  fulfilmentSection,
  fulfilmentOf,
  loadFulfilmentSection,
  nextPromiseBoundary,
  FULFILMENT_SECTION,
  PROMISE_SCHEDULE_EVENT_TYPES,
  type FulfilmentSectionValue,
} from './fulfilment-section.js';
