/**
 * The customer journey in the channel API (docs/API.md "Customer journey"): the `Customer` fields of her
 * journey (timeline, data use, history, segments, preferences, identifiers, attributes, next best offers),
 * the `Interaction` type's location, and the journey's mutations. Every field asks the access policy with
 * the customer as the resource (require-access.ts): a store terminal that may read her reads these too, on
 * record; a web or app client only with her customer token.
 */
import { listLocations } from '../../backoffice-layer/index.js';
import {
  ContactPreferencesInputSchema,
  customerSegments,
  getContactPreferences,
  getCustomer,
  getMerge,
  listDataUse,
  listTimeline,
  mergeCustomers,
  nextBestOffers,
  profileHistory,
  recordInteraction,
  checkInteraction,
  setContactPreferences,
  unlinkIdentifier,
  unmergeCustomers,
  updateCustomerProfile,
  type ContactPreferencesInput,
  type CustomerAttributes,
  type CustomerView,
  type InteractionInput,
  type IdentifierKind,
  type InteractionView,
} from '../../journey-layer/index.js';
import { DomainError, parseInput } from '../../shared/index.js';
import type { Act, ResourceOf } from '../access/policy.js';
import {
  checkAccess,
  customerNamed,
  requireAccess,
  withAccess,
  type Check,
} from '../access/require-access.js';
import type { GraphqlContext } from './context.js';
import { clientActor } from '../clients/clients.js';
import { checkedKey, clientKey } from './keys.js';
import { money } from './views.js';

type LocationRow = Awaited<ReturnType<typeof listLocations>>[number];

/** A `Customer` as the resolvers hold it: at least her (live) profile id, usually her whole profile. */
type CustomerSource = { id: string } & Partial<CustomerView>;

/** Her whole profile: the one the resolver holds, else read (NOT_FOUND when she is gone since). */
async function profileOf(c: CustomerSource, ctx: GraphqlContext): Promise<CustomerView> {
  if (c.identifiers && c.attributes && c.consents) return c as CustomerView;
  const view = await getCustomer(ctx.deps.db, c.id);
  if (!view) throw new DomainError('NOT_FOUND', `No customer ${c.id}`, { customerId: c.id });
  return view;
}

/** Staff channels see what staff wrote (an agent's note); the customer's own web and app do not. */
const isStaff = (ctx: GraphqlContext) => ctx.client.channel !== 'WEB' && ctx.client.channel !== 'APP';

/** The acts about a customer as such (her profile and journey). */
type CustomerAct = { [A in Act]: ResourceOf<A>['kind'] extends 'customer' ? A : never }[Act];

/** The question whether the caller may `act` on her. */
const onHer = (act: CustomerAct, customerId: string): Check =>
  ({ act, on: customerNamed(customerId) }) as Check;

/** Asks the policy whether the caller may read `act` of hers (FORBIDDEN otherwise); staff on record. */
const mayAct = (ctx: GraphqlContext, act: CustomerAct, customerId: string) =>
  requireAccess(ctx, onHer(act, customerId));

/**
 * Writes `act` of hers through `write` when the policy allows it (FORBIDDEN otherwise): staff on the audit
 * trail before, in her data use only once the write succeeded (see withAccess).
 * @returns what `write` answered.
 * @throws FORBIDDEN; whatever `write` throws.
 */
export const actOn = <T>(
  ctx: GraphqlContext,
  act: CustomerAct,
  customerId: string,
  write: () => Promise<T>,
): Promise<T> => withAccess(ctx, [onHer(act, customerId)], write);

/** Who acts, as the profile history and the timeline record it: the channel client (clientActor). */
export const journeyActor = (ctx: GraphqlContext): string => clientActor(ctx.client);

/** The hub's locations, read once per request, by id. */
const locationsLoaded = new WeakMap<GraphqlContext, Promise<Map<string, LocationRow>>>();
function locationsOf(ctx: GraphqlContext): Promise<Map<string, LocationRow>> {
  let loaded = locationsLoaded.get(ctx);
  if (!loaded) {
    loaded = listLocations(ctx.deps.db).then((all) => new Map(all.map((l) => [l.id, l])));
    locationsLoaded.set(ctx, loaded);
  }
  return loaded;
}

/** GraphQL `Interaction`: as the timeline answers it, its note only to staff channels. */
export type InteractionSource = Omit<InteractionView, 'note'> & { note: string | null };
function interactionOf(ctx: GraphqlContext, i: InteractionView): InteractionSource {
  return { ...i, note: isStaff(ctx) ? i.note : null };
}

/** The `Interaction` type's computed field: the location it happened at (null when none, or unknown). */
export const interactionFieldResolvers = {
  location: async (i: InteractionSource, _a: unknown, ctx: GraphqlContext) => {
    if (!i.locationId) return null;
    return (await locationsOf(ctx)).get(i.locationId) ?? null;
  },
};

/**
 * The `Customer` type's journey fields. Each asks the policy its own act first (field-level access).
 * @throws FORBIDDEN (per field); BAD_USER_INPUT for a bad `first` or cursor.
 */
export const customerJourneyResolvers = {
  /** The revision her profile was last written at (no act: it says nothing about her). */
  revision: async (c: CustomerSource, _a: unknown, ctx: GraphqlContext) =>
    c.revision ?? (await profileOf(c, ctx)).revision,
  /** Her identifiers (e-mail, phone, loyalty card, app account), the channel that added each, and when. */
  identifiers: async (c: CustomerSource, _a: unknown, ctx: GraphqlContext) => {
    await mayAct(ctx, 'customer.read', c.id);
    return (await profileOf(c, ctx)).identifiers.map((i) => ({
      kind: i.kind,
      value: i.value,
      channel: i.channel,
      addedAt: i.createdAt,
    }));
  },
  /** Her profile facts by name, each value as JSON text, with the channel that set it and when. */
  attributes: async (c: CustomerSource, _a: unknown, ctx: GraphqlContext) => {
    await mayAct(ctx, 'customer.read', c.id);
    return Object.entries((await profileOf(c, ctx)).attributes)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([name, a]) => ({
        name,
        value: JSON.stringify(a.value),
        channel: a.channel,
        changedAt: a.changedAt,
      }));
  },
  /** Her timeline, newest first: `first` 1–200 after the cursor `after`, only `kinds` when given. */
  timeline: async (
    c: CustomerSource,
    a: { first: number; after?: string | null; kinds?: InteractionInput['kind'][] | null },
    ctx: GraphqlContext,
  ) => {
    await mayAct(ctx, 'customer.timeline', c.id);
    const page = await listTimeline(ctx.deps.db, c.id, {
      first: a.first,
      after: a.after ?? null,
      kinds: a.kinds ?? null,
    });
    return {
      nodes: page.items.map((i) => interactionOf(ctx, i)),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      revision: page.revision,
    };
  },
  /** How she wants to be contacted: per contact channel, the topics she wants there and how often at most. */
  preferences: async (c: CustomerSource, _a: unknown, ctx: GraphqlContext) => {
    await mayAct(ctx, 'customer.preferences', c.id);
    return getContactPreferences(ctx.deps.db, c.id);
  },
  /** The segments she is in, since when and why: none without her PROFILING consent. */
  segments: async (c: CustomerSource, _a: unknown, ctx: GraphqlContext) => {
    await mayAct(ctx, 'customer.segments', c.id);
    return customerSegments(ctx.deps.db, c.id);
  },
  /**
   * What to offer her next (`first` 1–20), priced as her offers are — this node's read model, the caller's
   * market currency — at `locationId`, a store terminal's own store by default (null elsewhere: online).
   * Equal in every channel at equal revision.
   */
  nextBestOffers: async (
    c: CustomerSource,
    a: { locationId?: string | null; first: number; minRevision?: number | null },
    ctx: GraphqlContext,
  ) => {
    await mayAct(ctx, 'customer.next-best-offers', c.id);
    const answer = await nextBestOffers(ctx.deps, {
      customerId: c.id,
      locationId: a.locationId ?? ctx.client.locationId ?? null,
      first: a.first,
      readModel: ctx.readModel,
      currency: ctx.market,
      ...(a.minRevision != null ? { minRevision: a.minRevision } : {}),
    });
    return answer.items.map((o) => ({
      ...o,
      saving: o.saving ? money(o.saving.amount, o.saving.currency) : null,
    }));
  },
  /** The newest `first` (1–500) corrections of her profile: field, old and new value, channel and actor. */
  history: async (c: CustomerSource, a: { first: number }, ctx: GraphqlContext) => {
    await mayAct(ctx, 'customer.history', c.id);
    return profileHistory(ctx.deps.db, c.id, { first: a.first });
  },
  /** Who read or used her data, newest first: `first` 1–200 after the cursor `after`. */
  dataUse: async (c: CustomerSource, a: { first: number; after?: string | null }, ctx: GraphqlContext) => {
    await mayAct(ctx, 'customer.data-use', c.id);
    const page = await listDataUse(ctx.deps.db, c.id, { first: a.first, after: a.after ?? null });
    return {
      edges: page.items.map(({ cursor, ...node }) => ({ node, cursor })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    };
  },
};

/**
 * The journey's `Mutation` resolvers: each checks its input with the domain's schema, asks the policy before
 * it writes, writes through `withAccess` (a staff act in her data use only once it succeeded), and acts as
 * `client:<id>` through the caller's channel.
 */
export const journeyMutationResolvers = {
  /**
   * `recordInteraction(input, idempotencyKey)`: what she did, reported by the channel (a web or app client
   * only for its signed-in customer; a store terminal at its own store).
   * @throws BAD_USER_INPUT, NOT_FOUND, FORBIDDEN, RATE_LIMITED, CONFLICT (the key used with another request).
   */
  recordInteraction: async (
    _: unknown,
    a: { input: InteractionInput; idempotencyKey: string },
    ctx: GraphqlContext,
  ): Promise<InteractionSource> => {
    const idempotencyKey = checkedKey(a.idempotencyKey);
    // Refused input, kinds and stores are refused before the access check puts a staff act on record.
    checkInteraction(a.input, { channel: ctx.client.channel, locationId: ctx.client.locationId });
    return actOn(ctx, 'customer.record-interaction', a.input.customerId, async () => {
      // The timeline scopes the key to the client itself (`<client id>:<key>`), as every channel write is.
      const { interaction } = await recordInteraction(ctx.deps, a.input, {
        channel: ctx.client.channel,
        clientId: ctx.client.id,
        locationId: ctx.client.locationId,
        actor: journeyActor(ctx),
        idempotencyKey,
      });
      return interactionOf(ctx, interaction);
    });
  },
  /**
   * `updateProfile(customerId, input)`: corrects her display name and attributes (a field left out stays,
   * null removes it); the `segments` attribute (it prices her) only through the call center and console.
   * @throws BAD_USER_INPUT, NOT_FOUND, FORBIDDEN.
   */
  updateProfile: async (
    _: unknown,
    a: {
      customerId: string;
      input: { displayName?: string | null; attributes?: CustomerAttributes | null };
    },
    ctx: GraphqlContext,
  ): Promise<CustomerView> => {
    const { displayName, attributes } = a.input;
    const update = {
      ...(displayName !== undefined ? { displayName } : {}),
      ...(attributes ? { attributes } : {}),
    };
    return withAccess(
      ctx,
      [
        onHer('customer.update-profile', a.customerId),
        ...(attributes && 'segments' in attributes ? [onHer('customer.assign-segments', a.customerId)] : []),
      ],
      async () =>
        (await updateCustomerProfile(ctx.deps, a.customerId, update, ctx.client.channel, journeyActor(ctx)))
          .customer,
    );
  },
  /**
   * `setPreferences(customerId, input)`: replaces her preferences for each contact channel named (the others
   * stay); each change lands in her history.
   * @throws BAD_USER_INPUT, NOT_FOUND, FORBIDDEN.
   */
  setPreferences: async (
    _: unknown,
    a: { customerId: string; input: ContactPreferencesInput },
    ctx: GraphqlContext,
  ): Promise<CustomerView> => {
    // A malformed input is refused before the staff act is put on record in her data use.
    parseInput(ContactPreferencesInputSchema, a.input, 'input');
    return actOn(
      ctx,
      'customer.preferences',
      a.customerId,
      async () =>
        (
          await setContactPreferences(ctx.deps, a.customerId, a.input, {
            channel: ctx.client.channel,
            actor: journeyActor(ctx),
          })
        ).customer,
    );
  },
  /**
   * `unlinkIdentifier(customerId, kind, value)`: removes one of her identifiers (the value as typed).
   * @throws BAD_USER_INPUT, NOT_FOUND (also when it is not hers), FORBIDDEN.
   */
  unlinkIdentifier: async (
    _: unknown,
    a: { customerId: string; kind: IdentifierKind; value: string },
    ctx: GraphqlContext,
  ): Promise<CustomerView> => {
    const { customerId, ...link } = a;
    return actOn(
      ctx,
      'customer.unlink-identifier',
      customerId,
      async () =>
        (
          await unlinkIdentifier(
            ctx.deps,
            customerId,
            { ...link, channel: ctx.client.channel },
            journeyActor(ctx),
          )
        ).customer,
    );
  },
  /**
   * `mergeCustomers(survivorId, mergedId, idempotencyKey)`: the call center or console finds two profiles of
   * one person; everything moves to the survivor (both profiles checked; idempotent per client and key).
   * @throws BAD_USER_INPUT, NOT_FOUND, FORBIDDEN, CONFLICT (already one; the key used with another request).
   */
  mergeCustomers: async (
    _: unknown,
    a: { survivorId: string; mergedId: string; idempotencyKey: string },
    ctx: GraphqlContext,
  ) => {
    const key = checkedKey(a.idempotencyKey);
    return withAccess(
      ctx,
      [onHer('customer.merge', a.survivorId), onHer('customer.merge', a.mergedId)],
      async () => {
        const r = await mergeCustomers(
          ctx.deps,
          { survivorId: a.survivorId, mergedId: a.mergedId },
          ctx.client.channel,
          [],
          { actor: journeyActor(ctx), idempotencyKey: clientKey(ctx, key) },
        );
        return { mergeId: r.mergeId, survivor: r.customer, revision: r.revision };
      },
    );
  },
  /**
   * `unmergeCustomers(mergeId)`: the call center or console undoes a merge within 30 days (the surviving
   * profile checked); answers the survivor, then the restored profile.
   * @throws NOT_FOUND (no such merge), FORBIDDEN, CONFLICT (undone already, too old, or no longer undoable).
   */
  unmergeCustomers: async (_: unknown, a: { mergeId: string }, ctx: GraphqlContext) => {
    // Whether this caller undoes merges at all, before it learns whether there is one.
    await checkAccess(ctx, { act: 'customer.unmerge', on: customerNamed(null) });
    const merge = await getMerge(ctx.deps.db, a.mergeId);
    if (!merge) throw new DomainError('NOT_FOUND', `No merge ${a.mergeId}`, { mergeId: a.mergeId });
    return actOn(
      ctx,
      'customer.unmerge',
      merge.survivorId,
      async () =>
        (
          await unmergeCustomers(ctx.deps, merge.mergeId, {
            channel: ctx.client.channel,
            actor: journeyActor(ctx),
          })
        ).customers,
    );
  },
};
