import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  enrollCustomer,
  getContactPreferences,
  mayContact,
  profileHistory,
  setConsent,
  setContactPreferences,
  TOPIC_CONSENTS,
} from '../../../journey-layer/index.js';
import { ManualClock } from './fixtures.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

describe('contact preferences', () => {
  const clock = new ManualClock('2026-11-20T09:00:00Z');
  const origin = { channel: 'APP', actor: 'client:app-1' } as const;
  let ctx: BackofficeTestContext;
  let customerId: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    customerId = (
      await enrollCustomer(ctx.deps, { email: 'gijs@example.nl' }, { channel: 'APP', idempotencyKey: 'gijs' })
    ).customer.id;
  });
  afterAll(async () => {
    await ctx.close();
  });

  it.each([
    [{ channels: [{ channel: 'FAX', topics: [] }] }],
    [{ channels: [{ channel: 'EMAIL', topics: ['SPAM'] }] }],
    [{ channels: [{ channel: 'EMAIL', topics: ['SERVICE', 'SERVICE'] }] }],
    [
      {
        channels: [
          { channel: 'EMAIL', topics: [] },
          { channel: 'EMAIL', topics: ['SERVICE'] },
        ],
      },
    ],
    [{ channels: [{ channel: 'SMS', topics: ['SERVICE'], maxPerWeek: 101 }] }],
    [{ channels: [{ channel: 'SMS', topics: ['SERVICE'], maxPerWeek: 1.5 }] }],
    [{ channels: [{ channel: 'SMS', topics: ['SERVICE'], extra: 1 }] }],
    [{}],
  ])('refuses %j with BAD_USER_INPUT', async (input) => {
    await expect(setContactPreferences(ctx.deps, customerId, input, origin)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });

  it('replaces the channels named, records each change, and says who may be contacted why', async () => {
    expect(await getContactPreferences(ctx.deps.db, customerId)).toEqual({ channels: [], updatedAt: null });
    const set = await setContactPreferences(
      ctx.deps,
      customerId,
      {
        channels: [
          { channel: 'SMS', topics: ['SERVICE'], maxPerWeek: 2 },
          { channel: 'EMAIL', topics: ['PERSONAL_OFFERS', 'NEWSLETTER', 'SERVICE'] },
        ],
      },
      origin,
    );
    expect(set.customer.revision).toBe(set.revision);
    const outbox = await ctx.deps.db
      .selectFrom('outbox')
      .select(['type', 'payload'])
      .where('revision', '=', set.revision)
      .execute();
    expect(outbox).toContainEqual({
      type: 'profile.changed',
      payload: { customerId, fields: ['preferences.SMS', 'preferences.EMAIL'] },
    });
    expect(await getContactPreferences(ctx.deps.db, customerId)).toEqual({
      channels: [
        { channel: 'EMAIL', topics: ['NEWSLETTER', 'PERSONAL_OFFERS', 'SERVICE'], maxPerWeek: null },
        { channel: 'SMS', topics: ['SERVICE'], maxPerWeek: 2 },
      ],
      updatedAt: '2026-11-20T09:00:00.000Z',
    });

    // Service needs no consent; the newsletter needs e-mail marketing; personal offers also personalisation.
    expect(await mayContact(ctx.deps.db, customerId, 'EMAIL', 'SERVICE')).toEqual({
      allowed: true,
      reason: 'She chose service messages by e-mail; it needs no consent',
    });
    expect(await mayContact(ctx.deps.db, customerId, 'EMAIL', 'NEWSLETTER')).toEqual({
      allowed: false,
      reason:
        'She chose the newsletter by e-mail, but it needs the consent EMAIL_MARKETING, ' +
        'which she has not given',
    });
    expect(await mayContact(ctx.deps.db, customerId, 'PUSH', 'SERVICE')).toEqual({
      allowed: false,
      reason: 'She has not chosen service messages by push message',
    });
    await setConsent(ctx.deps, customerId, { purpose: 'EMAIL_MARKETING', granted: true, channel: 'APP' });
    expect((await mayContact(ctx.deps.db, customerId, 'EMAIL', 'NEWSLETTER')).allowed).toBe(true);
    expect(await mayContact(ctx.deps.db, customerId, 'EMAIL', 'PERSONAL_OFFERS')).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('PERSONALISATION'),
    });
    const consented = await setConsent(ctx.deps, customerId, {
      purpose: 'PERSONALISATION',
      granted: true,
      channel: 'APP',
    });
    expect(await mayContact(ctx.deps.db, customerId, 'EMAIL', 'PERSONAL_OFFERS')).toEqual({
      allowed: true,
      reason:
        'She chose personal offers by e-mail and gave the consent EMAIL_MARKETING and ' +
        'PERSONALISATION it needs',
    });
    // The email channel would allow loyalty news by consent, but she did not choose it there.
    expect(TOPIC_CONSENTS.LOYALTY).toEqual(['EMAIL_MARKETING']);
    expect((await mayContact(ctx.deps.db, customerId, 'EMAIL', 'LOYALTY')).allowed).toBe(false);

    // The same again changes nothing; an empty channel removes it; the others stay.
    clock.advance(60_000);
    const same = await setContactPreferences(
      ctx.deps,
      customerId,
      { channels: [{ channel: 'SMS', topics: ['SERVICE'], maxPerWeek: 2 }] },
      origin,
    );
    // No write: the answer is at the revision already committed, her profile's own unchanged.
    expect(same.revision).toBe(consented.revision);
    expect(same.customer.revision).toBe(consented.revision);
    clock.advance(60_000);
    await setContactPreferences(
      ctx.deps,
      customerId,
      { channels: [{ channel: 'SMS', topics: [] }] },
      { channel: 'CALL_CENTER', actor: 'admin:agent-1' },
    );
    expect(await getContactPreferences(ctx.deps.db, customerId)).toEqual({
      channels: [
        { channel: 'EMAIL', topics: ['NEWSLETTER', 'PERSONAL_OFFERS', 'SERVICE'], maxPerWeek: null },
      ],
      updatedAt: '2026-11-20T09:00:00.000Z',
    });
    expect((await mayContact(ctx.deps.db, customerId, 'SMS', 'SERVICE')).allowed).toBe(false);
    const history = (await profileHistory(ctx.deps.db, customerId)).filter((h) =>
      h.field.startsWith('preferences.'),
    );
    expect(history).toEqual([
      {
        at: '2026-11-20T09:02:00.000Z',
        field: 'preferences.SMS',
        oldValue: '{"topics":["SERVICE"],"maxPerWeek":2}',
        newValue: null,
        channel: 'CALL_CENTER',
        actor: 'admin:agent-1',
      },
      {
        at: '2026-11-20T09:00:00.000Z',
        field: 'preferences.EMAIL',
        oldValue: null,
        newValue: '{"topics":["NEWSLETTER","PERSONAL_OFFERS","SERVICE"],"maxPerWeek":null}',
        channel: 'APP',
        actor: 'client:app-1',
      },
      {
        at: '2026-11-20T09:00:00.000Z',
        field: 'preferences.SMS',
        oldValue: null,
        newValue: '{"topics":["SERVICE"],"maxPerWeek":2}',
        channel: 'APP',
        actor: 'client:app-1',
      },
    ]);
    await expect(
      setContactPreferences(ctx.deps, '00000000-0000-4000-8000-000000000000', { channels: [] }, origin),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
