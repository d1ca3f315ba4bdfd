import type { AdminRoute } from './admin-route.js';
import { catalogueRoutes } from '../catalogue/index.js';
import { pricingRoutes } from '../pricing/index.js';
import { stockRoutes } from '../stock/index.js';
import { orderRoutes } from '../orders/index.js';
import { importRoutes } from '../import/index.js';
import { fulfilmentConfigRoutes } from '../orders/index.js';
import { adminKeyRoutes } from './admin-keys.js';
import { auditRoutes } from './audit.js';
import { sessionRoutes } from './console-access.js';

/** Every admin REST route of the backoffice layer. */
export const backofficeAdminRoutes: readonly AdminRoute[] = [
  ...catalogueRoutes,
  ...pricingRoutes,
  ...stockRoutes,
  ...orderRoutes,
  ...importRoutes,
  ...fulfilmentConfigRoutes,
  ...auditRoutes,
  ...adminKeyRoutes,
  ...sessionRoutes,
];
