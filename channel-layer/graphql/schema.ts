import { buildSchema, printSchema } from 'graphql';

/** The channel API (see docs/API.md): queries, mutations and subscriptions every channel client calls. */
export const typeDefs = /* GraphQL */ `
  "Decimal string of a 64-bit revision."
  scalar Revision
  "ISO 8601, UTC."
  scalar DateTime

  type Money {
    amount: Int!
    currency: String!
    formatted: String!
  }

  type Query {
    "postcode and countryCode: where the offer is to be delivered (Offer.delivery)."
    offer(
      sku: ID!
      customerId: ID
      locationId: ID
      minRevision: Revision
      postcode: String
      countryCode: String
    ): Offer!
    offers(
      skus: [ID!]!
      customerId: ID
      locationId: ID
      minRevision: Revision
      postcode: String
      countryCode: String
    ): [Offer!]!
    product(sku: ID!): Product
    products(first: Int = 20, after: String, search: String): ProductConnection!
    quote(input: QuoteInput!): Quote!
    customer(id: ID!): Customer
    customerByIdentifier(kind: IdentifierKind!, value: String!): Customer
    locations: [Location!]!
    revision: Revision!
    "The order: to the customer herself, staff at its locations, the call center."
    order(id: ID!): Order
    "The console only: what WEB, APP, STORE (at locationId, else the first store) and CALL_CENTER answer."
    channelMirror(
      sku: ID!
      customerId: ID
      locationId: ID
      postcode: String
      countryCode: String
      minRevision: Revision
    ): ChannelMirror!
  }

  type Mutation {
    reserveStock(input: ReserveStockInput!, idempotencyKey: String!): Reservation!
    releaseReservation(id: ID!): Reservation!
    placeOrder(input: PlaceOrderInput!, idempotencyKey: String!): Order!
    recordStoreSale(input: StoreSaleInput!, idempotencyKey: String!): Order!
    returnItems(input: ReturnInput!, idempotencyKey: String!): Return!
    enrollCustomer(input: EnrollInput!, idempotencyKey: String!): Customer!
    linkIdentifier(customerId: ID!, kind: IdentifierKind!, value: String!): Customer!
    redeemPoints(customerId: ID!, points: Int!, idempotencyKey: String!): LoyaltyStatus!
    "source: where it was given (a form, a till, a call; 1–200 characters); expiresAt: when it lapses."
    setConsent(
      customerId: ID!
      purpose: ConsentPurpose!
      granted: Boolean!
      source: String
      expiresAt: DateTime
    ): Customer!
    issueCustomerToken(customerId: ID!): CustomerToken!
    exportCustomerData(customerId: ID!): String!
    eraseCustomer(customerId: ID!): ErasureReceipt!
    "Cancels what of the order has not left the building; its held units are released."
    cancelOrder(id: ID!, reason: String, idempotencyKey: String!): Order!
    "The pickup store's terminal hands the order over."
    markCollected(orderId: ID!, idempotencyKey: String!): Order!
    "Something she did or asked for, reported by a channel (WEB/APP: only for its signed-in customer)."
    recordInteraction(input: InteractionInput!, idempotencyKey: String!): Interaction!
    "Corrects her display name and attributes (null removes one); each change lands in Customer.history."
    updateProfile(customerId: ID!, input: ProfileInput!): Customer!
    unlinkIdentifier(customerId: ID!, kind: IdentifierKind!, value: String!): Customer!
    "Sets her contact preferences for each contact channel named (topics, how often at most); others stay."
    setPreferences(customerId: ID!, input: ContactPreferencesInput!): Customer!
    "Call center and console: two profiles are one person; everything moves to the survivor."
    mergeCustomers(survivorId: ID!, mergedId: ID!, idempotencyKey: String!): MergeReceipt!
    "Call center and console: undoes a merge within 30 days; answers the survivor and the restored profile."
    unmergeCustomers(mergeId: ID!): [Customer!]!
  }
  type ErasureReceipt {
    erasureId: ID!
    erasedAt: DateTime!
    revision: Revision!
  }
  type CustomerToken {
    token: String!
    expiresAt: DateTime!
  }

  input ReserveStockInput {
    lines: [ReserveLineInput!]!
    ttlSeconds: Int
    customerId: ID
  }
  input ReserveLineInput {
    sku: ID!
    quantity: Int!
    locationId: ID!
  }
  type Reservation {
    id: ID!
    status: ReservationStatus!
    lines: [ReservationLine!]!
    expiresAt: DateTime!
    revision: Revision!
  }
  type ReservationLine {
    sku: ID!
    locationId: ID!
    quantity: Int!
  }
  enum ReservationStatus {
    ACTIVE
    COMMITTED
    RELEASED
    EXPIRED
  }
  "Give a reservationId, or a locationId to reserve at, or neither: the hub sources the order for fulfilment."
  input PlaceOrderInput {
    reservationId: ID
    lines: [QuoteLineInput!]!
    customerId: ID
    couponCodes: [String!]
    locationId: ID
    fulfilment: FulfilmentInput
  }
  "How the customer receives an order: delivered to a postcode, or collected at a store (click & collect)."
  input FulfilmentInput {
    method: FulfilmentMethod!
    pickupLocationId: ID
    postcode: String
    countryCode: String
  }
  input StoreSaleInput {
    lines: [QuoteLineInput!]!
    customerId: ID
    couponCodes: [String!]
  }
  input ReturnInput {
    orderId: ID!
    locationId: ID
    lines: [ReturnLineInput!]!
  }
  input ReturnLineInput {
    sku: ID!
    quantity: Int!
    sellable: Boolean!
  }
  type Return {
    id: ID!
    refund: Money!
    revision: Revision!
  }
  input EnrollInput {
    displayName: String
    email: String
    phone: String
    loyaltyCard: String
    consents: [ConsentPurpose!]
  }
  type Order {
    id: ID!
    kind: OrderKind!
    status: OrderStatus!
    channel: String!
    lines: [QuoteLine!]!
    total: Money!
    pointsEarned: Int!
    fulfilments: [Fulfilment!]!
    "What checkout promised."
    promised: [DeliveryPromise!]!
    "Every transition: at, status, actor, channel, reason."
    history: [OrderEvent!]!
    placedAt: DateTime!
    revision: Revision!
    fingerprint: String!
  }
  enum OrderKind {
    ONLINE
    STORE
  }
  enum OrderStatus {
    OPEN
    PARTIALLY_FULFILLED
    FULFILLED
    CANCELLED
  }
  type Fulfilment {
    id: ID!
    method: FulfilmentMethod!
    "Where the customer gets it: the pickup store of a pickup, else the location it ships from."
    location: Location!
    "Where its units are held and picked (a warehouse, for a pickup transferred to a store)."
    stockLocation: Location!
    status: FulfilmentStatus!
    lines: [FulfilmentLine!]!
    trackingCode: String
    readyBy: DateTime
    deliverBy: DateTime
    "PICKUP, once ready: when an uncollected pickup goes back to stock (the store's holding period)."
    holdUntil: DateTime
  }
  enum FulfilmentStatus {
    PENDING
    PICKING
    PACKED
    SHIPPED
    DELIVERED
    READY_FOR_PICKUP
    COLLECTED
    UNCOLLECTED
    CANCELLED
  }
  type FulfilmentLine {
    sku: ID!
    quantity: Int!
  }
  type OrderEvent {
    at: DateTime!
    status: String!
    actor: String!
    channel: String!
    reason: String
  }
  type OrderConnection {
    edges: [OrderEdge!]!
    pageInfo: PageInfo!
  }
  type OrderEdge {
    node: Order!
    cursor: String!
  }

  type Subscription {
    offerChanged(sku: ID!, customerId: ID, locationId: ID, postcode: String, countryCode: String): Offer!
    loyaltyChanged(customerId: ID!): LoyaltyStatus!
    orderChanged(id: ID!): Order!
    "The console only: channelMirror, pushed whenever the SKU's offer or her loyalty changes."
    channelMirrorChanged(
      sku: ID!
      customerId: ID
      locationId: ID
      postcode: String
      countryCode: String
    ): ChannelMirror!
  }

  "What every selling channel answers the same offer question; identical: every pane has one fingerprint."
  type ChannelMirror {
    panes: [MirrorPane!]!
    identical: Boolean!
    "The newest revision among the panes."
    revision: Revision!
  }
  "One channel's answer, produced as a real client of it asks offer; error (offer null) when it was refused."
  type MirrorPane {
    channel: String!
    offer: Offer
    "Her loyalty status, when a customer is asked about."
    loyalty: LoyaltyStatus
    revision: Revision!
    fingerprint: String!
    error: String
  }

  type Offer {
    sku: ID!
    product: Product!
    price: PriceBreakdown!
    availability: Availability!
    "One unit's promise: DELIVERY to postcode/countryCode; PICKUP at the named store or stores with it."
    delivery: [DeliveryPromise!]!
    revision: Revision!
    fingerprint: String!
  }
  "How an order reaches the customer: delivered to an address, or collected at a store (click & collect)."
  enum FulfilmentMethod {
    DELIVERY
    PICKUP
  }
  "A delivery or pickup promise, and until when it holds."
  type DeliveryPromise {
    method: FulfilmentMethod!
    "The shipping location (DELIVERY) or the pickup store (PICKUP)."
    from: Location!
    "The cut-off this promise holds until: an order at or after it gets the next promise."
    orderBefore: DateTime!
    "DELIVERY: the end of the delivery day."
    deliverBy: DateTime
    "PICKUP: when the order is ready at the store."
    readyBy: DateTime
    "The promise in words, for a till or an agent."
    reason: String!
  }
  type PriceBreakdown {
    base: Money!
    final: Money!
    savings: Money!
    adjustments: [Adjustment!]!
  }
  type Adjustment {
    source: AdjustmentSource!
    id: ID!
    label: String!
    amount: Money!
    reason: String!
  }
  enum AdjustmentSource {
    PROMOTION
    COUPON
    LOYALTY
  }
  type Availability {
    online: StockLevel!
    atLocation: StockLevel
    locations: [StockLevel!]!
  }
  type StockLevel {
    location: Location
    available: Int!
    status: StockStatus!
  }
  enum StockStatus {
    IN_STOCK
    LOW_STOCK
    OUT_OF_STOCK
  }
  type Location {
    id: ID!
    name: String!
    kind: LocationKind!
    fulfilsOnline: Boolean!
  }
  enum LocationKind {
    WAREHOUSE
    STORE
  }

  type Product {
    sku: ID!
    name: String!
    category: String!
    vatRate: Float!
    attributes: [Attribute!]!
    status: String!
  }
  "A product's attribute (text), or a customer's (value as JSON text, with where and when it was set)."
  type Attribute {
    name: String!
    value: String!
    "A customer's attribute: the channel it came from; null for a product's."
    channel: String
    "A customer's attribute: when it was set; null for a product's."
    changedAt: DateTime
  }
  type ProductConnection {
    edges: [ProductEdge!]!
    pageInfo: PageInfo!
  }
  type ProductEdge {
    node: Product!
    cursor: String!
  }
  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  input QuoteInput {
    lines: [QuoteLineInput!]!
    customerId: ID
    couponCodes: [String!]
    minRevision: Revision
    fulfilment: FulfilmentInput
  }
  input QuoteLineInput {
    sku: ID!
    quantity: Int!
  }
  type Quote {
    lines: [QuoteLine!]!
    subtotal: Money!
    discountTotal: Money!
    total: Money!
    vatTotal: Money!
    loyalty: LoyaltyPreview
    rejectedCoupons: [RejectedCoupon!]!
    "What is promised for QuoteInput.fulfilment: one promise per shipment, or the pickup; empty without it."
    delivery: [DeliveryPromise!]!
    revision: Revision!
    fingerprint: String!
  }
  type QuoteLine {
    sku: ID!
    quantity: Int!
    base: Money!
    final: Money!
    savings: Money!
    vat: Money!
    adjustments: [Adjustment!]!
  }
  type LoyaltyPreview {
    pointsEarned: Int!
    tierAfter: String
  }
  type RejectedCoupon {
    code: String!
    reason: String!
  }

  type Customer {
    id: ID!
    displayName: String
    loyalty: LoyaltyStatus
    consents: [Consent!]!
    """
    The revision her profile was last written at (a correction, consent, preference, merge): what a client
    passes as minRevision to read her offers after its own change.
    """
    revision: Revision!
    "Her orders, newest first."
    orders(first: Int = 20, after: String): OrderConnection!
    identifiers: [Identifier!]!
    "Her profile facts promotions use (birthday, homeStore, segments, preferredLanguage)."
    attributes: [Attribute!]!
    preferences: ContactPreferences!
    "Segments she is in and why; empty without the PROFILING consent."
    segments: [SegmentMembership!]!
    "What she did across channels, newest first (first: 1–200)."
    timeline(first: Int = 50, after: String, kinds: [InteractionKind!]): InteractionConnection!
    "What to offer her next (first: 1–20); a store terminal's default location is its store."
    nextBestOffers(locationId: ID, first: Int = 5, minRevision: Revision): [NextBestOffer!]!
    "Who read or used her data, when, through which channel, for what; newest first (first: 1–200)."
    dataUse(first: Int = 50, after: String): DataUseConnection!
    "Corrections of her profile, the newest first (first: 1–500): field, old and new value, channel, actor."
    history(first: Int = 100): [ProfileChange!]!
  }
  type Identifier {
    kind: IdentifierKind!
    value: String!
    channel: String!
    addedAt: DateTime!
  }
  type Interaction {
    id: ID!
    kind: InteractionKind!
    channel: String!
    at: DateTime!
    location: Location
    sku: ID
    orderId: ID
    summary: String!
    "Staff's note with it: shown to staff channels only (null for WEB and APP)."
    note: String
    revision: Revision!
  }
  enum InteractionKind {
    PRODUCT_VIEWED
    CART_UPDATED
    WISHLIST_ADDED
    STORE_VISIT
    SERVICE_CONTACT
    RESERVATION
    ORDER_PLACED
    STORE_SALE
    FULFILMENT
    RETURN
    POINTS
    TIER
    CONSENT
    PROFILE_CHANGED
    NOTE
  }
  "A page of her timeline; revision: her newest interaction's (0 when none)."
  type InteractionConnection {
    nodes: [Interaction!]!
    pageInfo: PageInfo!
    revision: Revision!
  }
  input InteractionInput {
    customerId: ID!
    kind: InteractionKind!
    sku: ID
    locationId: ID
    note: String
  }
  type ContactPreferences {
    channels: [ContactChannelPreference!]!
    updatedAt: DateTime
  }
  type ContactChannelPreference {
    channel: ContactChannel!
    topics: [ContactTopic!]!
    maxPerWeek: Int
  }
  enum ContactChannel {
    EMAIL
    SMS
    PUSH
    POST
  }
  enum ContactTopic {
    NEWSLETTER
    PERSONAL_OFFERS
    SERVICE
    LOYALTY
  }
  input ContactPreferencesInput {
    channels: [ContactChannelPreferenceInput!]!
  }
  input ContactChannelPreferenceInput {
    channel: ContactChannel!
    topics: [ContactTopic!]!
    maxPerWeek: Int
  }
  type SegmentMembership {
    segment: ID!
    name: String!
    since: DateTime!
    reason: String!
    computedAt: DateTime!
  }
  type NextBestOffer {
    kind: NextBestOfferKind!
    id: ID!
    label: String!
    reason: String!
    saving: Money
    sku: ID
    revision: Revision!
    fingerprint: String!
  }
  enum NextBestOfferKind {
    PROMOTION
    PERSONAL_OFFER
    REDEEM_POINTS
    TIER_PROGRESS
  }
  type DataUse {
    at: DateTime!
    actor: String!
    channel: String!
    purpose: String!
    what: String!
  }
  type DataUseConnection {
    edges: [DataUseEdge!]!
    pageInfo: PageInfo!
  }
  type DataUseEdge {
    node: DataUse!
    cursor: String!
  }
  type ProfileChange {
    at: DateTime!
    field: String!
    oldValue: String
    newValue: String
    channel: String!
    actor: String!
  }
  "What updateProfile corrects: a field left out stays, null removes it."
  input ProfileInput {
    displayName: String
    attributes: ProfileAttributesInput
  }
  "Her profile facts; segments only through the call center and the console."
  input ProfileAttributesInput {
    "ISO date, e.g. 1990-04-01."
    birthday: String
    homeStore: ID
    segments: [String!]
    "A language tag such as nl or nl-NL."
    preferredLanguage: String
  }
  type MergeReceipt {
    mergeId: ID!
    survivor: Customer!
    revision: Revision!
  }
  type LoyaltyStatus {
    tier: String!
    points: Int!
    nextTier: String
    pointsToNextTier: Int
    benefits: [String!]!
    revision: Revision!
  }
  enum IdentifierKind {
    EMAIL
    PHONE
    LOYALTY_CARD
    APP_ACCOUNT
  }
  enum ConsentPurpose {
    EMAIL_MARKETING
    PERSONALISATION
    PROFILING
  }
  type Consent {
    purpose: ConsentPurpose!
    granted: Boolean!
    changedAt: DateTime!
    channel: String!
    "Where it was given (a form, a till, a call), when known."
    source: String
    "When it lapses (it is withdrawn then); null: until withdrawn."
    expiresAt: DateTime
  }
`;

/**
 * The schema as SDL, exactly as the server builds and serves it (`printSchema` of `typeDefs`), with a header
 * naming where it comes from. docs/schema.graphql holds it (`npm run schema`); a test keeps the two equal.
 */
export function channelSchemaSdl(): string {
  const header =
    '# The Omnihub channel API (POST /graphql, graphql-ws on ws://…/graphql), as the server serves it.\n' +
    '# Generated by `npm run schema` from channel-layer/graphql/schema.ts; ' +
    'a test keeps it equal. Do not edit by hand.\n';
  return `${header}\n${printSchema(buildSchema(typeDefs))}\n`;
}
