export { pricingRoutes } from './routes.js';
export { selectPrice, nextPriceChange, isOpenAt, type SelectedPrice } from './select-price.js';
export {
  upsertPriceList,
  getPriceList,
  listPrices,
  setPrice,
  deletePrice,
  getPriceHistory,
  loadPriceCandidates,
  getBasePrice,
  skusSwitchingAt,
  type PriceListView,
} from './pricing.js';
export {
  PriceBodySchema,
  PriceListBodySchema,
  InstantSchema,
  type PriceBody,
  type PriceListBody,
} from './pricing.schema.js';
