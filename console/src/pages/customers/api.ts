import { gql, rest } from '../../api/client';
import type { Money } from '../../ui/format';

/**
 * What the customers page asks of the hub: the staff search (admin REST, audited) and the customer's things
 * (public GraphQL `customer(id)`, each tab its own operation so one refusal does not hide the rest).
 */

/** One profile a staff search found: id and display name only, and how it matched. */
export interface SearchHit {
  id: string;
  displayName: string | null;
  matchedBy: 'EMAIL' | 'PHONE' | 'LOYALTY_CARD' | 'APP_ACCOUNT' | 'NAME';
}

/**
 * `GET /admin/v1/customers?query=` — what a search box sends: an e-mail, phone, card, app account or part
 * of a name (at least 2 characters), identifier matches first.
 * @throws ApiError (BAD_INPUT for a query the hub refuses, FORBIDDEN without the customers area).
 */
export async function searchCustomers(query: string, limit = 20): Promise<SearchHit[]> {
  const params = new URLSearchParams({ query, limit: String(limit) });
  return (await rest<{ customers: SearchHit[] }>('GET', `/customers?${params.toString()}`)).customers;
}

export const CONSENT_PURPOSES = ['EMAIL_MARKETING', 'PERSONALISATION', 'PROFILING'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];
export const CONTACT_CHANNELS = ['EMAIL', 'SMS', 'PUSH', 'POST'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];
export const CONTACT_TOPICS = ['NEWSLETTER', 'PERSONAL_OFFERS', 'SERVICE', 'LOYALTY'] as const;
export type ContactTopic = (typeof CONTACT_TOPICS)[number];
export const INTERACTION_KINDS = [
  'PRODUCT_VIEWED',
  'CART_UPDATED',
  'WISHLIST_ADDED',
  'STORE_VISIT',
  'SERVICE_CONTACT',
  'RESERVATION',
  'ORDER_PLACED',
  'STORE_SALE',
  'FULFILMENT',
  'RETURN',
  'POINTS',
  'TIER',
  'CONSENT',
  'PROFILE_CHANGED',
  'NOTE',
] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];
export type IdentifierKind = 'EMAIL' | 'PHONE' | 'LOYALTY_CARD' | 'APP_ACCOUNT';

/** The customer's profile as the overview shows it. */
export interface CustomerProfile {
  id: string;
  displayName: string | null;
  revision: number;
  loyalty: {
    tier: string;
    points: number;
    nextTier: string | null;
    pointsToNextTier: number | null;
    benefits: string[];
  } | null;
  consents: Array<{
    purpose: ConsentPurpose;
    granted: boolean;
    changedAt: string;
    channel: string;
    source: string | null;
    expiresAt: string | null;
  }>;
  identifiers: Array<{ kind: IdentifierKind; value: string; channel: string; addedAt: string }>;
  /** Values are JSON text (`"\"1990-04-01\""`, `"[\"vip\"]"`). */
  attributes: Array<{ name: string; value: string; channel: string | null; changedAt: string | null }>;
  preferences: {
    channels: Array<{ channel: ContactChannel; topics: ContactTopic[]; maxPerWeek: number | null }>;
    updatedAt: string | null;
  };
  segments: Array<{ segment: string; name: string; since: string; reason: string; computedAt: string }>;
}

const PROFILE_FIELDS = `
  id displayName revision
  loyalty { tier points nextTier pointsToNextTier benefits }
  consents { purpose granted changedAt channel source expiresAt }
  identifiers { kind value channel addedAt }
  attributes { name value channel changedAt }
  preferences { channels { channel topics maxPerWeek } updatedAt }
  segments { segment name since reason computedAt }`;

/** Her profile, or null for an unknown or erased one. */
export async function customerProfile(id: string): Promise<CustomerProfile | null> {
  return (
    await gql<{ customer: CustomerProfile | null }>(
      `query ConsoleCustomer($id: ID!) { customer(id: $id) { ${PROFILE_FIELDS} } }`,
      { id },
    )
  ).customer;
}

/** A page of a connection: its items and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** One thing she did or asked for, across channels. */
export interface Interaction {
  id: string;
  kind: InteractionKind;
  channel: string;
  at: string;
  location: { id: string; name: string } | null;
  sku: string | null;
  orderId: string | null;
  summary: string;
  note: string | null;
}

/** A page of her timeline, newest first, of `kinds` only when given. */
export async function timelinePage(
  id: string,
  after: string | null,
  kinds: InteractionKind[],
  first = 20,
): Promise<Page<Interaction>> {
  const data = await gql<{
    customer: {
      timeline: { nodes: Interaction[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    } | null;
  }>(
    `query ConsoleTimeline($id: ID!, $first: Int!, $after: String, $kinds: [InteractionKind!]) {
      customer(id: $id) { timeline(first: $first, after: $after, kinds: $kinds) {
        nodes { id kind channel at location { id name } sku orderId summary note }
        pageInfo { hasNextPage endCursor } } } }`,
    { id, first, after, kinds: kinds.length > 0 ? kinds : null },
  );
  const t = data.customer?.timeline;
  return { items: t?.nodes ?? [], next: t?.pageInfo.hasNextPage ? t.pageInfo.endCursor : null };
}

/** One of her orders as the list shows it. */
export interface OrderSummary {
  id: string;
  kind: 'ONLINE' | 'STORE';
  status: 'OPEN' | 'PARTIALLY_FULFILLED' | 'FULFILLED' | 'CANCELLED';
  channel: string;
  total: Money;
  placedAt: string;
}

/** A page of her orders, newest first. */
export async function ordersPage(id: string, after: string | null, first = 20): Promise<Page<OrderSummary>> {
  const data = await gql<{
    customer: {
      orders: {
        edges: Array<{ node: OrderSummary }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } | null;
  }>(
    `query ConsoleCustomerOrders($id: ID!, $first: Int!, $after: String) {
      customer(id: $id) { orders(first: $first, after: $after) {
        edges { node { id kind status channel total { amount currency } placedAt } }
        pageInfo { hasNextPage endCursor } } } }`,
    { id, first, after },
  );
  const o = data.customer?.orders;
  return {
    items: o?.edges.map((e) => e.node) ?? [],
    next: o?.pageInfo.hasNextPage ? o.pageInfo.endCursor : null,
  };
}

/** Something to offer her next, and why. */
export interface NextBestOffer {
  kind: 'PROMOTION' | 'PERSONAL_OFFER' | 'REDEEM_POINTS' | 'TIER_PROGRESS';
  id: string;
  label: string;
  reason: string;
  saving: Money | null;
  sku: string | null;
  fingerprint: string;
}

/** What to offer her next, at `locationId` when given. */
export async function nextBestOffers(id: string, locationId: string | null): Promise<NextBestOffer[]> {
  const data = await gql<{ customer: { nextBestOffers: NextBestOffer[] } | null }>(
    `query ConsoleNextBestOffers($id: ID!, $locationId: ID) {
      customer(id: $id) { nextBestOffers(locationId: $locationId, first: 10) {
        kind id label reason saving { amount currency } sku fingerprint } } }`,
    { id, locationId },
  );
  return data.customer?.nextBestOffers ?? [];
}

/** One use of her data: who, when, through which channel, for what. */
export interface DataUse {
  at: string;
  actor: string;
  channel: string;
  purpose: string;
  what: string;
}

/** A page of her data use, newest first. */
export async function dataUsePage(id: string, after: string | null, first = 25): Promise<Page<DataUse>> {
  const data = await gql<{
    customer: {
      dataUse: {
        edges: Array<{ node: DataUse }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } | null;
  }>(
    `query ConsoleDataUse($id: ID!, $first: Int!, $after: String) {
      customer(id: $id) { dataUse(first: $first, after: $after) {
        edges { node { at actor channel purpose what } }
        pageInfo { hasNextPage endCursor } } } }`,
    { id, first, after },
  );
  const d = data.customer?.dataUse;
  return {
    items: d?.edges.map((e) => e.node) ?? [],
    next: d?.pageInfo.hasNextPage ? d.pageInfo.endCursor : null,
  };
}

/** One correction of her profile. */
export interface ProfileChange {
  at: string;
  field: string;
  oldValue: string | null;
  newValue: string | null;
  channel: string;
  actor: string;
}

/** The newest 100 corrections of her profile. */
export async function profileHistory(id: string): Promise<ProfileChange[]> {
  const data = await gql<{ customer: { history: ProfileChange[] } | null }>(
    `query ConsoleProfileHistory($id: ID!) {
      customer(id: $id) { history(first: 100) { at field oldValue newValue channel actor } } }`,
    { id },
  );
  return data.customer?.history ?? [];
}

/** The hub's locations (stores and warehouses), for pickers. */
export async function locations(): Promise<Array<{ id: string; name: string; kind: string }>> {
  return (
    await gql<{ locations: Array<{ id: string; name: string; kind: string }> }>(
      'query ConsoleLocations { locations { id name kind } }',
    )
  ).locations;
}

/** A cart line to quote. */
export interface CartLine {
  sku: string;
  quantity: number;
}

/** A cart priced as she would see it. */
export interface Quote {
  lines: Array<{
    sku: string;
    quantity: number;
    base: Money;
    final: Money;
    savings: Money;
    adjustments: Array<{ id: string; label: string; amount: Money; reason: string }>;
  }>;
  subtotal: Money;
  discountTotal: Money;
  total: Money;
  vatTotal: Money;
  loyalty: { pointsEarned: number; tierAfter: string | null } | null;
  rejectedCoupons: Array<{ code: string; reason: string }>;
  fingerprint: string;
}

/**
 * Prices a cart for her (GraphQL `quote`): changes nothing.
 * @throws ApiError BAD_USER_INPUT naming the line.
 */
export async function quoteFor(customerId: string, lines: CartLine[], couponCodes: string[]): Promise<Quote> {
  const m = '{ amount currency }';
  return (
    await gql<{ quote: Quote }>(
      `query ConsoleQuote($input: QuoteInput!) { quote(input: $input) {
        lines { sku quantity base ${m} final ${m} savings ${m} adjustments { id label amount ${m} reason } }
        subtotal ${m} discountTotal ${m} total ${m} vatTotal ${m}
        loyalty { pointsEarned tierAfter } rejectedCoupons { code reason } fingerprint } }`,
      { input: { customerId, lines, couponCodes } },
    )
  ).quote;
}

/** The attributes a correction may set; null removes one, left out stays. */
export interface ProfileAttributesInput {
  birthday?: string | null;
  homeStore?: string | null;
  segments?: string[] | null;
  preferredLanguage?: string | null;
}

/** Corrects her display name and attributes. @throws ApiError BAD_USER_INPUT (issues `body.<field>`). */
export async function updateProfile(
  customerId: string,
  input: { displayName?: string | null; attributes?: ProfileAttributesInput },
): Promise<void> {
  await gql(
    `mutation ConsoleUpdateProfile($customerId: ID!, $input: ProfileInput!) {
      updateProfile(customerId: $customerId, input: $input) { id revision } }`,
    { customerId, input },
  );
}

/** Unlinks one of her identifiers. @throws ApiError NOT_FOUND when it is not hers. */
export async function unlinkIdentifier(
  customerId: string,
  kind: IdentifierKind,
  value: string,
): Promise<void> {
  await gql(
    `mutation ConsoleUnlink($customerId: ID!, $kind: IdentifierKind!, $value: String!) {
      unlinkIdentifier(customerId: $customerId, kind: $kind, value: $value) { id revision } }`,
    { customerId, kind, value },
  );
}

/** Grants or withdraws a consent, with where it was given and when it lapses. */
export async function setConsent(
  customerId: string,
  input: { purpose: ConsentPurpose; granted: boolean; source: string | null; expiresAt: string | null },
): Promise<void> {
  await gql(
    `mutation ConsoleSetConsent($customerId: ID!, $purpose: ConsentPurpose!, $granted: Boolean!,
        $source: String, $expiresAt: DateTime) {
      setConsent(customerId: $customerId, purpose: $purpose, granted: $granted, source: $source,
        expiresAt: $expiresAt) { id revision } }`,
    { customerId, ...input },
  );
}

/** Sets her contact preferences for each channel named (others stay). */
export async function setPreferences(
  customerId: string,
  channels: Array<{ channel: ContactChannel; topics: ContactTopic[]; maxPerWeek: number | null }>,
): Promise<void> {
  await gql(
    `mutation ConsoleSetPreferences($customerId: ID!, $input: ContactPreferencesInput!) {
      setPreferences(customerId: $customerId, input: $input) { id revision } }`,
    { customerId, input: { channels } },
  );
}

/** Records a service contact or a note (idempotent per key: a retried click stays one entry). */
export async function recordInteraction(
  customerId: string,
  kind: 'SERVICE_CONTACT' | 'NOTE',
  note: string,
  idempotencyKey: string,
): Promise<void> {
  await gql(
    `mutation ConsoleRecordInteraction($input: InteractionInput!, $idempotencyKey: String!) {
      recordInteraction(input: $input, idempotencyKey: $idempotencyKey) { id } }`,
    { input: { customerId, kind, note }, idempotencyKey },
  );
}

/** Merges `mergedId` into `survivorId` → the merge's id (for undoing it). */
export async function mergeCustomers(
  survivorId: string,
  mergedId: string,
  idempotencyKey: string,
): Promise<string> {
  return (
    await gql<{ mergeCustomers: { mergeId: string } }>(
      `mutation ConsoleMerge($survivorId: ID!, $mergedId: ID!, $idempotencyKey: String!) {
        mergeCustomers(survivorId: $survivorId, mergedId: $mergedId, idempotencyKey: $idempotencyKey) {
          mergeId } }`,
      { survivorId, mergedId, idempotencyKey },
    )
  ).mergeCustomers.mergeId;
}

/** Undoes a merge (within 30 days): both profiles are restored. */
export async function unmergeCustomers(mergeId: string): Promise<void> {
  await gql(`mutation ConsoleUnmerge($mergeId: ID!) { unmergeCustomers(mergeId: $mergeId) { id } }`, {
    mergeId,
  });
}

/** How long a merge can be undone, in days. */
export const UNMERGE_DAYS = 30;

/**
 * The merges on her timeline that can still be undone: a PROFILE_CHANGED entry "Merged another profile into
 * this one (merge <id>)" of the last 30 days that no later "Undid the merge <id>" followed.
 */
export function undoableMerges(items: Interaction[], now: Date): Array<{ mergeId: string; at: string }> {
  const undone = new Set<string>();
  for (const i of items) {
    const m = /^Undid the merge (\S+)/.exec(i.summary);
    if (i.kind === 'PROFILE_CHANGED' && m?.[1]) undone.add(m[1]);
  }
  const out: Array<{ mergeId: string; at: string }> = [];
  for (const i of items) {
    const m = /^Merged another profile into this one \(merge (\S+)\)/.exec(i.summary);
    if (i.kind !== 'PROFILE_CHANGED' || !m?.[1] || undone.has(m[1])) continue;
    if (now.getTime() - new Date(i.at).getTime() > UNMERGE_DAYS * 86_400_000) continue;
    out.push({ mergeId: m[1], at: i.at });
  }
  return out;
}
