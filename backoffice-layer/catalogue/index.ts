export { catalogueRoutes } from './routes.js';
export {
  upsertProduct,
  getProduct,
  listProducts,
  upsertLocation,
  getLocation,
  listLocations,
  assertProductsExist,
  toProductState,
  type ProductView,
  type LocationView,
} from './catalogue.js';
export {
  ProductBodySchema,
  LocationBodySchema,
  ProductStatusSchema,
  LocationKindSchema,
  AttributeNameSchema,
  vatRateToBasisPoints,
  type ProductBody,
  type LocationBody,
} from './catalogue.schema.js';
