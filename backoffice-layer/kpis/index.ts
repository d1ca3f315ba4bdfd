/*
 * The figures staff steer by: sales per channel and currency over a window, and the hub's own health.
 */
export {
  salesKpis,
  customersServed,
  KPI_CHANNELS,
  type KpiChannel,
  type KpiWindow,
  type KpiMoney,
  type SalesFigures,
  type SalesKpis,
} from './sales-kpis.js';
export { hubHealth, type HubHealth } from './hub-health.js';
export {
  recordPropagation,
  recentPropagation,
  storeConsistencyVerdict,
  lastConsistencyVerdict,
  PROPAGATION_SAMPLES,
  type PropagationSample,
  type ConsistencyVerdict,
} from './hub-samples.js';
