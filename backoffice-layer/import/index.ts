export { importRoutes } from './routes.js';
export { runImport, type ImportSummary, type ImportProgress, type RunImportOptions } from './run-import.js';
export { runImportCommand, inferImportType } from './import-command.js';
export { IMPORT_KINDS, IMPORT_FORMATS, type ImportKind, type ImportFormat } from './import-rows.js';
