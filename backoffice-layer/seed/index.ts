export { generateDemoRetailer, type DemoRetailer } from './demo-retailer.js';
export { seedDemoRetailer, type SeedSummary } from './seed-demo-retailer.js';
export {
  DEMO_ORDERS,
  seedDemoOrders,
  type DemoFulfilmentPlan,
  type DemoOrderPlan,
  type DemoOrdersSummary,
} from './demo-orders.js';
