import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { getLocation, getProduct } from '../../backoffice-layer/index.js';
import {
  DomainError,
  luaScript,
  parseInput,
  runWrite,
  type Redis,
  type WriteOrigin,
} from '../../shared/index.js';
import { lockLiveCustomer } from '../customers/customer-reads.js';
import type { JourneyDeps } from '../journey-deps.js';
import type { Executor, InteractionKind } from '../tables.js';
import { CHANNELS_FOR_KIND, InteractionInputSchema, type InteractionInput } from './interaction.schema.js';
import { fitSummary, named, placeOf } from './summary.js';
import type { InteractionView } from './timeline-reads.js';

/**
 * Most interactions the channels may report for one customer in one minute (a fixed window per clock
 * minute, counted in Redis under her profile's keys). Far above what a person does (a page view every
 * half second); a client looping on one customer is refused with RATE_LIMITED until the minute ends. Only
 * calls that record something count: a refused, failed or replayed call does not.
 */
export const INTERACTIONS_PER_CUSTOMER_PER_MINUTE = 120;
const WINDOW_MS = 60_000;

/** The idempotency scope of a reported interaction (keys are per client: `<client id or actor>:<key>`). */
export const RECORD_INTERACTION_SCOPE = 'record-interaction';

/** Who reports an interaction, and how: see {@link recordInteraction}. */
export interface RecordInteractionOptions {
  channel: WriteOrigin;
  /** The channel client reporting it; null for the admin API. */
  clientId: string | null;
  /** A store terminal's own store (its interactions are there); null for other clients. */
  locationId: string | null;
  /** `client:<id>` or `admin:<name>`, recorded with the interaction. */
  actor: string;
  idempotencyKey: string;
}

// Takes a slot in the window when one is free (so a refused call never counts); ARGV: ttl s, limit.
const takeSlot = luaScript(`local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
  if n > tonumber(ARGV[2]) then redis.call('DECR', KEYS[1]) return 0 end return 1`);
// Gives a slot back (a call that then failed or was a replay), unless the window has ended meanwhile.
const giveSlot = luaScript(`if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECR', KEYS[1]) end
  return 1`);

/**
 * Her slot in the current minute's window (`key` the window's Redis key, to give it back), or the seconds
 * until the next window when this one is full.
 */
async function takeRateSlot(
  redis: Redis,
  prefix: string,
  now: Date,
): Promise<{ taken: boolean; key: string; retryAfterSeconds: number }> {
  const window = Math.floor(now.getTime() / WINDOW_MS);
  const key = `${prefix}:${window}`;
  const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now.getTime()) / 1000));
  // Redis failing lets the call through, as the Gate's own rate limit does: it guards, it does not gate.
  const taken = await takeSlot(
    redis,
    [key],
    [Math.ceil((2 * WINDOW_MS) / 1000), INTERACTIONS_PER_CUSTOMER_PER_MINUTE],
  ).catch(() => 1);
  return { taken: Number(taken) === 1, key, retryAfterSeconds };
}

/** The rate window key of her profile: under `<prefix>:customer:<id>`, so erasure's key scrub removes it. */
function rateKey(deps: Pick<JourneyDeps, 'redisPrefix'>, customerId: string): string {
  return `${deps.redisPrefix}:customer:${customerId}:interactions`;
}

/**
 * Records what a channel reports of a customer — a product viewed, the cart updated, a wishlist entry, a
 * store visit, a service contact or a note — on her timeline, at the clock's instant, in one write: the row
 * (source `client:<client id or actor>:<key>`, stamped with the write's revision) and the event
 * `interaction.recorded` { customerId, interactionId, kind }. Her id is followed through merges to her live
 * profile, which is locked first (so it serialises with her erasure). Which channel may report which kind:
 * {@link CHANNELS_FOR_KIND}. A store terminal's interaction is at its own store (`opts.locationId`, the
 * default); a store visit names a store. The summary is made from the catalogue (`Viewed SKU-1 (Winter
 * coat)`), never from the note. Idempotent per (client, key): a replay answers the first interaction. At
 * most {@link INTERACTIONS_PER_CUSTOMER_PER_MINUTE} per customer per clock minute.
 * @returns the interaction and the revision that committed it.
 * @throws BAD_USER_INPUT (invalid input, a hub-only kind, a store visit without a store); NOT_FOUND (an
 *   unknown or erased customer, an unknown SKU or location); FORBIDDEN (a kind this channel may not report,
 *   another store than the terminal's); RATE_LIMITED (details `retryAfterSeconds`); CONFLICT (the key was
 *   used with another request).
 */
export async function recordInteraction(
  deps: JourneyDeps,
  raw: InteractionInput,
  opts: RecordInteractionOptions,
): Promise<{ interaction: InteractionView; revision: number }> {
  const input = parseInput(InteractionInputSchema, raw, 'input');
  const { channel } = opts;
  if (!CHANNELS_FOR_KIND[input.kind]?.includes(channel))
    throw new DomainError('FORBIDDEN', `The ${channel} channel may not report ${input.kind}`, {
      kind: input.kind,
      channel,
    });
  const terminalStore = channel === 'STORE' ? opts.locationId : null;
  const locationId = input.locationId ?? terminalStore ?? null;
  if (terminalStore && locationId !== terminalStore)
    throw new DomainError('FORBIDDEN', `A terminal of store ${terminalStore} records only its own store`, {
      locationId,
    });
  const key = `${opts.clientId ?? opts.actor}:${opts.idempotencyKey}`;
  const request = { ...input, locationId, channel };
  // A replay is answered before any of this runs (nothing counted); a call refused in here rolls back with
  // its key and gives its rate slot back: only a recorded interaction counts.
  let slot: string | null = null;
  try {
    const { result, revision } = await runWrite(
      deps,
      async (w) => {
        const liveId = await lockProfile(w.tx, input.customerId);
        // Her rate slot is asked for while the catalogue is read (one round trip less); should the call then
        // be refused, the slot is given back below.
        const [product, location, taken] = await Promise.all([
          input.sku ? getProduct(w.tx, input.sku) : null,
          locationId ? getLocation(w.tx, locationId) : null,
          takeRateSlot(deps.redis, rateKey(deps, liveId), w.now).then((t) => {
            if (t.taken) slot = t.key;
            return t;
          }),
        ]);
        if (input.sku && !product)
          throw new DomainError('NOT_FOUND', `Unknown SKU: ${input.sku}`, { skus: [input.sku] });
        if (locationId && !location)
          throw new DomainError('NOT_FOUND', `Unknown location: ${locationId}`, { locationId });
        if (input.kind === 'STORE_VISIT' && location?.kind !== 'STORE')
          throw new DomainError('BAD_USER_INPUT', 'A store visit names the store (locationId)', {
            locationId,
          });
        if (!taken.taken)
          throw new DomainError(
            'RATE_LIMITED',
            `At most ${INTERACTIONS_PER_CUSTOMER_PER_MINUTE} interactions per customer per minute`,
            { retryAfterSeconds: taken.retryAfterSeconds },
          );
        const summary = fitSummary(
          summarise(input.kind, channel, {
            product: input.sku ? named(input.sku, product?.name) : null,
            location: locationId ? named(locationId, location?.name) : null,
          }),
        );
        const row = {
          id: randomUUID(),
          kind: input.kind,
          channel,
          at: w.now.toISOString(),
          locationId,
          sku: input.sku ?? null,
          orderId: null,
          summary,
          note: input.note ?? null,
        };
        w.atRevisionSql(
          (rev) => sql`INSERT INTO customer_interactions
            (id, customer_id, kind, channel, location_id, sku, order_id, summary, note, actor, source,
             occurred_at, revision)
            VALUES (${row.id}::uuid, ${liveId}::uuid, ${row.kind}, ${channel}, ${row.locationId}, ${row.sku},
              NULL, ${summary}, ${row.note}, ${opts.actor}, ${`client:${key}`}, ${w.now}, ${rev})`,
        );
        w.emit({
          type: 'interaction.recorded',
          aggregateType: 'customer',
          aggregateId: liveId,
          payload: { customerId: liveId, interactionId: row.id, kind: row.kind },
        });
        return row;
      },
      { idempotency: { scope: RECORD_INTERACTION_SCOPE, key, request } },
    );
    return { interaction: { ...result, revision }, revision };
  } catch (e) {
    const taken: string | null = slot;
    if (taken !== null) await giveSlot(deps.redis, [taken], []).catch(() => undefined);
    throw e;
  }
}

/**
 * Her live profile, its row share-locked until the write ends: her erasure (which locks it for update) waits
 * for the interaction or comes first and leaves nobody (NOT_FOUND), while her own interactions, each taking
 * the share lock, do not queue behind one another. A merged profile is followed to the survivor (locked as
 * `lockLiveCustomer` does).
 */
async function lockProfile(tx: Executor, customerId: string): Promise<string> {
  const row = await tx
    .selectFrom('customers')
    .select('status')
    .where('id', '=', customerId)
    .forShare()
    .executeTakeFirst();
  return row?.status === 'ACTIVE' ? customerId : lockLiveCustomer(tx, customerId);
}

/** The plain-English line of a reported interaction (never its note). */
function summarise(
  kind: InteractionKind,
  channel: string,
  about: { product: string | null; location: string | null },
): string {
  const { product, location } = about;
  const at = location ? ` at ${location}` : '';
  switch (kind) {
    case 'PRODUCT_VIEWED':
      return `Viewed ${product ?? 'a product'}${at}`;
    case 'CART_UPDATED':
      return product ? `Updated the cart: ${product}${at}` : `Updated the cart${at}`;
    case 'WISHLIST_ADDED':
      return `Added ${product ?? 'a product'} to the wishlist${at}`;
    case 'STORE_VISIT':
      return `Visited the store ${location ?? ''}${channel === 'APP' ? ' (checked in with the app)' : ''}`;
    case 'SERVICE_CONTACT':
      return `Service contact ${placeOf(channel, location)}${product ? ` about ${product}` : ''}`;
    default:
      return `Note ${placeOf(channel, location)}${product ? ` about ${product}` : ''}`;
  }
}
