import { gql, rest } from '../../api/client';
import type { Money } from '../../ui/format';

/**
 * What the channel mirror reads from the hub: the channel mirror (GraphQL `channelMirror`, and
 * `channelMirrorChanged` live), products and locations (admin REST reference data) and customers (admin
 * REST, `customers` area).
 */

/** The four channels the mirror shows, in pane order. */
export const MIRROR_CHANNELS = ['WEB', 'APP', 'STORE', 'CALL_CENTER'] as const;

/** One location's stock as a channel answers it. */
export interface MirrorStock {
  location: { id: string; name: string; kind?: string } | null;
  available: number;
  status: 'IN_STOCK' | 'LOW_STOCK' | 'OUT_OF_STOCK';
}

/** An offer as one channel answers it (GraphQL `Offer`). */
export interface MirrorOffer {
  sku: string;
  product: { name: string };
  price: {
    base: Money;
    final: Money;
    savings: Money;
    adjustments: Array<{ source: string; id: string; label: string; amount: Money; reason: string }>;
  };
  availability: { online: MirrorStock; atLocation: MirrorStock | null; locations: MirrorStock[] };
  delivery: Array<{
    method: 'DELIVERY' | 'PICKUP';
    from: { id: string; name: string };
    orderBefore: string;
    deliverBy: string | null;
    readyBy: string | null;
    reason: string;
  }>;
  revision: string;
  fingerprint: string;
}

/** A customer's loyalty status as one channel answers it. */
export interface MirrorLoyalty {
  tier: string;
  points: number;
  nextTier: string | null;
  pointsToNextTier: number | null;
  benefits: string[];
  revision: string;
}

/** One channel's pane: its answer, or why it has none (`error`). */
export interface MirrorPane {
  channel: string;
  offer: MirrorOffer | null;
  loyalty: MirrorLoyalty | null;
  /** Decimal string of the revision the channel answered at. */
  revision: string;
  fingerprint: string;
  error: string | null;
}

/** What every channel answers for one selection, and whether the answers are the same. */
export interface ChannelMirror {
  panes: MirrorPane[];
  identical: boolean;
  revision: string;
}

/** The selection the mirror shows (also the page's URL query). */
export interface MirrorSelection {
  sku: string;
  customerId?: string;
  locationId?: string;
  postcode?: string;
  countryCode?: string;
}

const STOCK = 'location { id name kind } available status';
const MIRROR_FIELDS = `
  identical
  revision
  panes {
    channel
    revision
    fingerprint
    error
    offer {
      sku
      product { name }
      price {
        base { amount currency }
        final { amount currency }
        savings { amount currency }
        adjustments { source id label reason amount { amount currency } }
      }
      availability { online { ${STOCK} } atLocation { ${STOCK} } locations { ${STOCK} } }
      delivery { method from { id name } orderBefore deliverBy readyBy reason }
      revision
      fingerprint
    }
    loyalty { tier points nextTier pointsToNextTier benefits revision }
  }`;
const ARGS = '$sku: ID!, $customerId: ID, $locationId: ID, $postcode: String, $countryCode: String';
const PASS =
  'sku: $sku, customerId: $customerId, locationId: $locationId, ' +
  'postcode: $postcode, countryCode: $countryCode';

/** `query Mirror`: every channel's answer now. */
export const MIRROR_QUERY = `query Mirror(${ARGS}) { channelMirror(${PASS}) { ${MIRROR_FIELDS} } }`;
/** `subscription MirrorLive`: every channel's answer each time one changes. */
export const MIRROR_SUBSCRIPTION =
  `subscription MirrorLive(${ARGS}) ` + `{ channelMirrorChanged(${PASS}) { ${MIRROR_FIELDS} } }`;

/** The selection as GraphQL variables (absent fields left out). */
export function mirrorVariables(s: MirrorSelection): Record<string, unknown> {
  const vars: Record<string, unknown> = { sku: s.sku };
  if (s.customerId) vars.customerId = s.customerId;
  if (s.locationId) vars.locationId = s.locationId;
  if (s.postcode) {
    vars.postcode = s.postcode;
    vars.countryCode = s.countryCode ?? 'NL';
  } else if (s.countryCode) vars.countryCode = s.countryCode;
  return vars;
}

/** Reads the channel mirror once. @throws ApiError */
export async function fetchMirror(s: MirrorSelection): Promise<ChannelMirror> {
  const data = await gql<{ channelMirror: ChannelMirror }>(MIRROR_QUERY, mirrorVariables(s));
  return data.channelMirror;
}

/** A product as the admin REST lists it. */
export interface ProductSummary {
  sku: string;
  name: string;
  category: string;
  status: string;
}

/** Products whose SKU or name matches `search` (the first 50), or the first 50 without a search. */
export async function searchProducts(search: string): Promise<ProductSummary[]> {
  const q = new URLSearchParams({ limit: '50' });
  if (search.trim()) q.set('search', search.trim());
  const data = await rest<{ products: ProductSummary[] }>('GET', `/products?${q.toString()}`);
  return data.products;
}

/** A location as the admin REST lists it. */
export interface LocationSummary {
  id: string;
  name: string;
  kind: 'WAREHOUSE' | 'STORE';
  fulfilsOnline: boolean;
}

/** Every location. */
export async function fetchLocations(): Promise<LocationSummary[]> {
  return (await rest<{ locations: LocationSummary[] }>('GET', '/locations')).locations;
}

/** A customer the staff search found: id and name only. */
export interface CustomerHit {
  id: string;
  displayName: string | null;
  matchedBy: string;
}

/** Customers matching what staff typed (e-mail, phone, card, name). Needs the `customers` area. */
export async function searchCustomers(query: string): Promise<CustomerHit[]> {
  const q = new URLSearchParams({ query: query.trim() });
  return (await rest<{ customers: CustomerHit[] }>('GET', `/customers?${q.toString()}`)).customers;
}

/** The first 12 characters of a fingerprint, for display (the full one goes in a title). */
export function shortFingerprint(fp: string): string {
  return fp.length > 12 ? fp.slice(0, 12) + '…' : fp;
}

/** Whether a GraphQL revision (decimal string) is at least a REST revision (integer). */
export function revisionAtLeast(revision: string, min: number): boolean {
  try {
    return BigInt(revision) >= BigInt(min);
  } catch {
    return false;
  }
}
