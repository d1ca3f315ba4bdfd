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
    setConsent(customerId: ID!, purpose: ConsentPurpose!, granted: Boolean!): Customer!
    issueCustomerToken(customerId: ID!): CustomerToken!
    exportCustomerData(customerId: ID!): String!
    eraseCustomer(customerId: ID!): ErasureReceipt!
    "Cancels what of the order has not left the building; its held units are released."
    cancelOrder(id: ID!, reason: String, idempotencyKey: String!): Order!
    "The pickup store's terminal hands the order over."
    markCollected(orderId: ID!, idempotencyKey: String!): Order!
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
  type Attribute {
    name: String!
    value: String!
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
    "Her orders, newest first."
    orders(first: Int = 20, after: String): OrderConnection!
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
