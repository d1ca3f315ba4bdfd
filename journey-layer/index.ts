/**
 * The journey layer: customer profiles, loyalty, promotions and consent (built on the backoffice layer's
 * index).
 */
export type { JourneyDeps } from './journey-deps.js';
// The tables this layer owns, for the hub's table type (the channel layer names none of them: see tables.ts).
export type {
  JourneyTables,
  JourneyDB,
  IdentifierKind,
  ConsentPurpose,
  ContactChannel,
  ContactTopic,
} from './tables.js';
export { normalizeIdentifier, IDENTIFIER_KINDS, IdentifierKindSchema } from './customers/identifiers.js';
export {
  ConsentPurposeSchema,
  CustomerAttributesSchema,
  EnrollInputSchema,
  type EnrollInput,
  type CustomerAttributes,
  type ProfileUpdate,
} from './customers/customer.schema.js';
export {
  enrollCustomer,
  linkIdentifier,
  unlinkIdentifier,
  updateCustomerProfile,
  setConsent,
  expireConsents,
  type IdentifierLink,
  type ConsentDecision,
} from './customers/customers.js';
export {
  getCustomer,
  getCustomerFacts,
  findCustomerByIdentifier,
  resolveCustomerId,
  profileFamily,
  type CustomerView,
  type CustomerFacts,
} from './customers/customer-reads.js';
export { exportCustomerData, eraseCustomer, type ErasureReceipt } from './customers/data-rights.js';
export { mergeCustomers, UNMERGE_WINDOW_DAYS, type MergeHook, type MergeReceipt } from './customers/merge.js';
export {
  LoyaltyProgramSchema,
  TierSchema,
  DEFAULT_PROGRAM,
  tierFor,
  tierAfterEarning,
  heldTier,
  nextTier,
  pointsForOrder,
  describeBenefits,
  type LoyaltyProgram,
  type Tier,
} from './loyalty/program.js';
export {
  getLoyaltyProgram,
  setLoyaltyProgram,
  getLoyaltyStatus,
  redeemPoints,
  adjustPoints,
  expirePoints,
  earnForOrder,
  recordOnlineOrder,
  recordCancelledOrder,
  reverseForReturn,
  type LoyaltyStatusView,
} from './loyalty/ledger.js';
export {
  fulfilmentAmounts,
  earnForFulfilments,
  earnOrderBonus,
  type DeliveredFulfilments,
} from './loyalty/fulfilment-points.js';
export { pointsEarnedOnOrder } from './loyalty/order-points.js';
export { loyaltyConsumer, LOYALTY_CONSUMER } from './loyalty/consumer.js';
export { journeyAdminRoutes, journeyConsumers, journeyWorkerOptions } from './journey-wiring.js';
export * from './promotions/index.js';
export { quote, QuoteInputSchema, type Quote, type QuoteInput } from './pricing/quote.js';
export { offer, offers, type Offer } from './pricing/offer.js';
// The delivery promise in offers and quotes (issue 12).
export { MAX_PICKUP_PROMISES, type DeliveryPromiseAnswer } from './pricing/delivery.js';
export {
  customerDataRevisions,
  loadPricingContext,
  type PricingContext,
  type PricingContextRequest,
} from './pricing/pricing-context.js';
export { fingerprint } from './pricing/fingerprint.js';
export {
  placeOrder,
  placeStoreSale,
  PlaceOrderInputSchema,
  StoreSaleOrderInputSchema,
  type PlaceOrderInput,
  type StoreSaleOrderInput,
  type PlacedOrder,
} from './checkout/place-order.js';
export { seedDemoJourney, type JourneySeedSummary } from './seed/demo-journey.js';
export { journeyNotifier, journeyChangesChannel, type JourneyChange } from './notify.js';
export {
  journeyReadModelSections,
  PROMOTIONS_SECTION,
  LOYALTY_PROGRAM_SECTION,
} from './pricing/read-model-sections.js';
// What her data was read or used for (transparency).
export {
  recordDataUse,
  listDataUse,
  pruneDataUse,
  DataUsePurposeSchema,
  type DataUsePurpose,
  type DataUseEntry,
  type DataUseView,
} from './customers/data-use.js';
// The customer's timeline: what channels report and what the hub's events add.
export {
  INTERACTION_KINDS,
  InteractionKindSchema,
  REPORTED_KINDS,
  CHANNELS_FOR_KIND,
  MAX_NOTE_LENGTH,
  InteractionInputSchema,
  type InteractionInput,
} from './timeline/interaction.schema.js';
export {
  recordInteraction,
  checkInteraction,
  INTERACTIONS_PER_CUSTOMER_PER_MINUTE,
  RECORD_INTERACTION_SCOPE,
  type RecordInteractionOptions,
} from './timeline/record-interaction.js';
export {
  listTimeline,
  pruneTimeline,
  MAX_TIMELINE_PAGE,
  type InteractionView,
  type TimelinePage,
} from './timeline/timeline-reads.js';
export { timelineConsumer, TIMELINE_CONSUMER, TIMELINE_EVENT_TYPES } from './timeline/consumer.js';
// Computed segments (RFM and rules) and next best offers.
export { customerSegments, computedSegmentIds, type SegmentMembershipView } from './segments/memberships.js';
export {
  recomputeSegments,
  recomputeAllSegments,
  computeSegmentsIn,
  loadSegmentComputation,
  membershipsFor,
  type SegmentComputation,
} from './segments/compute.js';
export { segmentsConsumer, SEGMENTS_CONSUMER } from './segments/consumer.js';
export {
  runNightlySegments,
  startSegmentSchedule,
  SegmentScheduleOptionsSchema,
  type SegmentScheduleOptions,
} from './segments/schedule.js';
export { segmentRoutes } from './segments/routes.js';
export {
  ensureRfmSegments,
  listSegments,
  getSegment,
  putSegment,
  SegmentBodySchema,
  SegmentIdSchema,
  type SegmentBody,
  type SegmentView,
} from './segments/definitions.js';
export {
  RFM_SEGMENTS,
  DEFAULT_RFM_THRESHOLDS,
  RfmDefinitionSchema,
  RfmThresholdsSchema,
  rfmScores,
  type RfmDefinition,
  type RfmThresholds,
  type RfmScores,
} from './segments/rfm.js';
export { SegmentRuleSchema, evaluateRule, type SegmentRule } from './segments/rules.js';
export {
  nextBestOffers,
  CANDIDATES_PER_PROMOTION,
  MAX_CANDIDATES,
  POINTS_REDEMPTION,
  type NextBestOfferView,
  type NextBestOfferKind,
  type NextBestOffersRequest,
} from './next-best-offer/next-best-offers.js';
// Profile history, contact preferences, merge and its undoing.
export { profileHistory, type ProfileChangeView, type ChangeChannel } from './customers/profile-history.js';
export {
  ContactPreferencesInputSchema,
  ContactChannelSchema,
  ContactTopicSchema,
  CONTACT_CHANNELS,
  CONTACT_TOPICS,
  TOPIC_CONSENTS,
  getContactPreferences,
  setContactPreferences,
  mayContact,
  type ContactPreferencesInput,
  type ContactPreferencesView,
  type ContactChannelPreferenceView,
} from './customers/preferences.js';
export { unmergeCustomers, getMerge, type MergeView } from './customers/unmerge.js';
export { MergeJournalSchema, type MergeJournal } from './customers/merge-journal.js';
export * from './quality/index.js';
// The figures staff steer by: loyalty members served, and the admin route that answers every figure.
export { loyaltyMembersServed } from './kpis/members-served.js';
export { kpiRoutes, kpiWindow, MAX_KPI_WINDOW_DAYS } from './kpis/routes.js';
export {
  checkReadModelConsistency,
  readModelDifferences,
  READ_MODEL_CHECK_EVERY_MS,
} from './kpis/read-model-check.js';
export { previewCart, PreviewBodySchema, type PreviewBody, type PreviewView } from './promotions/preview.js';
