import {
  findOrderHead,
  getReservation,
  orderParties,
  recordAudit,
  type BackofficeDeps,
} from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';
import type { ChannelClient } from '../clients/clients.js';
import { authorize, type Act, type Caller, type Decision, type Resource, type ResourceOf } from './policy.js';

/**
 * The scope of a web or app client that signs customers in and issues their tokens (see
 * Caller.signsCustomersIn).
 */
export const CUSTOMER_TOKENS_SCOPE = 'customer-tokens';

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
 * The access check of a channel request, made before it writes anything: loads what each check names
 * (NOT_FOUND for an unknown order or reservation, as the act itself would answer), asks the policy
 * (`authorize`), and refuses with FORBIDDEN (the policy's reason) when any answer is no — with nothing
 * written, not even an audit row. When every answer is yes, writes the audit row of each staff act on a
 * customer's things (actor `client:<id>`, action the act, subject `customer:<id>`), then returns: the caller
 * acts next.
 * @throws DomainError NOT_FOUND, FORBIDDEN.
 * @example await requireAccess(ctx, { act: 'reservation.release', on: { kind: 'reservation', reservationId:
 *   id } });
 */
export async function requireAccess(ctx: AccessContext, ...checks: Check[]): Promise<void> {
  const caller = callerOf(ctx);
  const onRecord: Array<{ action: string; subject: string; ref: Record<string, string> }> = [];
  for (const check of checks) {
    const { resource, ref } = await load(ctx, check.on);
    const decision: Decision = authorize(caller, check.act, resource as ResourceOf<typeof check.act>);
    if (!decision.allowed) throw new DomainError('FORBIDDEN', decision.reason, decision.details ?? {});
    if (decision.audit) onRecord.push({ action: check.act, subject: decision.audit.subject, ref });
  }
  for (const { action, subject, ref } of onRecord) {
    await recordAudit(ctx.deps.db, ctx.deps.clock.now(), {
      actor: `client:${ctx.client.id}`,
      action,
      subject,
      details: { channel: ctx.client.channel, ...ref },
    });
  }
}
