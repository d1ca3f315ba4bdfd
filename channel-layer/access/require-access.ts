import {
  findOrderHead,
  getReservation,
  orderParties,
  recordAudit,
  type BackofficeDeps,
} from '../../backoffice-layer/index.js';
import { recordDataUse, resolveCustomerId } from '../../journey-layer/index.js';
import { consoleGrants, DomainError } from '../../shared/index.js';
import { clientActor, type ChannelClient } from '../clients/clients.js';
import {
  ACT_EFFECT,
  authorize,
  type Act,
  type Caller,
  type Decision,
  type Resource,
  type ResourceOf,
} from './policy.js';

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
  mirror: 'compared what every channel answers her',
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
  /** Told when the check puts something on record (an HTTP answer that did is never cached). */
  sources?: { onRecord: boolean };
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
  const grants = ctx.client.channel === 'CONSOLE' ? consoleGrants(ctx.client.scopes) : null;
  return {
    // Console scopes of either kind make a scoped console key: a key holding only `location:` scopes opens
    // no area (so only what is open to every console key), never every location.
    console: grants && (grants.areas.length > 0 || grants.locations !== null) ? grants : null,
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

// Whether an act changes her things or only reads them (policy.ts ACT_EFFECT): a read is on record before
// it runs (no record, no read); a write's data-use entry only once it succeeded (see withAccess), so a
// refused or failed write tells her of nothing that was not done.

/** One staff act on a customer's things the policy allowed: what goes on record. */
interface OnRecord {
  action: Act;
  subject: string;
  ref: Record<string, string>;
}

/**
 * What one request has put on record already, by key (an audit row: act, subject and what it names; a
 * data-use entry: act, her live profile and what it names), each write as it goes: a repeated check (two
 * fields of one profile asking the same act) waits for the first one's and writes nothing more.
 */
const recorded = new WeakMap<AccessContext, Map<string, Promise<void>>>();

/** Runs `write` once per request and key; a failed write is tried again by the next check that needs it. */
async function once(ctx: AccessContext, key: unknown[], write: () => Promise<void>): Promise<void> {
  const done = recorded.get(ctx) ?? new Map<string, Promise<void>>();
  recorded.set(ctx, done);
  if (ctx.sources) ctx.sources.onRecord = true;
  const k = JSON.stringify(key);
  let written = done.get(k);
  if (!written) {
    written = write();
    done.set(k, written);
    written.catch(() => done.delete(k));
  }
  await written;
}

/**
 * The audit row of one staff act (actor `client:<id>`, action the act, subject `customer:<id>`, details the
 * channel and what the act names), once per request.
 */
async function auditOnce(ctx: AccessContext, entry: OnRecord): Promise<void> {
  await once(ctx, ['audit', entry.action, entry.subject, entry.ref], () =>
    recordAudit(ctx.deps.db, ctx.deps.clock.now(), {
      actor: clientActor(ctx.client),
      action: entry.action,
      subject: entry.subject,
      details: { channel: ctx.client.channel, ...entry.ref },
    }),
  );
}

/**
 * Her data-use entry for one staff act (purpose SERVICE, `what` from DATA_USE_WHAT) under her live profile as
 * it is now — none when there is no such profile (an unknown or erased id: nothing of hers was used) — once
 * per request, act and live profile: both profiles of a merge are one person afterwards, told once.
 */
async function dataUseOnce(ctx: AccessContext, entry: OnRecord): Promise<void> {
  if (!entry.subject.startsWith('customer:')) return;
  const liveId = await resolveCustomerId(ctx.deps.db, entry.subject.slice('customer:'.length)).catch(
    (e: unknown) => {
      if (e instanceof DomainError && e.code === 'NOT_FOUND') return null;
      throw e;
    },
  );
  if (!liveId) return;
  await once(ctx, ['use', entry.action, liveId, entry.ref], () =>
    recordDataUse(ctx.deps.db, ctx.deps.clock.now(), {
      customerId: liveId,
      actor: clientActor(ctx.client),
      channel: ctx.client.channel,
      purpose: 'SERVICE',
      what: DATA_USE_WHAT[entry.action],
    }),
  );
}

/**
 * Loads what each check names (NOT_FOUND for an unknown order or reservation, as the act itself would
 * answer) and asks the policy (`authorize`): FORBIDDEN (the policy's reason) when any answer is no. Writes
 * nothing. `asked`: every act as a read (requireAccess), or each as its effect (ACT_EFFECT: withAccess,
 * checkAccess) — what a console key's areas are checked against.
 * @returns the staff acts on a customer's things to put on record, in the order asked.
 * @throws DomainError NOT_FOUND, FORBIDDEN.
 */
async function decide(
  ctx: AccessContext,
  checks: readonly Check[],
  asked: 'reads' | 'as-acted',
): Promise<OnRecord[]> {
  const caller = callerOf(ctx);
  const onRecord: OnRecord[] = [];
  for (const check of checks) {
    const { resource, ref } = await load(ctx, check.on);
    const decision: Decision = authorize(
      caller,
      check.act,
      resource as ResourceOf<typeof check.act>,
      asked === 'reads' ? 'reads' : ACT_EFFECT[check.act],
    );
    if (!decision.allowed) throw new DomainError('FORBIDDEN', decision.reason, decision.details ?? {});
    if (decision.audit) onRecord.push({ action: check.act, subject: decision.audit.subject, ref });
  }
  return onRecord;
}

/**
 * The access check of a channel read, made before it reads anything: loads what each check names
 * (NOT_FOUND for an unknown order or reservation, as the act itself would answer), asks the policy
 * (`authorize`), and refuses with FORBIDDEN (the policy's reason) when any answer is no — with nothing
 * written, not even an audit row. When every answer is yes, puts each staff act on a customer's things on
 * record — the audit row (actor `client:<id>`, action the act, subject `customer:<id>`) and her data-use
 * entry (purpose SERVICE, what the act did in words: DATA_USE_WHAT) — once per request and act, then
 * returns: the caller reads next (no record, no read). A write asks withAccess instead.
 * @throws DomainError NOT_FOUND, FORBIDDEN.
 * @example await requireAccess(ctx, { act: 'order.read', on: { kind: 'placed-order', orderId: id } });
 */
export async function requireAccess(ctx: AccessContext, ...checks: Check[]): Promise<void> {
  for (const entry of await decide(ctx, checks, 'reads')) {
    await auditOnce(ctx, entry);
    await dataUseOnce(ctx, entry);
  }
}

/**
 * Whether the caller may do these acts at all, asked before the request names whom they touch (a store
 * sale's customer, the merge an undo names): NOT_FOUND or FORBIDDEN as requireAccess answers, writing
 * nothing — an act allowed here is not on record; the act itself asks withAccess next.
 * @throws DomainError NOT_FOUND, FORBIDDEN.
 */
export async function checkAccess(ctx: AccessContext, ...checks: Check[]): Promise<void> {
  await decide(ctx, checks, 'as-acted');
}

/**
 * The access check of a channel write, around the write itself: checks as requireAccess does (NOT_FOUND,
 * FORBIDDEN; nothing written on refusal), writes the audit row of each staff act on a customer's things
 * (an attempt by staff stays on the audit trail whatever comes of it), runs `act`, and only when it resolves
 * writes her data-use entries of the acts that write (ACT_EFFECT) — once per request, act and live profile —
 * then answers what `act` answered. An act that only reads is on her data use before `act` runs, as
 * requireAccess puts it. A refused or failed write (`act` throws: the error passes through) leaves no
 * data-use entry.
 * @throws DomainError NOT_FOUND, FORBIDDEN; whatever `act` throws.
 * @example const r = await withAccess(ctx, [{ act: 'reservation.release', on: { kind: 'reservation',
 *   reservationId: id } }], () => releaseReservation(deps, id));
 */
export async function withAccess<T>(
  ctx: AccessContext,
  checks: readonly Check[],
  act: () => Promise<T>,
): Promise<T> {
  const entries = await decide(ctx, checks, 'as-acted');
  for (const entry of entries) {
    await auditOnce(ctx, entry);
    if (ACT_EFFECT[entry.action] === 'reads') await dataUseOnce(ctx, entry);
  }
  const result = await act();
  for (const entry of entries) if (ACT_EFFECT[entry.action] === 'writes') await dataUseOnce(ctx, entry);
  return result;
}
