export { generateDemoRetailer, type DemoRetailer } from './demo-retailer.js';
export { seedDemoRetailer, type SeedSummary } from './seed-demo-retailer.js';
