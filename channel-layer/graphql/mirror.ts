/**
 * The channel mirror: what each selling channel answers the same question about one SKU (for one customer, at
 * one store, to one destination), side by side, with the verdict whether they agree. Each pane is produced by
 * exactly the path a real client of that channel takes for `offer` — the policy's decision for that caller,
 * then offerAnswer (the same pricing, read model and fingerprint) in that caller's context — so an identical
 * verdict means the channels truly agree.
 */
import { listLocations } from '../../backoffice-layer/index.js';
import { DomainError, grantsArea, sha256 } from '../../shared/index.js';
import { callerOf, checkAccess, customerNamed } from '../access/require-access.js';
import type { ChannelClient } from '../clients/clients.js';
import { loyaltyAnswer, offerAnswer, type OfferArgs } from './answers.js';
import { contextOf, type GraphqlContext } from './context.js';
import type { offerView } from './views.js';

/** The selling channels the mirror shows, in pane order. */
export const MIRROR_CHANNELS = ['WEB', 'APP', 'STORE', 'CALL_CENTER'] as const;
type MirrorChannel = (typeof MIRROR_CHANNELS)[number];

/** `channelMirror`'s (and `channelMirrorChanged`'s) arguments: `offer`'s. */
export type MirrorArgs = OfferArgs;

/** GraphQL `MirrorPane`: one channel's answer, or the error it was given instead (offer null then). */
export interface MirrorPane {
  channel: MirrorChannel;
  offer: ReturnType<typeof offerView> | null;
  loyalty: Awaited<ReturnType<typeof loyaltyAnswer>> | null;
  revision: number;
  fingerprint: string;
  error: string | null;
}

/** GraphQL `ChannelMirror`: the four panes, whether they all agree, and the newest revision among them. */
export interface ChannelMirror {
  panes: MirrorPane[];
  identical: boolean;
  revision: number;
}

/** How often the panes are asked again when a commit landed between them (so they answer at one revision). */
const SAME_REVISION_ATTEMPTS = 3;

/**
 * The caller of one pane: a client of `channel` in the console's market (its currency), at `store` for a
 * terminal, and — web and app — signed in as the customer asked about (her customer token), as a real client
 * of that channel asking the same question would be. Its id is the console's: nothing is written in its name.
 */
function paneContext(
  ctx: GraphqlContext,
  channel: MirrorChannel,
  store: string | null,
  customerId: string | null,
): GraphqlContext {
  const client: ChannelClient = {
    id: ctx.client.id,
    name: `${ctx.client.name} as ${channel}`,
    channel,
    locationId: channel === 'STORE' ? store : null,
    scopes: [],
    currency: ctx.client.currency,
  };
  const signedIn = channel === 'WEB' || channel === 'APP' ? customerId : null;
  return contextOf(ctx.deps, ctx.readModel, { client, customerId: signedIn });
}

/** The answer a pane shows when its channel was refused or failed: its fingerprint is the error's. */
class PaneError {
  constructor(readonly error: DomainError) {}
}

/**
 * One channel's answer: the policy asked for that caller (writing nothing: the console's own `mirror` check
 * put the read on record), then offerAnswer — and, with a customer and `withLoyalty` (the console key may
 * read customers), her loyalty as `Customer.loyalty` answers it.
 */
async function paneAnswer(
  ctx: GraphqlContext,
  args: OfferArgs,
  withLoyalty: boolean,
): Promise<Pick<MirrorPane, 'offer' | 'loyalty'> | PaneError> {
  const customerId = args.customerId ?? null;
  try {
    await checkAccess(ctx, { act: 'offer.for-customer', on: customerNamed(customerId) });
    const offer = await offerAnswer(ctx, args);
    if (!customerId || !withLoyalty) return { offer, loyalty: null };
    await checkAccess(ctx, { act: 'customer.read', on: customerNamed(customerId) });
    return { offer, loyalty: await loyaltyAnswer(ctx, customerId) };
  } catch (e) {
    if (e instanceof DomainError) return new PaneError(e);
    throw e;
  }
}

/**
 * The channel mirror for `args` (see the module): WEB, APP, STORE (at `locationId`, else the first store by
 * id) and CALL_CENTER, each asked the same question — the same SKU, customer, location and destination, at
 * least at `minRevision`. Panes that answered at different revisions (a commit landed between them) are asked
 * again at the newest, up to three times. `identical`: every pane answered, with one fingerprint (an offer's
 * fingerprint covers its revision). A pane whose channel was refused or failed carries the error and the
 * error's fingerprint (a hub without any store: the STORE pane's NOT_FOUND).
 * @throws the error every pane was given, when all four were given one of the same code (an unknown SKU or
 *   customer, a `minRevision` ahead of the hub, bad input): the question itself is wrong; NOT_FOUND for an
 *   unknown `locationId`, BAD_USER_INPUT for one that is no store (a terminal stands in a store).
 */
export async function channelMirror(
  ctx: GraphqlContext,
  args: MirrorArgs,
  minRevision?: number,
): Promise<ChannelMirror> {
  const customerId = args.customerId ?? null;
  const locations = await listLocations(ctx.deps.db);
  if (args.locationId) {
    // The store terminal stands in the store named: a warehouse, or no location at all, is a wrong question.
    const named = locations.find((l) => l.id === args.locationId);
    if (!named) throw new DomainError('NOT_FOUND', `No location ${args.locationId}`, {});
    if (named.kind !== 'STORE')
      throw new DomainError(
        'BAD_USER_INPUT',
        `${named.id} (${named.name}) is not a store but a warehouse: a store terminal stands in a store`,
        { issues: [{ path: 'locationId', message: 'not a store' }] },
      );
  }
  const store =
    args.locationId ??
    locations
      .filter((l) => l.kind === 'STORE')
      .map((l) => l.id)
      .sort()[0] ??
    null;
  const contexts = MIRROR_CHANNELS.map((channel) => ({
    channel,
    ctx: paneContext(ctx, channel, store, customerId),
  }));
  // Every pane asks the same question: the store the terminal is at is the location every channel names.
  const question: OfferArgs = { ...args, locationId: store };
  // Her loyalty is her profile's: shown only to a console key that may read customers (as customer(id)).
  const grants = callerOf(ctx).console;
  const withLoyalty = !grants || grantsArea(grants, 'customers', false);
  let at = Math.max(minRevision ?? 0, args.minRevision ?? 0) || undefined;
  let answers: Array<Awaited<ReturnType<typeof paneAnswer>>> = [];
  for (let attempt = 0; attempt < SAME_REVISION_ATTEMPTS; attempt++) {
    answers = await Promise.all(
      contexts.map((c) =>
        c.channel === 'STORE' && store === null
          ? new PaneError(new DomainError('NOT_FOUND', 'No store for a terminal to stand in', {}))
          : paneAnswer(c.ctx, { ...question, ...(at !== undefined ? { minRevision: at } : {}) }, withLoyalty),
      ),
    );
    const revisions = new Set(
      answers.flatMap((a) => (a instanceof PaneError || !a.offer ? [] : [a.offer.revision])),
    );
    if (revisions.size <= 1) break;
    at = Math.max(...revisions);
  }
  const errors = answers.filter((a): a is PaneError => a instanceof PaneError);
  if (errors.length === answers.length && errors.every((e) => e.error.code === errors[0]!.error.code))
    throw errors[0]!.error;
  const revision = Math.max(
    at ?? 0,
    ...answers.map((a) => (a instanceof PaneError || !a.offer ? 0 : a.offer.revision)),
  );
  const panes: MirrorPane[] = answers.map((a, i) => {
    const channel = contexts[i]!.channel;
    if (a instanceof PaneError)
      return {
        channel,
        offer: null,
        loyalty: null,
        revision,
        fingerprint: sha256(`error:${a.error.code}:${a.error.message}`),
        error: `${a.error.code}: ${a.error.message}`,
      };
    return {
      channel,
      offer: a.offer,
      loyalty: a.loyalty,
      revision: a.offer!.revision,
      fingerprint: a.offer!.fingerprint,
      error: null,
    };
  });
  const identical = panes.every((p) => p.error === null && p.fingerprint === panes[0]!.fingerprint);
  return { panes, identical, revision };
}

/**
 * What a mirror push is compared by (pushed only when it changed): each pane's offer content (price,
 * availability, product, delivery), loyalty (without its revision) and error, and the verdict.
 */
export function mirrorContent(m: ChannelMirror): string {
  return JSON.stringify({
    identical: m.identical,
    panes: m.panes.map((p) => ({
      channel: p.channel,
      offer: p.offer && {
        price: p.offer.price,
        availability: p.offer.availability,
        product: p.offer.product,
        delivery: p.offer.delivery,
      },
      loyalty: p.loyalty && { ...p.loyalty, revision: undefined },
      error: p.error,
    })),
  });
}
