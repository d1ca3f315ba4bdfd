import {
  findOrderHead,
  getReservation,
  orderParties,
  recordAudit,
  type BackofficeDeps,
} from '../../backoffice-layer/index.js';
import { recordDataUse, resolveCustomerId } from '../../journey-layer/index.js';
import { DomainError } from '../../shared/index.js';
import type { ChannelClient } from '../clients/clients.js';
import { authorize, type Act, type Caller, type Decision, type Resource, type ResourceOf } from './policy.js';

/**
 * The scope of a web or app client that signs customers in and issues their tokens (see
 * Caller.signsCustomersIn).
 */
export const CUSTOMER_TOKENS_SCOPE = 'customer-tokens';

/**
 * What each act does with her data, in words: the `what` of the data-use entry (purpose SERVICE) a staff act
 * on a customer's things leaves in her `Customer.dataUse`, beside its audit row.
 */
export const DATA_USE_WHAT = {
  'customer.read': 'read the profile',
  'customer.lookup': 'looked the profile up by an identifier',
  'customer.enroll': 'enrolled the profile',
  'customer.token': 'issued a customer token',
  'customer.link-identifier': 'linked an identifier',
  'customer.consent': 'recorded a consent decision',
  'customer.export': 'exported her data',
  'customer.erase-request': 'erased the profile',
  'loyalty.redeem': 'redeemed points',
  'offer.for-customer': 'priced an offer for her',
  'offers.for-customer': 'priced offers for her',
  'quote.for-customer': 'priced a cart for her',
  'customer.timeline': 'read the timeline',
  'customer.history': 'read the profile history',
  'customer.data-use': 'read who used her data',
  'customer.segments': 'read her segments',
  'customer.next-best-offers': 'worked out next best offers',
  'customer.record-interaction': 'recorded an interaction',
  'customer.update-profile': 'corrected the profile',
  'customer.assign-segments': 'assigned pricing segments',
  'customer.unlink-identifier': 'unlinked an identifier',
  'customer.preferences': 'read or set the contact preferences',
  'customer.merge': 'merged profiles',
  'customer.unmerge': 'undid a merge of profiles',
  'subscription.offer': 'followed offers priced for her',
  'subscription.loyalty': 'followed her loyalty status',
  'order.for-customer': 'placed an order for her',
  'sale.for-customer': 'recorded a store sale for her',
  'order.return': 'accepted a return of her order',
  'order.read': 'read an order',
  'subscription.order': 'followed an order',
  'order.cancel': 'cancelled an order',
  'order.collect': 'handed an order over',
  'reservation.for-customer': 'reserved stock for her',
  'reservation.release': 'released a reservation held for her',
  'reservation.order': 'ordered from a reservation held for her',
} as const satisfies Record<Act, string>;

/**
 * What the access check needs of a request: the database and clock, the calling client, its customer token's
 * customer.
 */
export interface AccessContext {
  deps: Pick<BackofficeDeps, 'db' | 'clock'>;
  client: ChannelClient;
  customerId: string | null;
}

/**
 * A resource named by its id, loaded here: the order whose items are returned at `locationId`; a reservation;
 * an order placed.
 */
export type StoredResource =
  | { kind: 'return'; orderId: string; locationId: string }
  | { kind: 'reservation'; reservationId: string }
  | { kind: 'placed-order'; orderId: string };

/**
 * One question for the policy: `act` on `on` — the resource as the request describes it, or (for an existing
 * order or reservation) its id, to be loaded.
 */
export type Check = {
  [A in Act]: {
    act: A;
    on: ResourceOf<A> | Extract<StoredResource, { kind: ResourceOf<A>['kind'] }>;
  };
}[Act];

/** The customer a request names (absent or null: none) as a resource. */
export function customerNamed(customerId: string | null | undefined): {
  kind: 'customer';
  customerId: string | null;
} {
  return { kind: 'customer', customerId: customerId ?? null };
}

/** The caller as the policy sees it. */
export function callerOf(ctx: AccessContext): Caller {
  return {
    clientId: ctx.client.id,
    channel: ctx.client.channel,
    locationId: ctx.client.locationId,
    customerId: ctx.customerId,
    signsCustomersIn: ctx.client.scopes.includes(CUSTOMER_TOKENS_SCOPE),
  };
}

/** Loads a stored resource; NOT_FOUND (as the domain would answer) when there is none. */
async function load(
  ctx: AccessContext,
  on: Resource | StoredResource,
): Promise<{ resource: Resource; ref: Record<string, string> }> {
  if (on.kind === 'placed-order' && 'orderId' in on) {
    const parties = await orderParties(ctx.deps.db, on.orderId);
    if (!parties) throw new DomainError('NOT_FOUND', `No order ${on.orderId}`, { orderId: on.orderId });
    return {
      resource: {
        kind: 'placed-order',
        customerId: parties.customerRef,
        locationIds: parties.locationIds,
        placedBy: parties.placedByClientId,
      },
      ref: { orderId: parties.orderId },
    };
  }
  if (on.kind === 'return' && 'orderId' in on) {
    const order = await findOrderHead(ctx.deps.db, on.orderId);
    if (!order) throw new DomainError('NOT_FOUND', `No order ${on.orderId}`, { orderId: on.orderId });
    return {
      resource: { kind: 'return', orderCustomerId: order.customerRef, locationId: on.locationId },
      ref: { orderId: order.id },
    };
  }
  if ('reservationId' in on) {
    const r = await getReservation(ctx.deps.db, on.reservationId);
    if (!r)
      throw new DomainError('NOT_FOUND', `No reservation ${on.reservationId}`, {
        reservationId: on.reservationId,
      });
    return {
      resource: {
        kind: 'reservation',
        clientId: r.clientId,
        customerId: r.customerId,
        locationIds: r.lines.map((l) => l.locationId),
      },
      ref: { reservationId: r.id },
    };
  }
  return { resource: on, ref: {} };
}

/**
 * What one request has put on record already (by act, subject and what it names), each write as it goes: a
 * repeated check (two fields of one profile asking the same act) waits for the first one's and writes
 * nothing more.
 */
const recorded = new WeakMap<AccessContext, Map<string, Promise<void>>>();

/**
 * Puts one staff act on a customer's things on record: the audit row (actor `client:<id>`, action the act,
 * subject `customer:<id>`), and her data-use entry (purpose SERVICE, `what` from DATA_USE_WHAT) under her
 * live profile — none when there is no such profile (an unknown or erased id: nothing of hers was used).
 */
async function putOnRecord(
  ctx: AccessContext,
  entry: { action: Act; subject: string; ref: Record<string, string> },
): Promise<void> {
  const now = ctx.deps.clock.now();
  const actor = `client:${ctx.client.id}`;
  await recordAudit(ctx.deps.db, now, {
    actor,
    action: entry.action,
    subject: entry.subject,
    details: { channel: ctx.client.channel, ...entry.ref },
  });
  if (!entry.subject.startsWith('customer:')) return;
  const liveId = await resolveCustomerId(ctx.deps.db, entry.subject.slice('customer:'.length)).catch(
    (e: unknown) => {
      if (e instanceof DomainError && e.code === 'NOT_FOUND') return null;
      throw e;
    },
  );
  if (liveId)
    await recordDataUse(ctx.deps.db, now, {
      customerId: liveId,
      actor,
      channel: ctx.client.channel,
      purpose: 'SERVICE',
      what: DATA_USE_WHAT[entry.action],
    });
}

/**
 * The access check of a channel request, made before it writes anything: loads what each check names
 * (NOT_FOUND for an unknown order or reservation, as the act itself would answer), asks the policy
 * (`authorize`), and refuses with FORBIDDEN (the policy's reason) when any answer is no — with nothing
 * written, not even an audit row. When every answer is yes, puts each staff act on a customer's things on
 * record — the audit row (actor `client:<id>`, action the act, subject `customer:<id>`) and her data-use
 * entry (purpose SERVICE, what the act did in words: DATA_USE_WHAT) — once per request and act, then
 * returns: the caller acts next.
 * @throws DomainError NOT_FOUND, FORBIDDEN.
 * @example await requireAccess(ctx, { act: 'reservation.release', on: { kind: 'reservation', reservationId:
 *   id } });
 */
export async function requireAccess(ctx: AccessContext, ...checks: Check[]): Promise<void> {
  const caller = callerOf(ctx);
  const onRecord: Array<{ action: Act; subject: string; ref: Record<string, string> }> = [];
  for (const check of checks) {
    const { resource, ref } = await load(ctx, check.on);
    const decision: Decision = authorize(caller, check.act, resource as ResourceOf<typeof check.act>);
    if (!decision.allowed) throw new DomainError('FORBIDDEN', decision.reason, decision.details ?? {});
    if (decision.audit) onRecord.push({ action: check.act, subject: decision.audit.subject, ref });
  }
  const done = recorded.get(ctx) ?? new Map<string, Promise<void>>();
  recorded.set(ctx, done);
  for (const entry of onRecord) {
    const key = JSON.stringify([entry.action, entry.subject, entry.ref]);
    let written = done.get(key);
    if (!written) {
      written = putOnRecord(ctx, entry);
      done.set(key, written);
      // A failed write is tried again by the next check that needs it.
      written.catch(() => done.delete(key));
    }
    await written;
  }
}
