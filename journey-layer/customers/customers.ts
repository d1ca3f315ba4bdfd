import { randomUUID } from 'node:crypto';
import { recordAudit } from '../../backoffice-layer/index.js';
import {
  DomainError,
  parseInput,
  runWrite,
  sha256,
  WriteOriginSchema,
  type WriteOrigin,
} from '../../shared/index.js';
import type { ConsentPurpose, IdentifierKind, WriteContext } from '../tables.js';
import type { JourneyDeps } from '../journey-deps.js';
import {
  ConsentPurposeSchema,
  CustomerAttributesSchema,
  EnrollInputSchema,
  ProfileUpdateSchema,
  type CustomerAttributes,
  type EnrollInput,
  type ProfileUpdate,
} from './customer.schema.js';
import { IdentifierKindSchema, normalizeIdentifier } from './identifiers.js';
import { lockLiveCustomer, profileAfterWrite, type CustomerView } from './customer-reads.js';

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

/** One consent decision (granted or withdrawn, for one purpose) and the channel it came from. */
export interface ConsentDecision {
  purpose: ConsentPurpose;
  granted: boolean;
  channel: WriteOrigin;
}

async function insertIdentifier(w: WriteContext, customerId: string, link: IdentifierLink): Promise<void> {
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
    if (existing.customerId === customerId) return;
    throw new IdentifierRefused(kind, value, 'linked-elsewhere');
  }
  const inserted = await w.tx
    .insertInto('customerIdentifiers')
    .values({ kind, value, customerId, channel, createdAt: w.now })
    .onConflict((oc) => oc.columns(['kind', 'value']).doNothing())
    .returning('kind')
    .executeTakeFirst();
  if (!inserted) throw new IdentifierRefused(kind, value, 'linked-concurrently');
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

async function writeAttributes(
  w: WriteContext,
  customerId: string,
  attributes: CustomerAttributes,
  channel: WriteOrigin,
): Promise<void> {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (value === null) {
      await w.tx
        .deleteFrom('customerAttributes')
        .where('customerId', '=', customerId)
        .where('name', '=', name)
        .execute();
      continue;
    }
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
}

async function writeConsent(
  w: WriteContext,
  customerId: string,
  decision: ConsentDecision,
): Promise<boolean> {
  const { purpose, granted, channel } = decision;
  const current = await w.tx
    .selectFrom('consents')
    .select('granted')
    .where('customerId', '=', customerId)
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  if (current && current.granted === granted) return false;
  await w.tx
    .insertInto('consents')
    .values({ customerId, purpose, granted, channel, changedAt: w.now })
    .onConflict((oc) =>
      oc.columns(['customerId', 'purpose']).doUpdateSet({ granted, channel, changedAt: w.now }),
    )
    .execute();
  w.atRevision(async (tx, revision) => {
    await tx
      .insertInto('consentHistory')
      .values({ customerId, purpose, granted, channel, changedAt: w.now, revision })
      .execute();
  });
  w.emit({
    type: 'consent.changed',
    aggregateType: 'customer',
    aggregateId: customerId,
    payload: { customerId, purpose, granted },
  });
  return true;
}

function touchCustomer(w: WriteContext, customerId: string): void {
  w.atRevision(async (tx, revision) => {
    await tx
      .updateTable('customers')
      .set({ revision, updatedAt: w.now })
      .where('id', '=', customerId)
      .execute();
  });
  w.emit({
    type: 'customer.changed',
    aggregateType: 'customer',
    aggregateId: customerId,
    payload: { customerId },
  });
}

/**
 * Creates one profile with whatever identifiers the channel knows (all normalised, each unique across
 * profiles), its first consents and attributes. Idempotent per key, so a retried sign-up never makes a second
 * profile.
 * @throws BAD_USER_INPUT for malformed input; CONFLICT when an identifier belongs to someone else — nothing
 *   is
 * written and the key stays unused. Staff channels are told which identifier and why; WEB and APP get the
 * neutral {@link IDENTIFIER_REFUSED_MESSAGE}, and the attempt is logged and audited. CONFLICT too for a key
 * used before with another request.
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
      if (body.attributes) await writeAttributes(w, id, body.attributes, channel);
      for (const purpose of new Set(body.consents ?? []))
        await writeConsent(w, id, { purpose, granted: true, channel });
      touchCustomer(w, id);
      return { customerId: id };
    },
    { idempotency: { scope: 'enroll-customer', key: opts.idempotencyKey, request: { body, channel } } },
  ).catch((e: unknown) => answerRefusal(deps, e, { channel, operation: 'enroll' }));
  return { customer: await profileAfterWrite(deps.db, result.customerId), revision };
}

/**
 * Links one more identifier to a profile (no-op when already linked to it): `link.kind` and `link.value` (as
 * typed, normalised here), `link.channel` the channel it came from.
 * @throws BAD_USER_INPUT for an unknown kind or a malformed value; NOT_FOUND for an unknown or erased
 * profile; CONFLICT when the identifier is someone else's, nothing written — precise for staff channels, the
 * neutral {@link IDENTIFIER_REFUSED_MESSAGE} (logged and audited) for WEB and APP.
 */
export async function linkIdentifier(
  deps: JourneyDeps,
  customerId: string,
  link: IdentifierLink,
): Promise<{ customer: CustomerView; revision: number }> {
  const k = parseInput(IdentifierKindSchema, link.kind, 'body');
  const ch = WriteOriginSchema.parse(link.channel);
  const { result, revision } = await runWrite(deps, async (w) => {
    const id = await lockLiveCustomer(w.tx, customerId);
    const before = await w.tx
      .selectFrom('customerIdentifiers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('customerId', '=', id)
      .executeTakeFirstOrThrow();
    await insertIdentifier(w, id, { kind: k, value: link.value, channel: ch });
    const after = await w.tx
      .selectFrom('customerIdentifiers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('customerId', '=', id)
      .executeTakeFirstOrThrow();
    if (Number(after.n) !== Number(before.n)) touchCustomer(w, id);
    return id;
  }).catch((e: unknown) => answerRefusal(deps, e, { channel: ch, operation: 'link-identifier', customerId }));
  return { customer: await profileAfterWrite(deps.db, result), revision };
}

/** Corrects the display name and rule attributes (each fact stamped with the channel it came from). */
export async function updateCustomerProfile(
  deps: JourneyDeps,
  customerId: string,
  update: ProfileUpdate,
  channel: WriteOrigin,
): Promise<{ customer: CustomerView; revision: number }> {
  const body = parseInput(ProfileUpdateSchema, update, 'body');
  const ch = WriteOriginSchema.parse(channel);
  const { result, revision } = await runWrite(deps, async (w) => {
    const id = await lockLiveCustomer(w.tx, customerId);
    if (body.displayName !== undefined)
      await w.tx
        .updateTable('customers')
        .set({ displayName: body.displayName })
        .where('id', '=', id)
        .execute();
    if (body.attributes) await writeAttributes(w, id, CustomerAttributesSchema.parse(body.attributes), ch);
    touchCustomer(w, id);
    return id;
  });
  return { customer: await profileAfterWrite(deps.db, result), revision };
}

/**
 * Grants or withdraws one consent (`decision.purpose`, `decision.granted`), recording time and the channel it
 * came from (`decision.channel`); `changed` is false when the consent already stood so. Withdrawing
 * personalisation stops personal offers at once: the event changes the revision every channel's next answer
 * is computed at.
 * @throws BAD_USER_INPUT for an unknown purpose; NOT_FOUND for an unknown or erased profile.
 */
export async function setConsent(
  deps: JourneyDeps,
  customerId: string,
  decision: ConsentDecision,
): Promise<{ customer: CustomerView; revision: number; changed: boolean }> {
  const p = parseInput(ConsentPurposeSchema, decision.purpose, 'body');
  const ch = WriteOriginSchema.parse(decision.channel);
  const { result, revision } = await runWrite(deps, async (w) => {
    const id = await lockLiveCustomer(w.tx, customerId);
    const changed = await writeConsent(w, id, { purpose: p, granted: decision.granted, channel: ch });
    if (changed)
      w.atRevision(async (tx, rev) => {
        await tx
          .updateTable('customers')
          .set({ revision: rev, updatedAt: w.now })
          .where('id', '=', id)
          .execute();
      });
    return { id, changed };
  });
  return { customer: await profileAfterWrite(deps.db, result.id), revision, changed: result.changed };
}
