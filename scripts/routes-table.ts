/**
 * Prints the admin REST routes as a markdown table (for the README), straight from the route definitions, so
 * the documented list cannot drift from what the router mounts.
 * @example npx tsx scripts/routes-table.ts
 */
import { backofficeAdminRoutes } from '../backoffice-layer/index.js';
import { journeyAdminRoutes } from '../journey-layer/index.js';
import { channelAdminRoutes } from '../channel-layer/index.js';

const rows = [...backofficeAdminRoutes, ...journeyAdminRoutes, ...channelAdminRoutes].map(
  (r) => `| \`${r.method.toUpperCase()} /admin/v1${r.path.replace(/:(\w+)/g, '{$1}')}\` | ${r.summary} |`,
);
process.stdout.write(['| method and path | does |', '|---|---|', ...rows].join('\n') + '\n');
