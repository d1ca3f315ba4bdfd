export {
  priceCart,
  type PriceCartInput,
  type PricedCart,
  type PricedLine,
  type Adjustment,
  type AdjustmentSource,
  type MemberBenefit,
} from './engine.js';
export { PromotionRuleSchema, type PromotionRule, type PromotionRuleInput } from './rule.schema.js';
export { CONDITIONS, ACTIONS, ConditionSchema, ActionSchema } from './registry.js';
export type { CartLine, CustomerContext } from './types.js';
export {
  upsertPromotion,
  archivePromotion,
  getPromotion,
  activePromotionRules,
  lockBudgets,
  createCoupons,
  resolveCoupons,
  redeemAtCommit,
  giveBackPromotionUse,
  nextPromotionBoundary,
  PromotionBodySchema,
  CouponBatchSchema,
  type PromotionView,
  type PromotionBody,
  type CouponBatch,
  type ActivePromotion,
  type PromotionUseGivenBack,
} from './store.js';
export { promotionsConsumer, PROMOTIONS_CONSUMER } from './consumer.js';
