import { randomUUID } from 'node:crypto';
import {
  findOrderHead,
  getLocation,
  getProduct,
  getReservation,
  type BackofficeEventPayloads,
  type EventConsumer,
} from '../../backoffice-layer/index.js';
import { DomainError, isUuid, type EventEnvelope } from '../../shared/index.js';
import { lockLiveCustomer } from '../customers/customer-reads.js';
import { getLoyaltyProgram } from '../loyalty/ledger.js';
import type { ConsentPurpose, InteractionKind, LoyaltyLedgerKind, Transaction } from '../tables.js';
import { amount, fitSummary, items, named, short } from './summary.js';

/** The timeline consumer's name (its `applied_events` and watermark rows). */
export const TIMELINE_CONSUMER = 'timeline';

/** The events the timeline turns into interactions. */
export const TIMELINE_EVENT_TYPES = [
  'sale.committed',
  'order.changed',
  'return.recorded',
  'reservation.created',
  'loyalty.changed',
  'consent.changed',
  'profile.changed',
  'customer.merged',
  'customer.unmerged',
] as const;

/** Channel and actor of what the hub did by itself (an event that names neither). */
const SYSTEM = { channel: 'SYSTEM', actor: 'system' };

/** One interaction an event adds: `part` tells the interactions of one event apart (`event:<id>:<part>`). */
interface Landing {
  customerRef: string;
  part: string;
  kind: InteractionKind;
  summary: string;
  channel: string;
  actor: string;
  locationId?: string | null;
  sku?: string | null;
  orderId?: string | null;
}

/**
 * Her live profile for a reference on an event, locked (first in the hub's lock order), so an interaction
 * lands before her erasure or not at all; null for no reference, an unknown or an erased profile.
 */
async function liveOrNull(tx: Transaction, ref: unknown): Promise<string | null> {
  if (typeof ref !== 'string' || !isUuid(ref)) return null;
  try {
    return await lockLiveCustomer(tx, ref);
  } catch (e) {
    if (e instanceof DomainError && e.code === 'NOT_FOUND') return null;
    throw e;
  }
}

/**
 * Writes the interactions of one event, each once: the source `event:<event id>:<part>` is unique, so an
 * event delivered again adds nothing. At the event's instant and revision; about a live profile only.
 */
async function land(tx: Transaction, event: EventEnvelope, landings: readonly Landing[]): Promise<void> {
  const rows = [];
  for (const l of landings) {
    const customerId = await liveOrNull(tx, l.customerRef);
    if (customerId === null) continue;
    rows.push({
      id: randomUUID(),
      customerId,
      kind: l.kind,
      channel: l.channel,
      locationId: l.locationId ?? null,
      sku: l.sku ?? null,
      orderId: l.orderId ?? null,
      summary: fitSummary(l.summary),
      note: null,
      actor: l.actor,
      source: `event:${event.id}:${l.part}`,
      occurredAt: new Date(event.occurredAt),
      revision: event.revision,
    });
  }
  if (rows.length === 0) return;
  await tx
    .insertInto('customerInteractions')
    .values(rows)
    .onConflict((oc) => oc.column('source').doNothing())
    .execute();
}

/** The actor and channel an event's payload names, else the system's. */
function origin(payload: Record<string, unknown>, fallback = SYSTEM): { channel: string; actor: string } {
  return {
    channel: typeof payload.channel === 'string' ? payload.channel : fallback.channel,
    actor: typeof payload.actor === 'string' ? payload.actor : fallback.actor,
  };
}

/** The one SKU of some lines, or null when they hold several. */
function oneSku(lines: ReadonlyArray<{ sku: string }>): string | null {
  const skus = new Set(lines.map((l) => l.sku));
  return skus.size === 1 ? [...skus][0]! : null;
}

const unitsOf = (lines: ReadonlyArray<{ quantity: number }>): number =>
  lines.reduce((sum, l) => sum + l.quantity, 0);

async function locationNamed(tx: Transaction, id: string | null): Promise<string | null> {
  return id ? named(id, (await getLocation(tx, id))?.name) : null;
}

async function productNamed(tx: Transaction, sku: string | null): Promise<string | null> {
  return sku ? named(sku, (await getProduct(tx, sku))?.name) : null;
}

/** `sale.committed`: an online order placed (ORDER_PLACED) or a sale at a till (STORE_SALE). */
async function sale(tx: Transaction, p: BackofficeEventPayloads['sale.committed']): Promise<Landing[]> {
  if (!p.customerRef) return [];
  const head = await findOrderHead(tx, p.orderId);
  const what = `${items(unitsOf(p.lines))}, ${amount(p.totalAmount, p.currency)}`;
  const common = { customerRef: p.customerRef, part: 'sale', orderId: p.orderId, sku: oneSku(p.lines) };
  if (p.kind !== 'STORE')
    return [
      {
        ...common,
        kind: 'ORDER_PLACED',
        summary: `Placed order ${short(p.orderId)}: ${what}`,
        channel: head?.channel ?? SYSTEM.channel,
        actor: SYSTEM.actor,
      },
    ];
  const store = await locationNamed(tx, p.locationId);
  return [
    {
      ...common,
      kind: 'STORE_SALE',
      summary: `Bought ${what}${store ? ` at ${store}` : ''}`,
      channel: head?.channel ?? 'STORE',
      actor: SYSTEM.actor,
      locationId: p.locationId,
    },
  ];
}

/** `order.changed`: one FULFILMENT per fulfilment that moved. */
function orderChanged(p: BackofficeEventPayloads['order.changed']): Landing[] {
  if (!p.customerRef) return [];
  const customerRef = p.customerRef;
  return p.fulfilments
    .filter((f) => f.from !== f.to)
    .map((f) => ({
      customerRef,
      part: `fulfilment:${f.fulfilmentId}`,
      kind: 'FULFILMENT' as const,
      summary: `Fulfilment ${short(f.fulfilmentId)} (${f.method}) of order ${short(p.orderId)} ${f.to}`,
      ...origin(p),
      locationId: f.locationId,
      orderId: p.orderId,
    }));
}

/** `return.recorded`: a RETURN, with the refund in the order's currency. */
async function returned(tx: Transaction, p: BackofficeEventPayloads['return.recorded']): Promise<Landing[]> {
  if (!p.customerRef) return [];
  const head = await findOrderHead(tx, p.orderId);
  const refund = head ? `: refund ${amount(p.refundAmount, head.currency)}` : '';
  return [
    {
      customerRef: p.customerRef,
      part: 'return',
      kind: 'RETURN',
      summary: `Returned ${items(unitsOf(p.lines))} of order ${short(p.orderId)}${refund}`,
      ...SYSTEM,
      orderId: p.orderId,
      sku: oneSku(p.lines),
    },
  ];
}

/** `reservation.created`: a RESERVATION, when it was made for a customer. */
async function reserved(
  tx: Transaction,
  p: BackofficeEventPayloads['reservation.created'],
): Promise<Landing[]> {
  const r = await getReservation(tx, p.reservationId);
  if (!r?.customerId) return [];
  const sku = oneSku(r.lines);
  const locations = [...new Set(r.lines.map((l) => l.locationId))];
  const locationId = locations.length === 1 ? locations[0]! : null;
  const what = sku ? `${unitsOf(r.lines)} × ${await productNamed(tx, sku)}` : items(unitsOf(r.lines));
  const where = locationId ? ` at ${await locationNamed(tx, locationId)}` : '';
  return [
    {
      customerRef: r.customerId,
      part: 'reservation',
      kind: 'RESERVATION',
      summary: `Reserved ${what}${where} until ${r.expiresAt}`,
      channel: r.channel ?? SYSTEM.channel,
      actor: r.clientId ? `client:${r.clientId}` : SYSTEM.actor,
      locationId,
      sku,
    },
  ];
}

const POINTS_DONE: Readonly<Record<LoyaltyLedgerKind, (points: number) => string>> = {
  EARN: (n) => `Earned ${n} points`,
  REVERSE: (n) => `${Math.abs(n)} points reversed`,
  REDEEM: (n) => `Redeemed ${Math.abs(n)} points`,
  EXPIRE: (n) => `${Math.abs(n)} points expired`,
  ADJUST: (n) => `Points adjusted by ${n > 0 ? '+' : ''}${n}`,
  MERGE: (n) => `${n} points moved in from a merged profile`,
};

/** A TIER summary ends with the tier's id in brackets, so the next tier change can be compared with it. */
const TIER_ID_AT_END = /\(([A-Z][A-Z0-9_]{0,31})\)$/;

/**
 * `loyalty.changed` { customerId, tier, balance }: POINTS per ledger row of the event's revision for her,
 * and TIER when the tier differs from her last TIER interaction (the programme's base tier when none). One
 * write can book several entries for her, each announcing `loyalty.changed` at the same revision: the first
 * of those events (by outbox position) speaks for them all, so each ledger row lands once, and the tier is
 * the one she holds once the write is done.
 */
async function loyaltyChanged(
  tx: Transaction,
  event: EventEnvelope,
): Promise<{ speaker: string; landings: Landing[] }> {
  const siblings = await tx
    .selectFrom('outbox')
    .select(['id', 'payload'])
    .where('revision', '=', event.revision)
    .where('type', '=', 'loyalty.changed')
    .where('aggregateId', '=', event.aggregateId)
    .orderBy('position')
    .execute();
  const speaker = siblings[0]?.id ?? event.id;
  const tier = (siblings.at(-1)?.payload ?? event.payload).tier;
  const customerId = await liveOrNull(tx, event.payload.customerId);
  if (customerId === null) return { speaker, landings: [] };
  const ledger = await tx
    .selectFrom('loyaltyLedger')
    .select(['id', 'kind', 'points', 'reason'])
    .where('customerId', '=', customerId)
    .where('revision', '=', event.revision)
    .orderBy('id')
    .execute();
  const landings: Landing[] = ledger.map((l) => ({
    customerRef: customerId,
    part: `points:${l.id}`,
    kind: 'POINTS',
    summary: `${POINTS_DONE[l.kind](l.points)}${l.reason ? `: ${l.reason}` : ''}`,
    ...SYSTEM,
  }));
  if (typeof tier === 'string') {
    const program = await getLoyaltyProgram(tx);
    const last = await tx
      .selectFrom('customerInteractions')
      .select('summary')
      .where('customerId', '=', customerId)
      .where('kind', '=', 'TIER')
      .where('revision', '<', event.revision)
      .orderBy('revision', 'desc')
      .limit(1)
      .executeTakeFirst();
    const before = (last && TIER_ID_AT_END.exec(last.summary)?.[1]) ?? program.tiers[0]!.id;
    if (before !== tier) {
      const rank = (id: string) => program.tiers.findIndex((t) => t.id === id);
      const name = program.tiers.find((t) => t.id === tier)?.name ?? tier;
      landings.push({
        customerRef: customerId,
        part: 'tier',
        kind: 'TIER',
        summary: `${rank(tier) >= rank(before) ? 'Reached' : 'Moved down to'} the tier ${name} (${tier})`,
        ...SYSTEM,
      });
    }
  }
  return { speaker, landings };
}

/** `consent.changed` { customerId, purpose, granted }: a CONSENT, through the channel it was given. */
async function consentChanged(tx: Transaction, event: EventEnvelope): Promise<Landing[]> {
  const p = event.payload as { customerId?: unknown; purpose?: unknown; granted?: unknown };
  if (typeof p.customerId !== 'string' || typeof p.purpose !== 'string') return [];
  const recorded = await tx
    .selectFrom('consentHistory')
    .select('channel')
    .where('customerId', '=', p.customerId)
    .where('purpose', '=', p.purpose as ConsentPurpose)
    .where('revision', '=', event.revision)
    .executeTakeFirst();
  const purpose = p.purpose;
  return [
    {
      customerRef: p.customerId,
      part: `consent:${purpose}`,
      kind: 'CONSENT',
      summary: `${p.granted === true ? 'Gave' : 'Withdrew'} consent for ${purpose}`,
      ...origin(event.payload, { channel: recorded?.channel ?? SYSTEM.channel, actor: SYSTEM.actor }),
    },
  ];
}

/**
 * `profile.changed` { customerId, fields }: a PROFILE_CHANGED naming the corrected fields (never their
 * values); the merge and its undoing have events of their own.
 */
async function profileChanged(tx: Transaction, event: EventEnvelope): Promise<Landing[]> {
  const p = event.payload as { customerId?: unknown; fields?: unknown };
  const fields = (Array.isArray(p.fields) ? p.fields : []).filter(
    (f): f is string => typeof f === 'string' && f !== 'merge' && f !== 'unmerge',
  );
  if (typeof p.customerId !== 'string' || fields.length === 0) return [];
  const change = await tx
    .selectFrom('profileChanges')
    .select(['channel', 'actor'])
    .where('customerId', '=', p.customerId)
    .where('revision', '=', event.revision)
    .executeTakeFirst();
  return [
    {
      customerRef: p.customerId,
      part: 'profile',
      kind: 'PROFILE_CHANGED',
      summary: `Corrected ${fields.join(', ')}`,
      ...origin(event.payload, change ?? SYSTEM),
    },
  ];
}

/**
 * `customer.merged` / `customer.unmerged` { survivorId, mergedId, mergeId }: a PROFILE_CHANGED on the
 * survivor; an undone merge on both profiles.
 */
async function merge(tx: Transaction, event: EventEnvelope): Promise<Landing[]> {
  const p = event.payload as { survivorId?: unknown; mergedId?: unknown; mergeId?: unknown };
  if (typeof p.survivorId !== 'string' || typeof p.mergedId !== 'string') return [];
  const { survivorId, mergedId } = p;
  // Summaries name the merge (what staff undo it by), never the other profile: its id is hers, and an
  // erasure of the other person must leave no trace of it here.
  const which = typeof p.mergeId === 'string' || typeof p.mergeId === 'number' ? ` ${String(p.mergeId)}` : '';
  const record = await tx
    .selectFrom('customerMerges')
    .select(['channel', 'actor', 'undoneBy'])
    .where('intoId', '=', survivorId)
    .where('fromId', '=', mergedId)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (event.type === 'customer.merged')
    return [
      {
        customerRef: survivorId,
        part: 'merged',
        kind: 'PROFILE_CHANGED',
        summary: `Merged another profile into this one (merge${which})`,
        ...origin(event.payload, {
          channel: record?.channel ?? SYSTEM.channel,
          actor: record?.actor ?? SYSTEM.actor,
        }),
      },
    ];
  const by = origin(event.payload, { channel: SYSTEM.channel, actor: record?.undoneBy ?? SYSTEM.actor });
  return [
    {
      customerRef: survivorId,
      part: 'unmerged:survivor',
      kind: 'PROFILE_CHANGED',
      summary: `Undid the merge${which} of another profile into this one`,
      ...by,
    },
    {
      customerRef: mergedId,
      part: 'unmerged:restored',
      kind: 'PROFILE_CHANGED',
      summary: `Restored as a profile of its own: its merge${which} into another profile was undone`,
      ...by,
    },
  ];
}

/**
 * Turns the hub's events into interactions on her timeline, exactly once each (the event worker records the
 * event as applied in the same transaction, and each interaction's source `event:<event id>:<part>` is
 * unique, inserted with ON CONFLICT DO NOTHING), at the event's instant and revision, with the channel and
 * actor the event or its records name (`SYSTEM`/`system` otherwise): `sale.committed` → ORDER_PLACED (the
 * order's channel) or STORE_SALE (at its store); `order.changed` → one FULFILMENT per fulfilment that moved;
 * `return.recorded` → RETURN; `reservation.created` → RESERVATION when made for a customer;
 * `loyalty.changed` → POINTS per ledger entry of that revision, TIER when her tier changed;
 * `consent.changed` → CONSENT; `profile.changed` → PROFILE_CHANGED naming the fields; `customer.merged` /
 * `customer.unmerged` → PROFILE_CHANGED on the survivor (and on the restored profile). Customer references
 * are followed through merges; an event about nobody, an unknown or an erased customer adds nothing.
 */
export function timelineConsumer(clock: { now(): Date }): EventConsumer {
  void clock; // every interaction is dated by its event, not by when the worker applies it
  return {
    name: TIMELINE_CONSUMER,
    types: TIMELINE_EVENT_TYPES,
    async apply(event, tx: Transaction) {
      const payload = event.payload;
      switch (event.type) {
        case 'sale.committed':
          return land(tx, event, await sale(tx, payload as BackofficeEventPayloads['sale.committed']));
        case 'order.changed':
          return land(tx, event, orderChanged(payload as BackofficeEventPayloads['order.changed']));
        case 'return.recorded':
          return land(tx, event, await returned(tx, payload as BackofficeEventPayloads['return.recorded']));
        case 'reservation.created':
          return land(
            tx,
            event,
            await reserved(tx, payload as BackofficeEventPayloads['reservation.created']),
          );
        case 'loyalty.changed': {
          const { speaker, landings } = await loyaltyChanged(tx, event);
          return land(tx, { ...event, id: speaker }, landings);
        }
        case 'consent.changed':
          return land(tx, event, await consentChanged(tx, event));
        case 'profile.changed':
          return land(tx, event, await profileChanged(tx, event));
        default:
          return land(tx, event, await merge(tx, event));
      }
    },
  };
}
