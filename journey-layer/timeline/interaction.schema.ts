import { z } from 'zod';
import { noteText, LocationIdSchema, SkuSchema, UuidSchema, type WriteOrigin } from '../../shared/index.js';
import type { InteractionKind } from '../tables.js';

/*
 * What a channel may report on a customer's timeline, and which channel may report which kind. The hub's own
 * kinds (orders, sales, fulfilments, returns, reservations, points, tiers, consents, profile changes) are
 * written only by the timeline's event consumer.
 */

/** Every kind a timeline holds, in the order docs/API.md lists them. */
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
] as const satisfies readonly InteractionKind[];

/** An interaction kind at a boundary (a `kinds` filter, a reported kind). */
export const InteractionKindSchema = z.enum(INTERACTION_KINDS);

/** The kinds a channel reports (`recordInteraction`); every other kind is written by the hub itself. */
export const REPORTED_KINDS: readonly InteractionKind[] = [
  'PRODUCT_VIEWED',
  'CART_UPDATED',
  'WISHLIST_ADDED',
  'STORE_VISIT',
  'SERVICE_CONTACT',
  'NOTE',
];

/** Most characters of an agent's note. */
export const MAX_NOTE_LENGTH = 2000;

/** Staff channels: a store terminal, the call centre, the console, the admin API. */
const STAFF: readonly WriteOrigin[] = ['STORE', 'CALL_CENTER', 'CONSOLE', 'ADMIN'];

/**
 * Which channels may report each kind: what she did on the web shop or in the app only from there; a store
 * visit from a store terminal, the app (a check-in), the console or the admin API; a service contact and a
 * note only from staff channels. A bulk import reports nothing.
 */
export const CHANNELS_FOR_KIND: Readonly<Partial<Record<InteractionKind, readonly WriteOrigin[]>>> = {
  PRODUCT_VIEWED: ['WEB', 'APP'],
  CART_UPDATED: ['WEB', 'APP'],
  WISHLIST_ADDED: ['WEB', 'APP'],
  STORE_VISIT: ['STORE', 'APP', 'CONSOLE', 'ADMIN'],
  SERVICE_CONTACT: STAFF,
  NOTE: STAFF,
};

/** Kinds about one product: they name its SKU. */
const NEEDS_SKU: readonly InteractionKind[] = ['PRODUCT_VIEWED', 'WISHLIST_ADDED'];
/** Kinds that are an agent's account of a contact: they carry a note. */
const NEEDS_NOTE: readonly InteractionKind[] = ['SERVICE_CONTACT', 'NOTE'];
/** Kinds that may carry a note (her own browsing never does: no free text from the shop lands here). */
const MAY_NOTE: readonly InteractionKind[] = ['SERVICE_CONTACT', 'NOTE', 'STORE_VISIT'];

/**
 * What a channel reports: her profile id (merges are followed), the kind, the product (a SKU of the
 * catalogue), where (a location id; a store terminal's own store when omitted), and an agent's note.
 */
export interface InteractionInput {
  customerId: string;
  kind: InteractionKind;
  sku?: string | null;
  locationId?: string | null;
  note?: string | null;
}

/**
 * The reported interaction, validated: `customerId` a UUID, `kind` one of {@link REPORTED_KINDS} (the hub's
 * own kinds are refused: only the hub writes them), `sku` and `locationId` of the hub's identifier form,
 * `note` an agent's text over one or more lines (no other control and no bidirectional formatting characters;
 * `\r\n` stored as `\n`; trimmed, 1–2000 characters).
 * A product view and a wishlist entry name their SKU; a service contact and a note carry a note; the shop's
 * own kinds (views, cart, wishlist) carry none. Refusals are BAD_USER_INPUT through `parseInput`.
 */
export const InteractionInputSchema: z.ZodType<InteractionInput> = z
  .strictObject({
    customerId: UuidSchema,
    kind: InteractionKindSchema,
    sku: SkuSchema.nullish(),
    locationId: LocationIdSchema.nullish(),
    note: noteText(MAX_NOTE_LENGTH).nullish(),
  })
  .superRefine((i, ctx) => {
    if (!REPORTED_KINDS.includes(i.kind)) {
      ctx.addIssue({
        code: 'custom',
        path: ['kind'],
        message: `${i.kind} is written by the hub itself; a channel reports ${REPORTED_KINDS.join(', ')}`,
      });
      return;
    }
    if (NEEDS_SKU.includes(i.kind) && !i.sku)
      ctx.addIssue({ code: 'custom', path: ['sku'], message: `${i.kind} names the product's SKU` });
    if (NEEDS_NOTE.includes(i.kind) && !i.note)
      ctx.addIssue({ code: 'custom', path: ['note'], message: `${i.kind} carries the agent's note` });
    if (!MAY_NOTE.includes(i.kind) && i.note)
      ctx.addIssue({ code: 'custom', path: ['note'], message: `${i.kind} carries no note` });
  });
