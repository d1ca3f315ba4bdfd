import type { AdminRoute } from '../admin-api/admin-route.js';

export const pricingRoutes: readonly AdminRoute[] = [];
