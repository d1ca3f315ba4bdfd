import { z } from 'zod';
import { parseInput, runWrite, WriteOriginSchema, type WriteOrigin } from '../../shared/index.js';
import type { ConsentPurpose, ContactChannel, ContactTopic, Executor } from '../tables.js';
import type { JourneyDeps } from '../journey-deps.js';
import {
  lockLiveCustomer,
  profileAfterWrite,
  resolveCustomerId,
  type CustomerView,
} from './customer-reads.js';
import { announceProfileChange, recordProfileChange, touchCustomer } from './profile-history.js';

/*
 * How she wants to be contacted: per contact channel the topics she wants there and how often at most. A
 * message may go out only when she chose the topic on that channel AND gave the consent the topic needs.
 */

/** The contact channels, in the order preferences are shown. */
export const CONTACT_CHANNELS = ['EMAIL', 'SMS', 'PUSH', 'POST'] as const satisfies readonly ContactChannel[];
/** The topics a message can be about, in the order they are stored and shown. */
export const CONTACT_TOPICS = [
  'NEWSLETTER',
  'PERSONAL_OFFERS',
  'SERVICE',
  'LOYALTY',
] as const satisfies readonly ContactTopic[];
/** A contact channel at a boundary (BAD_USER_INPUT through `parseInput` for any other). */
export const ContactChannelSchema = z.enum(CONTACT_CHANNELS);
/** A contact topic at a boundary (BAD_USER_INPUT through `parseInput` for any other). */
export const ContactTopicSchema = z.enum(CONTACT_TOPICS);

/**
 * The consents a message on each topic needs, on every contact channel alike (e-mail, SMS, push, post):
 * - `NEWSLETTER`: `EMAIL_MARKETING` — it is marketing;
 * - `PERSONAL_OFFERS`: `EMAIL_MARKETING` and `PERSONALISATION` — marketing, chosen from what is known of her;
 * - `SERVICE`: none — messages about her own orders, reservations and account;
 * - `LOYALTY`: `EMAIL_MARKETING` — news about her points and tier promotes the programme.
 */
export const TOPIC_CONSENTS: Readonly<Record<ContactTopic, readonly ConsentPurpose[]>> = {
  NEWSLETTER: ['EMAIL_MARKETING'],
  PERSONAL_OFFERS: ['EMAIL_MARKETING', 'PERSONALISATION'],
  SERVICE: [],
  LOYALTY: ['EMAIL_MARKETING'],
};

/**
 * Contact preferences as a caller sends them: `channels` names each contact channel at most once, with
 * distinct `topics` (none: nothing on that channel) and an optional `maxPerWeek` (0–100; absent or null: no
 * limit). Channels not named stay as they are.
 */
export const ContactPreferencesInputSchema = z.strictObject({
  channels: z
    .array(
      z.strictObject({
        channel: ContactChannelSchema,
        topics: z
          .array(ContactTopicSchema)
          .max(CONTACT_TOPICS.length)
          .refine((t) => new Set(t).size === t.length, 'each topic at most once'),
        maxPerWeek: z.number().int().min(0).max(100).nullish(),
      }),
    )
    .max(CONTACT_CHANNELS.length)
    .refine((c) => new Set(c.map((x) => x.channel)).size === c.length, 'each channel at most once'),
});
export type ContactPreferencesInput = z.infer<typeof ContactPreferencesInputSchema>;

/** One contact channel's preference: the topics she wants there (in {@link CONTACT_TOPICS} order). */
export interface ContactChannelPreferenceView {
  channel: ContactChannel;
  topics: ContactTopic[];
  maxPerWeek: number | null;
}

/** Her contact preferences (channels in {@link CONTACT_CHANNELS} order); `updatedAt` ISO, null: never set. */
export interface ContactPreferencesView {
  channels: ContactChannelPreferenceView[];
  updatedAt: string | null;
}

const byOrder =
  <T extends string>(order: readonly T[]) =>
  (a: T, b: T) =>
    order.indexOf(a) - order.indexOf(b);

/** A channel's preference as the history tells it (JSON text), null when nothing is on that channel. */
function preferenceText(
  p: { topics: readonly string[]; maxPerWeek: number | null } | undefined,
): string | null {
  return p ? JSON.stringify({ topics: p.topics, maxPerWeek: p.maxPerWeek }) : null;
}

/**
 * Her contact preferences, following merges.
 * @throws NOT_FOUND for an unknown or erased profile.
 */
export async function getContactPreferences(
  db: Executor,
  customerId: string,
): Promise<ContactPreferencesView> {
  const id = await resolveCustomerId(db, customerId);
  const rows = await db
    .selectFrom('contactPreferences')
    .select(['channel', 'topics', 'maxPerWeek', 'changedAt'])
    .where('customerId', '=', id)
    .execute();
  rows.sort((a, b) => byOrder(CONTACT_CHANNELS)(a.channel, b.channel));
  const latest = rows.reduce<Date | null>((m, r) => (m && m > r.changedAt ? m : r.changedAt), null);
  return {
    channels: rows.map((r) => ({
      channel: r.channel,
      topics: [...r.topics].sort(byOrder(CONTACT_TOPICS)),
      maxPerWeek: r.maxPerWeek,
    })),
    updatedAt: latest ? latest.toISOString() : null,
  };
}

/**
 * Replaces her preferences for the channels named in `input` ({@link ContactPreferencesInputSchema}; a
 * channel with no topics: nothing on that channel); channels not named stay. Each channel that really changes
 * is recorded in the profile history (`preferences.<CHANNEL>`, values as JSON text `{"topics":[…],
 * "maxPerWeek":n}`, null when nothing is on it) with `origin.actor` and `origin.channel`; then the profile's
 * revision is stamped and `profile.changed` emitted. Nothing changed: nothing written, no revision.
 * @throws BAD_USER_INPUT for malformed input; NOT_FOUND for an unknown or erased profile.
 */
export async function setContactPreferences(
  deps: JourneyDeps,
  customerId: string,
  input: unknown,
  origin: { channel: WriteOrigin; actor: string },
): Promise<{ customer: CustomerView; revision: number }> {
  const body = parseInput(ContactPreferencesInputSchema, input, 'body');
  const channel = WriteOriginSchema.parse(origin.channel);
  const { result, revision } = await runWrite(deps, async (w) => {
    const id = await lockLiveCustomer(w.tx, customerId);
    const current = await w.tx
      .selectFrom('contactPreferences')
      .select(['channel', 'topics', 'maxPerWeek'])
      .where('customerId', '=', id)
      .execute();
    const fields: string[] = [];
    for (const wanted of body.channels) {
      const before = current.find((c) => c.channel === wanted.channel);
      const topics = [...wanted.topics].sort(byOrder(CONTACT_TOPICS));
      const after = topics.length > 0 ? { topics, maxPerWeek: wanted.maxPerWeek ?? null } : undefined;
      const oldText = before
        ? preferenceText({
            topics: [...before.topics].sort(byOrder(CONTACT_TOPICS)),
            maxPerWeek: before.maxPerWeek,
          })
        : null;
      const field = `preferences.${wanted.channel}`;
      const change = { oldValue: oldText, newValue: preferenceText(after) };
      if (!recordProfileChange(w, { customerId: id, field, ...change, channel, actor: origin.actor }))
        continue;
      fields.push(field);
      if (!after) {
        await w.tx
          .deleteFrom('contactPreferences')
          .where('customerId', '=', id)
          .where('channel', '=', wanted.channel)
          .execute();
        continue;
      }
      const values = {
        topics: after.topics,
        maxPerWeek: after.maxPerWeek,
        source: channel,
        changedAt: w.now,
      };
      await w.tx
        .insertInto('contactPreferences')
        .values({ customerId: id, channel: wanted.channel, ...values })
        .onConflict((oc) => oc.columns(['customerId', 'channel']).doUpdateSet(values))
        .execute();
    }
    if (fields.length > 0) {
      announceProfileChange(w, id, fields);
      touchCustomer(w, id);
    }
    return id;
  });
  return { customer: await profileAfterWrite(deps.db, result), revision };
}

const MayContactSchema = z.strictObject({ channel: ContactChannelSchema, topic: ContactTopicSchema });

const topicWords: Record<ContactTopic, string> = {
  NEWSLETTER: 'the newsletter',
  PERSONAL_OFFERS: 'personal offers',
  SERVICE: 'service messages',
  LOYALTY: 'loyalty news',
};
const channelWords: Record<ContactChannel, string> = {
  EMAIL: 'e-mail',
  SMS: 'SMS',
  PUSH: 'push message',
  POST: 'post',
};

/**
 * Whether a message on `topic` may be sent to her by `channel`: only when her preference names the topic on
 * that channel AND every consent {@link TOPIC_CONSENTS} lists for it is granted. `reason` says why, in words.
 * Follows merges.
 * @throws BAD_USER_INPUT for an unknown channel or topic; NOT_FOUND for an unknown or erased profile.
 */
export async function mayContact(
  db: Executor,
  customerId: string,
  channel: ContactChannel,
  topic: ContactTopic,
): Promise<{ allowed: boolean; reason: string }> {
  const { channel: ch, topic: t } = parseInput(MayContactSchema, { channel, topic }, 'query');
  const id = await resolveCustomerId(db, customerId);
  const [pref, consents] = await Promise.all([
    db
      .selectFrom('contactPreferences')
      .select('topics')
      .where('customerId', '=', id)
      .where('channel', '=', ch)
      .executeTakeFirst(),
    db.selectFrom('consents').select(['purpose', 'granted']).where('customerId', '=', id).execute(),
  ]);
  const what = `${topicWords[t]} by ${channelWords[ch]}`;
  if (!pref?.topics.includes(t)) return { allowed: false, reason: `She has not chosen ${what}` };
  const missing = TOPIC_CONSENTS[t].filter((p) => !consents.some((c) => c.purpose === p && c.granted));
  if (missing.length > 0)
    return {
      allowed: false,
      reason: `She chose ${what}, but it needs the consent ${missing.join(' and ')}, which she has not given`,
    };
  const needs = TOPIC_CONSENTS[t];
  return {
    allowed: true,
    reason:
      needs.length === 0
        ? `She chose ${what}; it needs no consent`
        : `She chose ${what} and gave the consent ${needs.join(' and ')} it needs`,
  };
}
