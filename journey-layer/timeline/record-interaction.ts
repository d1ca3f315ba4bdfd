import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import {
  getLocation,
  getProduct,
  type LocationView,
  type ProductView,
} from '../../backoffice-layer/index.js';
import {
  DomainError,
  luaScript,
  parseInput,
  requestHash,
  runWrite,
  type Redis,
  type WriteContext,
  type WriteOrigin,
} from '../../shared/index.js';
import { lockLiveCustomer } from '../customers/customer-reads.js';
import type { JourneyDeps } from '../journey-deps.js';
import type { InteractionKind, JourneyDB } from '../tables.js';
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

/** What {@link recordInteraction} answers: the interaction and the revision that committed it. */
export interface RecordedInteraction {
  interaction: InteractionView;
  revision: number;
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

/** Gives the slots of calls that recorded nothing back (a Redis failure is let pass, as when taking one). */
async function giveSlotsBack(redis: Redis, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((k) => giveSlot(redis, [k], []).catch(() => undefined)));
}

/** The rate window key of her profile: under `<prefix>:customer:<id>`, so erasure's key scrub removes it. */
function rateKey(deps: Pick<JourneyDeps, 'redisPrefix'>, customerId: string): string {
  return `${deps.redisPrefix}:customer:${customerId}:interactions`;
}

/** One call, validated and checked against its channel: what it asks to record, under which key. */
interface Ask {
  deps: JourneyDeps;
  input: InteractionInput;
  channel: WriteOrigin;
  locationId: string | null;
  actor: string;
  /** `<client id or actor>:<idempotency key>`. */
  key: string;
  /** The request the key remembers (a replay must hash the same). */
  request: unknown;
  resolve(r: RecordedInteraction): void;
  reject(e: unknown): void;
}

/** A reported interaction as written (the idempotent answer: the view without its revision). */
type Recorded = Omit<InteractionView, 'revision'>;
/** Its row: whose it is, who reported it, its source, and the key its answer is stored under. */
type WrittenRow = Recorded & { customerId: string; actor: string; source: string; key: string };

/**
 * What one transaction decided for its calls: those recorded, those refused (with their error), those whose
 * key was claimed before (answered from it after the commit), and those to run again in a transaction of
 * their own (a merged profile to follow, a key asked twice in the group).
 */
interface Decision {
  recorded: Array<{ ask: Ask; row: Recorded }>;
  refused: Array<{ ask: Ask; error: unknown }>;
  keyUsedBefore: Ask[];
  alone: Ask[];
}

/**
 * What `recordInteraction` checks before it touches anything, for an entrance that must refuse early (the
 * channel API, before it puts a staff act on record): the input against {@link InteractionInputSchema}, the
 * kind against the channel ({@link CHANNELS_FOR_KIND}), and a store terminal's store (`opts.locationId`,
 * the default location; another store is refused).
 * @returns the validated input and the location the interaction is at (null: none).
 * @throws BAD_USER_INPUT (invalid input); FORBIDDEN (a kind this channel may not report, another store).
 */
export function checkInteraction(
  raw: unknown,
  opts: { channel: WriteOrigin; locationId: string | null },
): { input: InteractionInput; locationId: string | null } {
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
  return { input, locationId };
}

/**
 * Records what a channel reports of a customer — a product viewed, the cart updated, a wishlist entry, a
 * store visit, a service contact or a note — on her timeline, at the clock's instant, in one write: the row
 * (source `client:<client id or actor>:<key>`, stamped with the write's revision) and the event
 * `interaction.recorded` { customerId, interactionId, kind }. Her id is followed through merges to her live
 * profile, which is locked first (so it serialises with her erasure: an erasure either waits for the
 * interaction and deletes it with the rest, or comes first and the call finds nobody). Which channel may
 * report which kind: {@link CHANNELS_FOR_KIND}. A store terminal's interaction is at its own store
 * (`opts.locationId`, the default); a store visit names a store. The summary is made from the catalogue
 * (`Viewed SKU-1 (Winter coat)`), never from the note. Idempotent per (client, key): a replay answers the
 * first interaction, and concurrent calls with one key record it once. At most
 * {@link INTERACTIONS_PER_CUSTOMER_PER_MINUTE} per customer per clock minute.
 *
 * Calls that arrive while an earlier one is committing share the next transaction (group commit, as
 * reservations do: see `InteractionQueue`): each is decided on its own — one call's refusal leaves the others
 * recorded — and those recorded commit together, at one revision, each with its event.
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
): Promise<RecordedInteraction> {
  const { input, locationId } = checkInteraction(raw, opts);
  const { channel } = opts;
  const key = `${opts.clientId ?? opts.actor}:${opts.idempotencyKey}`;
  return new Promise<RecordedInteraction>((resolve, reject) =>
    queueOf(deps).add({
      deps,
      input,
      channel,
      locationId,
      actor: opts.actor,
      key,
      request: { ...input, locationId, channel },
      resolve,
      reject,
    }),
  );
}

/** The process's queue for each database (one per pool: every deps naming it shares its commits). */
const queues = new WeakMap<object, InteractionQueue>();

function queueOf(deps: JourneyDeps): InteractionQueue {
  let q = queues.get(deps.db);
  if (!q) queues.set(deps.db, (q = new InteractionQueue()));
  return q;
}

/** Most calls in one transaction. */
const MAX_GROUP = 100;

/**
 * Group commit for reported interactions: a call that arrives while a group is being recorded waits for it,
 * then goes with the others that waited, in one transaction. Every write holds the hub's revision lock from
 * its revision to its commit, so one interaction per transaction would be held to one durable commit at a
 * time; a group pays that commit once. A lone call takes its transaction at once. One group at a time per
 * process and database: commits are serial under the revision lock anyway, and groups in parallel would only
 * be smaller (measured: two at a time recorded fewer a second than one, four fewer still).
 */
class InteractionQueue {
  private readonly waiting: Ask[] = [];
  private busy = false;

  add(ask: Ask): void {
    this.waiting.push(ask);
    this.commitNext();
  }

  private commitNext(): void {
    if (this.busy || this.waiting.length === 0) return;
    this.busy = true;
    const first = this.waiting[0]!.deps;
    const size = this.waiting.findIndex((a, i) => i >= MAX_GROUP || !sameTarget(a.deps, first));
    const group = this.waiting.splice(0, size < 0 ? this.waiting.length : size);
    void recordGroup(first, group).finally(() =>
      // Busy until the callers just answered have run: one that reports again at once joins the next group
      // instead of taking a transaction alone.
      setImmediate(() => {
        this.busy = false;
        this.commitNext();
      }),
    );
  }
}

/** Calls that may share a transaction: the same database, clock and Redis keys. */
function sameTarget(a: JourneyDeps, b: JourneyDeps): boolean {
  return a.db === b.db && a.clock === b.clock && a.redis === b.redis && a.redisPrefix === b.redisPrefix;
}

/**
 * Decides and commits a group, then answers every call of it: recorded, refused, replayed from its key, or
 * run again on its own. When the transaction fails as a whole, each call of a larger group is tried again in
 * a transaction of its own; a group of one is answered with the failure.
 */
async function recordGroup(deps: JourneyDeps, asks: readonly Ask[]): Promise<void> {
  const keys = new Set<string>();
  // A key asked twice in one group: the second is answered from the key once the first has committed.
  const first = asks.filter((a) => !keys.has(a.key) && keys.add(a.key));
  const twice = asks.filter((a) => !first.includes(a));
  const slots: string[] = [];
  let decision: Decision;
  let revision: number;
  try {
    ({ result: decision, revision } = await runWrite<Decision, JourneyDB>(deps, (w) =>
      decide(deps, w, first, (slot) => slots.push(slot)),
    ));
  } catch (e) {
    await giveSlotsBack(deps.redis, slots);
    if (asks.length === 1) return asks[0]!.reject(e);
    deps.logger.warn({ err: e, size: asks.length }, 'interaction group failed; each is retried on its own');
    await Promise.all(asks.map((a) => recordGroup(deps, [a])));
    return;
  }
  for (const { ask, row } of decision.recorded) ask.resolve({ interaction: { ...row, revision }, revision });
  for (const { ask, error } of decision.refused) ask.reject(error);
  await Promise.all([
    ...[...decision.keyUsedBefore, ...twice].map((a) => answerFromKey(a)),
    ...decision.alone.map((a) => recordGroup(deps, [a])),
  ]);
}

/** Thrown inside `answerFromKey` when the key it expected to find was freed meanwhile. */
class KeyFreed extends Error {}

/**
 * Answers a call whose key was claimed before: the stored interaction (a replay) or a CONFLICT, by the
 * idempotency rule of `runWrite`. A key freed meanwhile (its call was refused) records afresh.
 */
async function answerFromKey(a: Ask): Promise<void> {
  try {
    const { result, revision } = await runWrite<Recorded, JourneyDB>(
      a.deps,
      () => Promise.reject(new KeyFreed()),
      { idempotency: { scope: RECORD_INTERACTION_SCOPE, key: a.key, request: a.request } },
    );
    a.resolve({ interaction: { ...result, revision }, revision });
  } catch (e) {
    if (e instanceof KeyFreed) await recordGroup(a.deps, [a]);
    else a.reject(e);
  }
}

/**
 * Inside the group's transaction: claims the keys, locks the live profiles, reads the catalogue, takes the
 * rate slots of the calls it allows, decides each call in arrival order, and writes what was recorded.
 */
async function decide(
  deps: JourneyDeps,
  w: WriteContext<JourneyDB>,
  asks: readonly Ask[],
  took: (slot: string) => void,
): Promise<Decision> {
  const { claimed, live } = await claimAndLock(w, asks);
  const owners = asks.filter((a) => claimed.has(a.key));
  const keyUsedBefore = asks.filter((a) => !claimed.has(a.key));
  const refused: Decision['refused'] = [];
  const alone: Ask[] = [];
  const found: Array<{ ask: Ask; liveId: string }> = [];
  for (const ask of owners) {
    // PostgreSQL answers ids in lower case; she may have been named in either.
    const liveId = ask.input.customerId.toLowerCase();
    if (live.has(liveId)) found.push({ ask, liveId });
    else if (owners.length > 1) alone.push(ask);
    else
      // A group of one follows a merge here (or finds nobody): its profile is its first lock.
      await lockLiveCustomer(w.tx, ask.input.customerId).then(
        (id) => found.push({ ask, liveId: id }),
        (error: unknown) => {
          if (!(error instanceof DomainError)) throw error;
          refused.push({ ask, error });
        },
      );
  }
  const skus = [...new Set(found.flatMap(({ ask }) => (ask.input.sku ? [ask.input.sku] : [])))];
  const places = [...new Set(found.flatMap(({ ask }) => (ask.locationId ? [ask.locationId] : [])))];
  const [products, locations] = await Promise.all([
    Promise.all(skus.map((s) => getProduct(w.tx, s))),
    Promise.all(places.map((l) => getLocation(w.tx, l))),
  ]);
  const product = new Map<string, ProductView | null>(skus.map((s, i) => [s, products[i] ?? null]));
  const location = new Map<string, LocationView | null>(places.map((l, i) => [l, locations[i] ?? null]));
  const valid = found.filter(({ ask }) => {
    const error = refusalOf(ask, product, location);
    if (error) refused.push({ ask, error });
    return !error;
  });
  // Only calls that can be recorded ask for a slot: one refused for the catalogue never holds a slot another
  // call of the group is then refused for.
  const taken = await Promise.all(
    valid.map(({ liveId }) =>
      takeRateSlot(deps.redis, rateKey(deps, liveId), w.now).then((t) => {
        if (t.taken) took(t.key);
        return t;
      }),
    ),
  );
  const recorded: Decision['recorded'] = [];
  const rows: WrittenRow[] = [];
  valid.forEach(({ ask, liveId }, i) => {
    const slot = taken[i]!;
    if (!slot.taken) {
      refused.push({ ask, error: rateLimited(slot.retryAfterSeconds) });
      return;
    }
    const row = interactionOf(ask, w.now, product, location);
    recorded.push({ ask, row });
    rows.push({ ...row, customerId: liveId, actor: ask.actor, source: `client:${ask.key}`, key: ask.key });
    w.emit({
      type: 'interaction.recorded',
      aggregateType: 'customer',
      aggregateId: liveId,
      payload: { customerId: liveId, interactionId: row.id, kind: row.kind },
    });
  });
  writeRecorded(w, rows, [...refused, ...alone.map((ask) => ({ ask }))]);
  if (rows.length === 0) {
    // Nothing to stamp: the keys of the refused calls are freed now (the commit draws no revision).
    const freed = [...refused.map((r) => r.ask.key), ...alone.map((a) => a.key)];
    if (freed.length > 0)
      await sql`DELETE FROM idempotency_keys
        WHERE scope = ${RECORD_INTERACTION_SCOPE} AND key = ANY(${freed}::text[])`.execute(w.tx);
  }
  return { recorded, refused, keyUsedBefore, alone };
}

/**
 * In one statement: claims every key at once, in key order (the lock order of keys), then share-locks the
 * active profiles the calls name, in id order, until the write ends. Answers the keys this transaction
 * claimed and the profiles it locked. Her erasure (which locks her for update) waits for the interactions
 * or comes first and leaves nobody, while interactions, each taking the share lock, do not queue behind one
 * another. An id that names no active profile (merged, erased, unknown) is not locked here, for
 * `lockLiveCustomer` to follow.
 */
async function claimAndLock(
  w: WriteContext<JourneyDB>,
  asks: readonly Ask[],
): Promise<{ claimed: Set<string>; live: Set<string> }> {
  const ids = [...new Set(asks.map((a) => a.input.customerId))];
  const rows = await sql<{ key: string | null; customerId: string | null }>`
    WITH claimed AS (
      INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at)
      SELECT ${RECORD_INTERACTION_SCOPE}, t.key, t.hash, '{}'::jsonb, ${w.now}
      FROM unnest(${asks.map((a) => a.key)}::text[], ${asks.map((a) => requestHash(a.request))}::text[])
        AS t(key, hash)
      ORDER BY t.key
      ON CONFLICT (scope, key) DO NOTHING RETURNING key),
    locked AS (
      SELECT c.id FROM customers c WHERE c.id = ANY(${ids}::uuid[]) AND c.status = 'ACTIVE'
      ORDER BY c.id FOR SHARE)
    SELECT key, NULL::text AS customer_id FROM claimed
    UNION ALL SELECT NULL, id::text FROM locked`.execute(w.tx);
  const claimed = new Set<string>();
  const live = new Set<string>();
  for (const r of rows.rows) {
    if (r.key !== null) claimed.add(r.key);
    if (r.customerId !== null) live.add(r.customerId);
  }
  return { claimed, live };
}

/** Why a call cannot be recorded from the catalogue (NOT_FOUND, BAD_USER_INPUT), or null. */
function refusalOf(
  ask: Ask,
  product: ReadonlyMap<string, ProductView | null>,
  location: ReadonlyMap<string, LocationView | null>,
): DomainError | null {
  const { sku } = ask.input;
  const { locationId } = ask;
  if (sku && !product.get(sku)) return new DomainError('NOT_FOUND', `Unknown SKU: ${sku}`, { skus: [sku] });
  const place = locationId ? location.get(locationId) : null;
  if (locationId && !place)
    return new DomainError('NOT_FOUND', `Unknown location: ${locationId}`, { locationId });
  if (ask.input.kind === 'STORE_VISIT' && place?.kind !== 'STORE')
    return new DomainError('BAD_USER_INPUT', 'A store visit names the store (locationId)', { locationId });
  return null;
}

function rateLimited(retryAfterSeconds: number): DomainError {
  return new DomainError(
    'RATE_LIMITED',
    `At most ${INTERACTIONS_PER_CUSTOMER_PER_MINUTE} interactions per customer per minute`,
    { retryAfterSeconds },
  );
}

/** The interaction a call records, its summary made from the catalogue. */
function interactionOf(
  ask: Ask,
  now: Date,
  product: ReadonlyMap<string, ProductView | null>,
  location: ReadonlyMap<string, LocationView | null>,
): Recorded {
  const { input, channel, locationId } = ask;
  const sku = input.sku ?? null;
  const summary = fitSummary(
    summarise(input.kind, channel, {
      product: sku ? named(sku, product.get(sku)?.name) : null,
      location: locationId ? named(locationId, location.get(locationId)?.name) : null,
    }),
  );
  return {
    id: randomUUID(),
    kind: input.kind,
    channel,
    at: now.toISOString(),
    locationId,
    sku,
    orderId: null,
    summary,
    note: input.note ?? null,
  };
}

/**
 * Stamps the group's writes into the statement that draws the revision: every row, each recorded call's
 * answer stored under its key, and the keys of the calls that record nothing freed.
 */
function writeRecorded(
  w: WriteContext<JourneyDB>,
  rows: readonly WrittenRow[],
  unclaimed: ReadonlyArray<{ ask: Ask }>,
): void {
  if (rows.length === 0) return;
  const stored = rows.map(({ customerId: _c, actor: _a, source: _s, key, ...row }) => ({ key, row }));
  w.atRevisionSql(
    (rev) => sql`INSERT INTO customer_interactions
      (id, customer_id, kind, channel, location_id, sku, order_id, summary, note, actor, source, occurred_at,
       revision)
      SELECT t.id, t."customerId", t.kind, t.channel, t."locationId", t.sku, NULL, t.summary, t.note, t.actor,
        t.source, ${w.now}, ${rev}
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS t(id uuid, "customerId" uuid, kind text,
        channel text, "locationId" text, sku text, summary text, note text, actor text, source text)`,
  );
  w.atRevisionSql(
    (rev) => sql`UPDATE idempotency_keys k
      SET response = jsonb_build_object('result', t.row, 'revision', ${rev})
      FROM jsonb_to_recordset(${JSON.stringify(stored)}::jsonb) AS t(key text, row jsonb)
      WHERE k.scope = ${RECORD_INTERACTION_SCOPE} AND k.key = t.key`,
  );
  if (unclaimed.length > 0)
    w.atRevisionSql(
      () => sql`DELETE FROM idempotency_keys
        WHERE scope = ${RECORD_INTERACTION_SCOPE} AND key = ANY(${unclaimed.map((u) => u.ask.key)}::text[])`,
    );
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
