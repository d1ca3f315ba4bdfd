export { importRoutes } from './routes.js';
export {
  runImport,
  runImportCommand,
  inferImportType,
  type ImportSummary,
  type ImportProgress,
  type RunImportOptions,
} from './run-import.js';
export { IMPORT_KINDS, IMPORT_FORMATS, type ImportKind, type ImportFormat } from './import-rows.js';
