/**
 * The channel API's access policy: who may do what to whose customer, order, return, reservation or
 * subscription. Pure (no I/O, no clock): the resolvers load what a request touches, ask `authorize`, and
 * write only when it says yes (see require-access.ts). One table, `RULES`, one row an act; docs/API.md says
 * the same in words.
 */
import {
  grantsArea,
  locationOutside,
  reachesAnyLocation,
  type ConsoleArea,
  type ConsoleGrants,
} from '../../shared/index.js';
import type { Channel } from '../clients/clients.js';

/**
 * Who is calling: the channel client of the key, its store (terminals only), the customer of its customer
 * token.
 */
export interface Caller {
  clientId: string;
  channel: Channel;
  /** A store terminal's store; null for every other channel. */
  locationId: string | null;
  /** The customer of the request's X-Customer-Token (web and app clients); null without one. */
  customerId: string | null;
  /**
   * Whether the client signs customers in (its scope `customer-tokens`: the shop's sign-in back end, whose
   * key never leaves the server) and may therefore issue customer tokens. A key without it cannot, so one
   * shipped in an app or leaked acts for nobody.
   */
  signsCustomersIn: boolean;
  /**
   * A CONSOLE client's console grants (shared/console-scopes.ts) when it holds at least one `console:` scope
   * (an admin key: every area): it may then do only the acts of its areas (CONSOLE_AREA_OF), at its
   * locations. Absent or null: no console scopes, so the channel's rules alone decide (a CONSOLE key without
   * console scopes keeps the behaviour it had before console scopes existed).
   */
  console?: ConsoleGrants | null;
}

/**
 * What an act touches, as far as access is concerned.
 * - `customer`, `subscription`: the customer named (null: none, so nothing of anyone's is touched).
 * - `order`: an order being placed or a store sale being recorded, for `customerId` (null: nobody known), at
 *   `locationId` (the store of a sale, the location an online order reserves at; null when none is named).
 * - `return`: returned items of an order whose customer is `orderCustomerId` (null: an order of nobody
 *   known), accepted and restocked at `locationId`.
 * - `reservation`: held units at `locationIds`, made by the channel client `clientId` (null: through the
 *   admin API, or before owners were recorded) for `customerId` (null: for nobody in particular).
 * - `placed-order`: an order already placed, of `customerId` (null: nobody known), involving `locationIds`
 *   (where its units come from, its pickup stores, a store sale's store), placed by the channel client
 *   `placedBy` (null: the admin API, a till sale).
 */
export type Resource =
  | { kind: 'customer'; customerId: string | null }
  | { kind: 'subscription'; customerId: string | null }
  | { kind: 'order'; customerId: string | null; locationId: string | null }
  | { kind: 'return'; orderCustomerId: string | null; locationId: string }
  | {
      kind: 'reservation';
      clientId: string | null;
      customerId: string | null;
      locationIds: readonly string[];
    }
  | {
      kind: 'placed-order';
      customerId: string | null;
      locationIds: readonly string[];
      placedBy: string | null;
    };

/**
 * The policy's answer. Allowed acts of staff on a customer's things carry `audit`: the subject of the audit
 * row the caller must write before acting (as every staff read or act on a customer's data is on record). A
 * refusal carries the `reason` the client is told (as a FORBIDDEN error) and `details` for its extensions.
 */
export type Decision =
  | { allowed: true; audit?: { subject: string } }
  | { allowed: false; reason: string; details?: Record<string, unknown> };

/**
 * Every act the channel API asks about, with the kind of resource it touches. The act's name is its audit
 * action.
 */
const ACTS = {
  // A customer's profile, prices, loyalty and data.
  'customer.read': 'customer',
  'customer.lookup': 'customer',
  'customer.enroll': 'customer',
  'customer.token': 'customer',
  'customer.link-identifier': 'customer',
  'customer.consent': 'customer',
  'customer.export': 'customer',
  'customer.erase-request': 'customer',
  'loyalty.redeem': 'customer',
  'offer.for-customer': 'customer',
  'offers.for-customer': 'customer',
  'quote.for-customer': 'customer',
  // What every selling channel answers the same question (the staff console's channel mirror).
  mirror: 'customer',
  // Her journey: what she did across channels, her profile's corrections, how she wants to be contacted,
  // who used her data, what to offer her next; merging and unmerging her profiles.
  'customer.timeline': 'customer',
  'customer.history': 'customer',
  'customer.data-use': 'customer',
  'customer.segments': 'customer',
  'customer.next-best-offers': 'customer',
  'customer.record-interaction': 'customer',
  'customer.update-profile': 'customer',
  'customer.assign-segments': 'customer',
  'customer.unlink-identifier': 'customer',
  'customer.preferences': 'customer',
  'customer.merge': 'customer',
  'customer.unmerge': 'customer',
  // Live pushes about a customer.
  'subscription.offer': 'subscription',
  'subscription.loyalty': 'subscription',
  // Orders placed, sales recorded, returns accepted.
  'order.for-customer': 'order',
  'sale.for-customer': 'order',
  'order.return': 'return',
  // An order placed: looked up, followed live, cancelled, handed over at the pickup store.
  'order.read': 'placed-order',
  'subscription.order': 'placed-order',
  'order.cancel': 'placed-order',
  'order.collect': 'placed-order',
  // Held units.
  'reservation.for-customer': 'reservation',
  'reservation.release': 'reservation',
  'reservation.order': 'reservation',
} as const satisfies Record<string, Resource['kind']>;

/** An act the policy knows. */
export type Act = keyof typeof ACTS;
/** The resource an act touches. */
export type ResourceOf<A extends Act> = Extract<Resource, { kind: (typeof ACTS)[A] }>;

/** True when `name` is an act of the policy. */
export function isAct(name: string): name is Act {
  return Object.prototype.hasOwnProperty.call(ACTS, name);
}

/**
 * Whether an act changes her things (every mutation's act: `writes`) or only reads them (`reads`).
 * `customer.preferences` names both the read of her preferences (a field) and setting them (a mutation):
 * its natural effect is `writes`; a read of them is asked as `reads` (see authorize).
 */
export const ACT_EFFECT = {
  'customer.read': 'reads',
  'customer.lookup': 'reads',
  'customer.enroll': 'writes',
  'customer.token': 'writes',
  'customer.link-identifier': 'writes',
  'customer.consent': 'writes',
  'customer.export': 'writes',
  'customer.erase-request': 'writes',
  'loyalty.redeem': 'writes',
  'offer.for-customer': 'reads',
  'offers.for-customer': 'reads',
  'quote.for-customer': 'reads',
  mirror: 'reads',
  'customer.timeline': 'reads',
  'customer.history': 'reads',
  'customer.data-use': 'reads',
  'customer.segments': 'reads',
  'customer.next-best-offers': 'reads',
  'customer.record-interaction': 'writes',
  'customer.update-profile': 'writes',
  'customer.assign-segments': 'writes',
  'customer.unlink-identifier': 'writes',
  'customer.preferences': 'writes',
  'customer.merge': 'writes',
  'customer.unmerge': 'writes',
  'subscription.offer': 'reads',
  'subscription.loyalty': 'reads',
  'order.for-customer': 'writes',
  'sale.for-customer': 'writes',
  'order.return': 'writes',
  'order.read': 'reads',
  'subscription.order': 'reads',
  'order.cancel': 'writes',
  'order.collect': 'writes',
  'reservation.for-customer': 'writes',
  'reservation.release': 'writes',
  'reservation.order': 'writes',
} as const satisfies Record<Act, 'reads' | 'writes'>;

/**
 * The console area each act belongs to, for a CONSOLE caller with console scopes: it needs `console:<area>`
 * to read and `console:<area>:write` to act (the act's effect as asked). null: open to any console key —
 * pricing an offer, offers or a cart (the channel mirror, a promotion preview), with or without a customer,
 * and following offers.
 */
export const CONSOLE_AREA_OF = {
  'customer.read': 'customers',
  'customer.lookup': 'customers',
  'customer.enroll': 'customers',
  'customer.token': 'customers',
  'customer.link-identifier': 'customers',
  'customer.consent': 'customers',
  'customer.export': 'customers',
  'customer.erase-request': 'customers',
  'loyalty.redeem': 'customers',
  'offer.for-customer': null,
  'offers.for-customer': null,
  'quote.for-customer': null,
  mirror: 'mirror',
  'customer.timeline': 'customers',
  'customer.history': 'customers',
  'customer.data-use': 'customers',
  'customer.segments': 'customers',
  'customer.next-best-offers': 'customers',
  'customer.record-interaction': 'customers',
  'customer.update-profile': 'customers',
  'customer.assign-segments': 'customers',
  'customer.unlink-identifier': 'customers',
  'customer.preferences': 'customers',
  'customer.merge': 'customers',
  'customer.unmerge': 'customers',
  'subscription.offer': null,
  'subscription.loyalty': 'customers',
  'order.for-customer': 'orders',
  'sale.for-customer': 'orders',
  'order.return': 'orders',
  'order.read': 'orders',
  'subscription.order': 'orders',
  'order.cancel': 'orders',
  'order.collect': 'orders',
  'reservation.for-customer': 'orders',
  'reservation.release': 'orders',
  'reservation.order': 'orders',
} as const satisfies Record<Act, ConsoleArea | null>;

const ALLOWED: Decision = { allowed: true };
const deny = (reason: string, details?: Record<string, unknown>): Decision => ({
  allowed: false,
  reason,
  ...(details ? { details } : {}),
});
const customersOwnApp = (c: Caller) => c.channel === 'WEB' || c.channel === 'APP';
/** Staff acting on something of a customer's: allowed, on record. */
// A UUID in any case names the same customer: the trail names her in the one form her data export looks for.
const onRecord = (customerId: string | null): Decision =>
  customerId ? { allowed: true, audit: { subject: `customer:${customerId.toLowerCase()}` } } : ALLOWED;

/**
 * The customer rule: with no customer named nothing of hers is touched; a web or app client acts only for the
 * customer of its customer token; staff (store terminals, call center, console) for anyone, on record.
 */
function forCustomer(c: Caller, customerId: string | null): Decision {
  if (!customerId) return ALLOWED;
  if (customersOwnApp(c))
    return c.customerId === customerId
      ? ALLOWED
      : deny('A customer token for this customer is required (X-Customer-Token)');
  return onRecord(customerId);
}

/**
 * An act on her journey always names her: the customer rule, and no act at all without a customer named.
 */
function onHerJourney(c: Caller, customerId: string | null): Decision {
  return customerId ? forCustomer(c, customerId) : deny('This act needs the customer it is about');
}

/**
 * Staff in the back office only (the call center, the console), on record: not the customer's own app, and
 * not a store terminal — merging and unmerging profiles, and placing her in pricing segments, are back-office
 * acts. With no customer named (yet: a merge to undo is looked up next) nothing of hers is touched.
 */
function backOffice(c: Caller, customerId: string | null, what: string): Decision {
  if (c.channel !== 'CALL_CENTER' && c.channel !== 'CONSOLE')
    return deny(`Only the call center and the console ${what}`);
  return onRecord(customerId);
}

/**
 * A store terminal acts only at its own store: null when every location is its own (or the caller is no
 * terminal).
 */
function elsewhere(c: Caller, locationIds: readonly (string | null)[], what: string): Decision | null {
  if (c.channel !== 'STORE') return null;
  const other = locationIds.find((l) => l !== null && l !== c.locationId);
  return other === undefined
    ? null
    : deny(`This terminal belongs to ${c.locationId}; it cannot ${what} at ${other}`, { locationId: other });
}

/**
 * Acting on a reservation (releasing it, ordering from it): a web or app client with the token of the
 * customer it was made for, or — made for nobody in particular — the client that made it; a store terminal
 * when every line holds its own store's units (whoever made it); the call center and console when it was made
 * for a customer (on record) or by themselves. Nobody else.
 */
function onReservation(c: Caller, r: ResourceOf<'reservation.release'>): Decision {
  if (c.channel === 'STORE') {
    if (r.locationIds.length === 0)
      return deny('This reservation holds no units at this terminal\u2019s store');
    return elsewhere(c, r.locationIds, 'act on units held') ?? onRecord(r.customerId);
  }
  const maker = r.clientId !== null && r.clientId === c.clientId;
  if (customersOwnApp(c)) {
    // A web or app key ships inside an app every shopper has: a hold made for a customer answers to her token
    // alone.
    if (r.customerId !== null)
      return r.customerId === c.customerId
        ? ALLOWED
        : deny(
            'A customer token for the customer this reservation was made for is required (X-Customer-Token)',
          );
    return maker ? ALLOWED : deny('Only the client that made this reservation may act on it');
  }
  if (maker || r.customerId !== null) return onRecord(r.customerId);
  return deny('Staff act on reservations made for a customer, or made by themselves');
}

/**
 * An order placed (issue 12, "Access per the guards issue: the customer herself, staff at the order's
 * locations, the call center"): a web or app client with the token of the order's customer (an order of
 * nobody
 * known is not theirs to see); a store terminal when its store is one of the order's locations, on record;
 * the
 * call center and console anywhere, on record.
 */
function onPlacedOrder(c: Caller, r: ResourceOf<'order.read'>): Decision {
  if (customersOwnApp(c)) {
    if (r.customerId === null)
      return deny('An order of no known customer is followed at a store or through the call center');
    return r.customerId === c.customerId
      ? ALLOWED
      : deny('A customer token for this order\u2019s customer is required (X-Customer-Token)');
  }
  // A terminal that placed an order (the hub sourced it elsewhere: the endless aisle) follows it too.
  if (c.channel === 'STORE' && !r.locationIds.includes(c.locationId ?? '') && r.placedBy !== c.clientId)
    // Where the order's units are is none of another store's business: the refusal does not say.
    return deny(`This terminal belongs to ${c.locationId}; the order involves no location of its own`);
  return onRecord(r.customerId);
}

/** The rules, one row an act. */
const RULES: { [A in Act]: (c: Caller, r: ResourceOf<A>) => Decision } = {
  'customer.read': (c, r) => forCustomer(c, r.customerId),
  'customer.lookup': (c, r) =>
    customersOwnApp(c) ? deny('This client may not look customers up') : onRecord(r.customerId),
  'customer.enroll': () => ALLOWED,
  'customer.token': (c) => {
    if (!customersOwnApp(c))
      return deny('Customer tokens are for web and app clients whose app signed the customer in');
    return c.signsCustomersIn
      ? ALLOWED
      : deny(
          'Only a client with the scope customer-tokens (the back end that signs customers in) ' +
            'issues customer tokens',
        );
  },
  'customer.link-identifier': (c, r) => forCustomer(c, r.customerId),
  'customer.consent': (c, r) => forCustomer(c, r.customerId),
  'customer.export': (c, r) =>
    c.channel === 'STORE'
      ? deny('Data exports are for the customer herself, the call center or the console')
      : forCustomer(c, r.customerId),
  'customer.erase-request': (c, r) =>
    c.channel === 'STORE'
      ? deny('Erasure is for the customer herself, the call center or the console')
      : forCustomer(c, r.customerId),
  'loyalty.redeem': (c, r) => forCustomer(c, r.customerId),
  'offer.for-customer': (c, r) => forCustomer(c, r.customerId),
  'offers.for-customer': (c, r) => forCustomer(c, r.customerId),
  'quote.for-customer': (c, r) => forCustomer(c, r.customerId),
  // Asking as every channel at once is the console's alone (on record when it names her).
  mirror: (c, r) =>
    c.channel === 'CONSOLE'
      ? onRecord(r.customerId)
      : deny('Only the console mirrors what every channel answers'),
  // Her journey: the customer herself (a web or app client with her token) or staff, on record. A web or app
  // client records interactions only for its signed-in customer.
  'customer.timeline': (c, r) => onHerJourney(c, r.customerId),
  'customer.history': (c, r) => onHerJourney(c, r.customerId),
  'customer.data-use': (c, r) => onHerJourney(c, r.customerId),
  'customer.segments': (c, r) => onHerJourney(c, r.customerId),
  'customer.next-best-offers': (c, r) => onHerJourney(c, r.customerId),
  'customer.record-interaction': (c, r) => onHerJourney(c, r.customerId),
  'customer.update-profile': (c, r) => onHerJourney(c, r.customerId),
  'customer.unlink-identifier': (c, r) => onHerJourney(c, r.customerId),
  'customer.preferences': (c, r) => onHerJourney(c, r.customerId),
  // The `segments` attribute prices her (promotions for a segment): she cannot put herself in one, nor can a
  // till.
  'customer.assign-segments': (c, r) => backOffice(c, r.customerId, 'assign pricing segments'),
  'customer.merge': (c, r) => backOffice(c, r.customerId, 'merge customer profiles'),
  'customer.unmerge': (c, r) => backOffice(c, r.customerId, 'undo a merge of customer profiles'),
  'subscription.offer': (c, r) => forCustomer(c, r.customerId),
  'subscription.loyalty': (c, r) => forCustomer(c, r.customerId),
  'order.for-customer': (c, r) => elsewhere(c, [r.locationId], 'act') ?? forCustomer(c, r.customerId),
  'sale.for-customer': (c, r) => {
    if (c.channel !== 'STORE' || !c.locationId) return deny('Only a store terminal records store sales');
    return elsewhere(c, [r.locationId], 'record a sale') ?? forCustomer(c, r.customerId);
  },
  // An order belongs to its customer: a web or app client returns it only with her token, and an order of
  // nobody known not at all; a store terminal accepts any order's return at its own store; the call center
  // and console anywhere.
  'order.return': (c, r) => {
    if (customersOwnApp(c)) {
      if (r.orderCustomerId === null)
        return deny('An order of no known customer is returned at a store or through the call center');
      return r.orderCustomerId === c.customerId
        ? ALLOWED
        : deny('A customer token for this order\u2019s customer is required (X-Customer-Token)');
    }
    return elsewhere(c, [r.locationId], 'accept returns') ?? onRecord(r.orderCustomerId);
  },
  // Reserving: a terminal at its own store only; for a customer, as the customer rule says.
  'reservation.for-customer': (c, r) => elsewhere(c, r.locationIds, 'act') ?? forCustomer(c, r.customerId),
  'reservation.release': onReservation,
  'reservation.order': onReservation,
  'order.read': onPlacedOrder,
  'subscription.order': onPlacedOrder,
  'order.cancel': onPlacedOrder,
  // Handing over at the counter: the pickup store's terminal (markCollected checks the store is the pickup
  // store), or the console; not the customer's own app, nor the call center, who are not at the counter.
  'order.collect': (c, r) =>
    c.channel === 'STORE' || c.channel === 'CONSOLE'
      ? onPlacedOrder(c, r)
      : deny('Goods are handed over at the pickup store\u2019s terminal'),
};

/**
 * May `caller` do `act` to `resource`? Pure: the same question always gets the same answer. `effect` is how
 * the act is asked (a read of her preferences: `reads`), its natural effect (ACT_EFFECT) unless given: a
 * console caller needs its area to read, or to act (`writes`).
 * @returns `{ allowed: true }` (with `audit` when staff act on a customer's things: write that audit row,
 *   then act), or `{ allowed: false, reason }` (refuse with FORBIDDEN, writing nothing).
 * @example
 *   const web = { clientId, channel: 'WEB', locationId: null, customerId: null };
 *   authorize(web, 'order.return', { kind: 'return', orderCustomerId: anna, locationId: 'wh-1' });
 *   // { allowed: false,
 *   //   reason: 'A customer token for this order’s customer is required (X-Customer-Token)' }
 */
export function authorize<A extends Act>(
  caller: Caller,
  act: A,
  resource: ResourceOf<A>,
  effect: 'reads' | 'writes' = ACT_EFFECT[act],
): Decision {
  if (resource.kind !== ACTS[act]) return deny(`${act} does not apply to a ${resource.kind}`);
  if (caller.console) {
    const refusal = outsideConsoleGrants(caller.console, act, resource, effect);
    if (refusal) return refusal;
  }
  return (RULES[act] as (c: Caller, r: Resource) => Decision)(caller, resource);
}

/**
 * A console caller's refusal: the act's area not opened (to act, for an act asked as `writes`), or a location
 * its `location:` scopes do not reach — an order it follows or acts on must involve one of them; a return,
 * a sale, an order placed or units held only at them. null when the grants allow it (the channel's rules
 * decide next).
 */
function outsideConsoleGrants(
  grants: ConsoleGrants,
  act: Act,
  r: Resource,
  effect: 'reads' | 'writes',
): Decision | null {
  const area = CONSOLE_AREA_OF[act];
  const write = effect === 'writes';
  if (area && !grantsArea(grants, area, write))
    return deny(
      `This console key does not open ${area}${write ? ' to act' : ''} ` +
        `(scope console:${area}${write ? ':write' : ''})`,
      { area },
    );
  if (grants.locations === null) return null;
  const at =
    r.kind === 'return'
      ? [r.locationId]
      : r.kind === 'order'
        ? r.locationId
          ? [r.locationId]
          : []
        : r.kind === 'reservation'
          ? r.locationIds
          : [];
  const other = locationOutside(grants, at);
  if (other !== undefined)
    return deny(`This console key does not reach location ${other}`, { locationId: other });
  if (r.kind === 'placed-order' && r.locationIds.length > 0 && !reachesAnyLocation(grants, r.locationIds))
    // Where the order's units are is none of another location's business: the refusal does not say.
    return deny('This console key reaches none of the locations this order involves');
  return null;
}
