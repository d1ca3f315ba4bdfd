import { randomUUID } from 'node:crypto';
import { getLocation, recordAudit } from '../../backoffice-layer/index.js';
import {
  DomainError,
  parseInput,
  runWrite,
  canonicalJson,
  sha256,
  WriteOriginSchema,
  type WriteOrigin,
} from '../../shared/index.js';
import type { ConsentPurpose, IdentifierKind, WriteContext } from '../tables.js';
import type { JourneyDeps } from '../journey-deps.js';
import { dropSegmentsWithoutProfiling } from '../segments/compute.js';
import {
  ConsentDecisionSchema,
  EnrollInputSchema,
  ProfileUpdateSchema,
  type CustomerAttributes,
  type EnrollInput,
  type ProfileUpdate,
} from './customer.schema.js';
import { IdentifierKindSchema, normalizeIdentifier } from './identifiers.js';
import { lockLiveCustomer, profileAfterWrite, type CustomerView } from './customer-reads.js';
import {
  announceProfileChange,
  defaultActor,
  recordProfileChange,
  SYSTEM_ACTOR,
  touchCustomer,
  type ChangeChannel,
} from './profile-history.js';

/**
 * Channels of the retailer's own people and systems (a till, a call-center agent, the console, the admin API,
 * an import): they are told precisely why an identifier was refused. Any other channel — WEB and APP, open to
 * anyone — gets {@link IDENTIFIER_REFUSED_MESSAGE} instead, which does not say whether the identifier is
 * registered.
 */
const STAFF_CHANNELS: ReadonlySet<WriteOrigin> = new Set<WriteOrigin>([
  'STORE',
  'CALL_CENTER',
  'CONSOLE',
  'ADMIN',
  'IMPORT',
]);

/**
 * The one answer (code `CONFLICT`, no details) a WEB or APP caller gets for every identifier refusal — linked
 * to another profile, or linked to one by a concurrent write — so the answer cannot tell whether an address
 * is known.
 */
export const IDENTIFIER_REFUSED_MESSAGE =
  'This request cannot be completed with the details given. Check them, or contact customer service.';

/**
 * Why an identifier was refused: it is someone else's, or a concurrent write linked it to someone else first.
 */
type IdentifierRefusalReason = 'linked-elsewhere' | 'linked-concurrently';

/**
 * An identifier that belongs to another profile: CONFLICT with the precise message staff channels get. Holds
 * the normalised value privately (not in `details`, not an own property a logger would print) and gives out
 * only its hash.
 */
class IdentifierRefused extends DomainError {
  readonly #value: string;
  constructor(
    readonly kind: IdentifierKind,
    value: string,
    readonly reason: IdentifierRefusalReason,
  ) {
    const what = kind.toLowerCase().replace('_', ' ');
    super(
      'CONFLICT',
      reason === 'linked-elsewhere'
        ? `This ${what} already belongs to another profile; merge the profiles instead`
        : `This ${what} was just linked to another profile`,
      { kind },
    );
    this.#value = value;
  }
  /** SHA-256 (hex) of `KIND:normalised value`: the same for one identifier however it was typed. */
  get identifierHash(): string {
    return sha256(`${this.kind}:${this.#value}`);
  }
}

/** An identifier to link: its kind, its value as typed (normalised on write), the channel it came from. */
export interface IdentifierLink {
  kind: IdentifierKind;
  value: string;
  channel: WriteOrigin;
}

/**
 * One consent decision (granted or withdrawn, for one purpose) and the channel it came from; `source` says
 * where it was given (a form, a till, a call; ≤ 200 characters; absent on a renewal keeps the one on record),
 * `expiresAt` (ISO 8601, in the future, only with `granted: true`) when it ends by itself.
 */
export interface ConsentDecision {
  purpose: ConsentPurpose;
  granted: boolean;
  channel: WriteOrigin;
  source?: string | null;
  expiresAt?: string | null;
}

/** Links one identifier; returns its normalised value, or null when it was already hers. */
async function insertIdentifier(
  w: WriteContext,
  customerId: string,
  link: IdentifierLink,
): Promise<string | null> {
  const { kind, channel } = link;
  const value = normalizeIdentifier(kind, link.value);
  const existing = await w.tx
    .selectFrom('customerIdentifiers')
    .select('customerId')
    .where('kind', '=', kind)
    .where('value', '=', value)
    .forUpdate()
    .executeTakeFirst();
  if (existing) {
    if (existing.customerId === customerId) return null;
    throw new IdentifierRefused(kind, value, 'linked-elsewhere');
  }
  const inserted = await w.tx
    .insertInto('customerIdentifiers')
    .values({ kind, value, customerId, channel, createdAt: w.now })
    .onConflict((oc) => oc.columns(['kind', 'value']).doNothing())
    .returning('kind')
    .executeTakeFirst();
  if (!inserted) throw new IdentifierRefused(kind, value, 'linked-concurrently');
  return value;
}

/**
 * What a caller is told when a write failed (the write rolled back: nothing of it stays, its idempotency key
 * unclaimed). An identifier refusal stays precise for staff channels; for any other channel it is logged
 * (pino warn with the kind, the reason and a SHA-256 of the identifier, never the identifier) and audited
 * (`customer.identifier- refused`, without the identifier), and answered with the neutral CONFLICT {@link
 * IDENTIFIER_REFUSED_MESSAGE}. Any other error passes unchanged. Always throws.
 */
async function answerRefusal(
  deps: JourneyDeps,
  e: unknown,
  at: { channel: WriteOrigin; operation: 'enroll' | 'link-identifier'; customerId?: string },
): Promise<never> {
  if (!(e instanceof IdentifierRefused) || STAFF_CHANNELS.has(at.channel)) throw e;
  deps.logger.warn(
    {
      channel: at.channel,
      operation: at.operation,
      kind: e.kind,
      reason: e.reason,
      identifierHash: e.identifierHash,
      ...(at.customerId ? { customerId: at.customerId } : {}),
    },
    'identifier refused to a self-service channel; answered without saying why',
  );
  await recordAudit(deps.db, deps.clock.now(), {
    actor: `channel:${at.channel}`,
    action: 'customer.identifier-refused',
    subject: at.customerId ? `customer:${at.customerId}` : null,
    details: { operation: at.operation, kind: e.kind, reason: e.reason },
  }).catch((err: unknown) => deps.logger.error({ err }, 'could not write the audit trail'));
  throw new DomainError('CONFLICT', IDENTIFIER_REFUSED_MESSAGE, {});
}

/**
 * Writes the attributes given (`null` removes one), only those that change; with `history`, each change is
 * recorded. Returns the changed fields (`attributes.<name>`).
 */
async function writeAttributes(
  w: WriteContext,
  customerId: string,
  attributes: CustomerAttributes,
  channel: WriteOrigin,
  history: { actor: string } | null,
): Promise<string[]> {
  // A home store is a store the hub knows: promotions and next best offers look its stock up.
  if (attributes.homeStore && !(await getLocation(w.tx, attributes.homeStore)))
    throw new DomainError('NOT_FOUND', `No location ${attributes.homeStore}`, {
      locationId: attributes.homeStore,
    });
  const current = await w.tx
    .selectFrom('customerAttributes')
    .select(['name', 'value'])
    .where('customerId', '=', customerId)
    .execute();
  const before = new Map(current.map((a) => [a.name, canonicalJson(a.value)]));
  const fields: string[] = [];
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    const oldValue = before.get(name) ?? null;
    const newValue = value === null ? null : canonicalJson(value);
    if (oldValue === newValue) continue;
    if (value === null) {
      await w.tx
        .deleteFrom('customerAttributes')
        .where('customerId', '=', customerId)
        .where('name', '=', name)
        .execute();
    } else {
      await w.tx
        .insertInto('customerAttributes')
        .values({ customerId, name, value: JSON.stringify(value), channel, changedAt: w.now })
        .onConflict((oc) =>
          oc
            .columns(['customerId', 'name'])
            .doUpdateSet({ value: JSON.stringify(value), channel, changedAt: w.now }),
        )
        .execute();
    }
    const field = `attributes.${name}`;
    fields.push(field);
    if (history) recordProfileChange(w, { customerId, field, oldValue, newValue, channel, ...history });
  }
  return fields;
}

/** A consent as the history tells it: `granted`, `withdrawn`, with where and until when; null: none. */
function consentText(
  c: { granted: boolean; source: string | null; expiresAt: Date | null } | undefined,
): string | null {
  if (!c) return null;
  if (!c.granted) return 'withdrawn';
  const details = [
    ...(c.source ? [`source: ${c.source}`] : []),
    ...(c.expiresAt ? [`until ${c.expiresAt.toISOString()}`] : []),
  ];
  return details.length > 0 ? `granted (${details.join('; ')})` : 'granted';
}

/**
 * Writes one consent decision (when it changes what stands: a new decision, or a renewal with another
 * source or end), its history row (consent history and profile history) and `consent.changed`; a PROFILING
 * withdrawal removes her segment memberships in the same write. A repeated withdrawal changes nothing.
 * Returns whether it changed.
 */
async function writeConsent(
  w: WriteContext,
  customerId: string,
  decision: {
    purpose: ConsentPurpose;
    granted: boolean;
    channel: ChangeChannel;
    source: string | null;
    expiresAt: Date | null;
  },
  actor: string | null,
): Promise<boolean> {
  const { purpose, granted, channel } = decision;
  const current = await w.tx
    .selectFrom('consents')
    .select(['granted', 'source', 'expiresAt'])
    .where('customerId', '=', customerId)
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  // A renewal that does not say where keeps the source on record; a withdrawal ends any expiry.
  const source = decision.source ?? (current?.granted && granted ? current.source : null);
  const expiresAt = granted ? decision.expiresAt : null;
  if (
    current &&
    current.granted === granted &&
    (!granted || (current.source === source && current.expiresAt?.getTime() === expiresAt?.getTime()))
  )
    return false;
  await w.tx
    .insertInto('consents')
    .values({ customerId, purpose, granted, channel, changedAt: w.now, source, expiresAt })
    .onConflict((oc) =>
      oc
        .columns(['customerId', 'purpose'])
        .doUpdateSet({ granted, channel, changedAt: w.now, source, expiresAt }),
    )
    .execute();
  w.atRevision(async (tx, revision) => {
    await tx
      .insertInto('consentHistory')
      .values({ customerId, purpose, granted, channel, changedAt: w.now, revision, source, expiresAt })
      .execute();
  });
  if (actor !== null)
    recordProfileChange(w, {
      customerId,
      field: `consent.${purpose}`,
      oldValue: consentText(current),
      newValue: consentText({ granted, source, expiresAt }),
      channel,
      actor,
    });
  w.emit({
    type: 'consent.changed',
    aggregateType: 'customer',
    aggregateId: customerId,
    payload: { customerId, purpose, granted },
  });
  if (purpose === 'PROFILING' && !granted) await dropSegmentsWithoutProfiling(w, [customerId]);
  return true;
}

/**
 * Creates one profile with whatever identifiers the channel knows (all normalised, each unique across
 * profiles), its first consents and attributes. Idempotent per key, so a retried sign-up never makes a second
 * profile.
 * @throws BAD_USER_INPUT for malformed input; NOT_FOUND for a home store the hub does not know; CONFLICT
 *   when an identifier belongs to someone else — nothing is written and the key stays unused. Staff channels
 *   are told which identifier and why; WEB and APP get the neutral {@link IDENTIFIER_REFUSED_MESSAGE}, and
 *   the attempt is logged and audited. CONFLICT too for a key used before with another request.
 */
export async function enrollCustomer(
  deps: JourneyDeps,
  input: EnrollInput,
  opts: { channel: WriteOrigin; idempotencyKey: string },
): Promise<{ customer: CustomerView; revision: number }> {
  const body = parseInput(EnrollInputSchema, input, 'body');
  const channel = WriteOriginSchema.parse(opts.channel);
  const { result, revision } = await runWrite(
    deps,
    async (w) => {
      const id = randomUUID();
      await w.tx
        .insertInto('customers')
        .values({
          id,
          status: 'ACTIVE',
          displayName: body.displayName ?? null,
          mergedInto: null,
          firstOrderAt: null,
          revision: 0,
          createdAt: w.now,
          updatedAt: w.now,
        })
        .execute();
      const ids: Array<[IdentifierKind, string | undefined]> = [
        ['EMAIL', body.email],
        ['PHONE', body.phone],
        ['LOYALTY_CARD', body.loyaltyCard],
        ['APP_ACCOUNT', body.appAccount],
      ];
      for (const [kind, value] of ids)
        if (value !== undefined) await insertIdentifier(w, id, { kind, value, channel });
      // The enrolment is no correction: the profile history starts with the first change after it.
      if (body.attributes) await writeAttributes(w, id, body.attributes, channel, null);
      for (const purpose of new Set(body.consents ?? []))
        await writeConsent(w, id, { purpose, granted: true, channel, source: null, expiresAt: null }, null);
      touchCustomer(w, id);
      return { customerId: id };
    },
    { idempotency: { scope: 'enroll-customer', key: opts.idempotencyKey, request: { body, channel } } },
  ).catch((e: unknown) => answerRefusal(deps, e, { channel, operation: 'enroll' }));
  return { customer: await profileAfterWrite(deps.db, result.customerId), revision };
}

/**
 * Links one more identifier to a profile (no-op when already linked to it): `link.kind` and `link.value` (as
 * typed, normalised here), `link.channel` the channel it came from; `actor` (default `channel:<channel>`)
 * is recorded in the profile history (`identifier.<KIND>`), and `profile.changed` is emitted. Linking an
 * identifier of another profile never merges the two: that is a staff act (`mergeCustomers`).
 * @throws BAD_USER_INPUT for an unknown kind or a malformed value; NOT_FOUND for an unknown or erased
 * profile; CONFLICT when the identifier is someone else's, nothing written — precise for staff channels, the
 * neutral {@link IDENTIFIER_REFUSED_MESSAGE} (logged and audited) for WEB and APP.
 */
export async function linkIdentifier(
  deps: JourneyDeps,
  customerId: string,
  link: IdentifierLink,
  actor?: string,
): Promise<{ customer: CustomerView; revision: number }> {
  const k = parseInput(IdentifierKindSchema, link.kind, 'body');
  const ch = WriteOriginSchema.parse(link.channel);
  const { result, revision } = await runWrite(deps, async (w) => {
    const id = await lockLiveCustomer(w.tx, customerId);
    const value = await insertIdentifier(w, id, { kind: k, value: link.value, channel: ch });
    if (value !== null) {
      const field = `identifier.${k}`;
      recordProfileChange(w, {
        customerId: id,
        field,
        oldValue: null,
        newValue: value,
        channel: ch,
        actor: defaultActor(ch, actor),
      });
      announceProfileChange(w, id, [field]);
      touchCustomer(w, id);
    }
    return id;
  }).catch((e: unknown) => answerRefusal(deps, e, { channel: ch, operation: 'link-identifier', customerId }));
  return { customer: await profileAfterWrite(deps.db, result), revision };
}

/**
 * Unlinks one identifier from a profile (`link.value` as typed, normalised here; `link.channel` the channel
 * asking), recorded in the profile history (`identifier.<KIND>`, the value as old value) with `actor`
 * (default `channel:<channel>`); emits `profile.changed` and stamps the profile's revision.
 * @throws BAD_USER_INPUT for an unknown kind or a malformed value; NOT_FOUND for an unknown or erased
 *   profile, or when the identifier is not linked to her.
 */
export async function unlinkIdentifier(
  deps: JourneyDeps,
  customerId: string,
  link: IdentifierLink,
  actor?: string,
): Promise<{ customer: CustomerView; revision: number }> {
  const kind = parseInput(IdentifierKindSchema, link.kind, 'body');
  const ch = WriteOriginSchema.parse(link.channel);
  const value = normalizeIdentifier(kind, link.value);
  const { result, revision } = await runWrite(deps, async (w) => {
    const id = await lockLiveCustomer(w.tx, customerId);
    const removed = await w.tx
      .deleteFrom('customerIdentifiers')
      .where('customerId', '=', id)
      .where('kind', '=', kind)
      .where('value', '=', value)
      .executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0)
      throw new DomainError(
        'NOT_FOUND',
        `This ${kind.toLowerCase().replace('_', ' ')} is not linked to her`,
        {
          customerId,
          kind,
        },
      );
    const field = `identifier.${kind}`;
    recordProfileChange(w, {
      customerId: id,
      field,
      oldValue: value,
      newValue: null,
      channel: ch,
      actor: defaultActor(ch, actor),
    });
    announceProfileChange(w, id, [field]);
    touchCustomer(w, id);
    return id;
  });
  return { customer: await profileAfterWrite(deps.db, result), revision };
}

/**
 * Corrects the display name and rule attributes (each fact stamped with the channel it came from). Each
 * field that really changes is recorded in the profile history (`displayName`, `attributes.<name>`;
 * attribute values as JSON text) with `actor` (default `channel:<channel>`), and `profile.changed`
 * { customerId, fields } is emitted; an update that changes nothing writes nothing and draws no revision.
 * @throws BAD_USER_INPUT for a malformed update; NOT_FOUND for an unknown or erased profile, or a home store
 *   the hub does not know.
 */
export async function updateCustomerProfile(
  deps: JourneyDeps,
  customerId: string,
  update: ProfileUpdate,
  channel: WriteOrigin,
  actor?: string,
): Promise<{ customer: CustomerView; revision: number }> {
  const body = parseInput(ProfileUpdateSchema, update, 'body');
  const ch = WriteOriginSchema.parse(channel);
  const who = defaultActor(ch, actor);
  const { result, revision } = await runWrite(deps, async (w) => {
    const id = await lockLiveCustomer(w.tx, customerId);
    const fields: string[] = [];
    if (body.displayName !== undefined) {
      const row = await w.tx
        .selectFrom('customers')
        .select('displayName')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const change = { oldValue: row.displayName, newValue: body.displayName };
      if (
        recordProfileChange(w, { customerId: id, field: 'displayName', ...change, channel: ch, actor: who })
      ) {
        await w.tx
          .updateTable('customers')
          .set({ displayName: body.displayName })
          .where('id', '=', id)
          .execute();
        fields.push('displayName');
      }
    }
    if (body.attributes) fields.push(...(await writeAttributes(w, id, body.attributes, ch, { actor: who })));
    if (fields.length > 0) {
      announceProfileChange(w, id, fields);
      touchCustomer(w, id);
    }
    return id;
  });
  return { customer: await profileAfterWrite(deps.db, result), revision };
}

/**
 * Grants or withdraws one consent (`decision.purpose`, `decision.granted`), recording time, the channel it
 * came from (`decision.channel`), where it was given (`decision.source`) and when a grant ends by itself
 * (`decision.expiresAt`), in the consent history and the profile history (`consent.<PURPOSE>`, with `actor`,
 * default `channel:<channel>`); `changed` is false when the consent already stood so. Withdrawing
 * personalisation stops personal offers at once: the event changes the revision every channel's next answer
 * is computed at.
 * @throws BAD_USER_INPUT for an unknown purpose, a source over 200 characters, an `expiresAt` that is not an
 *   ISO instant in the future or comes with a withdrawal; NOT_FOUND for an unknown or erased profile.
 */
export async function setConsent(
  deps: JourneyDeps,
  customerId: string,
  decision: ConsentDecision,
  actor?: string,
): Promise<{ customer: CustomerView; revision: number; changed: boolean }> {
  const { purpose, granted, source, expiresAt: until } = decision;
  const d = parseInput(ConsentDecisionSchema, { purpose, granted, source, expiresAt: until }, 'body');
  const ch = WriteOriginSchema.parse(decision.channel);
  const expiresAt = d.expiresAt ? new Date(d.expiresAt) : null;
  if (expiresAt && !d.granted)
    throw new DomainError('BAD_USER_INPUT', '`expiresAt` goes only with a granted consent', {
      path: 'body.expiresAt',
    });
  if (expiresAt && expiresAt.getTime() <= deps.clock.now().getTime())
    throw new DomainError('BAD_USER_INPUT', '`expiresAt` must be in the future', { path: 'body.expiresAt' });
  const { result, revision } = await runWrite(deps, async (w) => {
    const id = await lockLiveCustomer(w.tx, customerId);
    const changed = await writeConsent(
      w,
      id,
      { purpose: d.purpose, granted: d.granted, channel: ch, source: d.source ?? null, expiresAt },
      defaultActor(ch, actor),
    );
    if (changed) touchCustomer(w, id);
    return { id, changed };
  });
  return { customer: await profileAfterWrite(deps.db, result.id), revision, changed: result.changed };
}

/** How many profiles `expireConsents` handles per call at most. */
const EXPIRY_BATCH = 500;

/**
 * Withdraws every granted consent whose `expiresAt` has passed (≤ the clock's now), each as a normal
 * withdrawal: consent and profile history (channel `SYSTEM`, actor `system`, source `expired`),
 * `consent.changed`, the profile's revision. One write per profile, at most 500 profiles per call (call again
 * while it returns a full batch's worth). Returns how many consents were withdrawn.
 */
export async function expireConsents(deps: JourneyDeps): Promise<number> {
  const due = await deps.db
    .selectFrom('consents')
    .select('customerId')
    .distinct()
    .where('granted', '=', true)
    .where('expiresAt', '<=', deps.clock.now())
    .limit(EXPIRY_BATCH)
    .execute();
  let withdrawn = 0;
  for (const { customerId } of due) {
    const { result } = await runWrite(deps, async (w) => {
      const id = await lockLiveCustomer(w.tx, customerId).catch(() => null); // erased meanwhile
      if (id === null) return 0;
      const expired = await w.tx
        .selectFrom('consents')
        .select('purpose')
        .where('customerId', '=', id)
        .where('granted', '=', true)
        .where('expiresAt', '<=', w.now)
        .orderBy('purpose')
        .execute();
      for (const { purpose } of expired)
        await writeConsent(
          w,
          id,
          { purpose, granted: false, channel: 'SYSTEM', source: 'expired', expiresAt: null },
          SYSTEM_ACTOR,
        );
      if (expired.length > 0) touchCustomer(w, id);
      return expired.length;
    });
    withdrawn += result;
  }
  return withdrawn;
}
