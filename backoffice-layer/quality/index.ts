/** Data-quality checks over the catalogue, prices and stock (admin `GET /admin/v1/data-quality`). */
export { backofficeQualityChecks, type BackofficeQualityOptions } from './backoffice-checks.js';
export {
  runQualityCheck,
  qualityScore,
  QualityCheckResultSchema,
  QualityItemSchema,
  type QualityCheckResult,
  type QualityCheckSpec,
  type QualityItem,
} from './quality-check.js';
