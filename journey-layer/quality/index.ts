/** Data-quality checks over profiles and promotions, and the admin route that reports every check. */
export {
  journeyQualityChecks,
  duplicateProfileCandidates,
  conflictingPromotions,
  invalidIdentifiers,
} from './journey-checks.js';
export { qualityRoutes, dataQualityReport, type DataQualityReport } from './routes.js';
