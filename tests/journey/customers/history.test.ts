import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  enrollCustomer,
  expireConsents,
  getCustomer,
  linkIdentifier,
  profileHistory,
  setConsent,
  unlinkIdentifier,
  updateCustomerProfile,
} from '../../../journey-layer/index.js';
import { ManualClock, givenStores } from './fixtures.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

describe('profile history', () => {
  const clock = new ManualClock('2026-11-20T09:00:00Z');
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await givenStores(ctx, 'ams-01', 'utr-01');
  });
  afterAll(async () => {
    await ctx.close();
  });

  async function eventsAt(revision: number): Promise<Array<{ type: string; payload: unknown }>> {
    return ctx.deps.db
      .selectFrom('outbox')
      .select(['type', 'payload'])
      .where('revision', '=', revision)
      .orderBy('position')
      .execute();
  }

  it('records each real correction with old and new value, who, when and where; newest first', async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { displayName: 'Eva', email: 'eva@example.nl', attributes: { homeStore: 'ams-01' } },
      { channel: 'WEB', idempotencyKey: 'eva' },
    );
    expect(await profileHistory(ctx.deps.db, customer.id)).toEqual([]);

    clock.advance(60_000);
    const upd = await updateCustomerProfile(
      ctx.deps,
      customer.id,
      { displayName: 'Eva de Boer', attributes: { homeStore: 'utr-01', segments: ['vip', 'students'] } },
      'CALL_CENTER',
      'admin:agent-3',
    );
    expect(upd.customer.revision).toBe(upd.revision);
    expect(await eventsAt(upd.revision)).toEqual(
      expect.arrayContaining([
        {
          type: 'profile.changed',
          payload: {
            customerId: customer.id,
            fields: ['displayName', 'attributes.homeStore', 'attributes.segments'],
          },
        },
      ]),
    );

    // The same values again: no history, no revision, no event.
    const revisionBefore = upd.revision;
    const same = await updateCustomerProfile(
      ctx.deps,
      customer.id,
      { displayName: 'Eva de Boer', attributes: { homeStore: 'utr-01', segments: ['vip', 'students'] } },
      'CALL_CENTER',
    );
    expect(same.revision).toBe(revisionBefore);
    expect(same.customer.revision).toBe(revisionBefore);

    clock.advance(60_000);
    await linkIdentifier(ctx.deps, customer.id, { kind: 'PHONE', value: '06 1111 2222', channel: 'STORE' });
    // Linking what is already hers changes nothing.
    const again = await linkIdentifier(ctx.deps, customer.id, {
      kind: 'PHONE',
      value: '+31611112222',
      channel: 'STORE',
    });
    clock.advance(60_000);
    const unlinked = await unlinkIdentifier(
      ctx.deps,
      customer.id,
      { kind: 'EMAIL', value: ' EVA@example.nl', channel: 'CALL_CENTER' },
      'admin:agent-3',
    );
    expect(unlinked.revision).toBeGreaterThan(again.revision);
    expect(unlinked.customer.identifiers.map((i) => i.kind)).toEqual(['PHONE']);
    expect(await eventsAt(unlinked.revision)).toEqual(
      expect.arrayContaining([
        { type: 'profile.changed', payload: { customerId: customer.id, fields: ['identifier.EMAIL'] } },
      ]),
    );
    await expect(
      unlinkIdentifier(ctx.deps, customer.id, { kind: 'EMAIL', value: 'eva@example.nl', channel: 'WEB' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    clock.advance(60_000);
    await updateCustomerProfile(ctx.deps, customer.id, { attributes: { homeStore: null } }, 'APP');

    const history = await profileHistory(ctx.deps.db, customer.id);
    expect(history).toEqual([
      {
        at: '2026-11-20T09:04:00.000Z',
        field: 'attributes.homeStore',
        oldValue: '"utr-01"',
        newValue: null,
        channel: 'APP',
        actor: 'channel:APP',
      },
      {
        at: '2026-11-20T09:03:00.000Z',
        field: 'identifier.EMAIL',
        oldValue: 'eva@example.nl',
        newValue: null,
        channel: 'CALL_CENTER',
        actor: 'admin:agent-3',
      },
      {
        at: '2026-11-20T09:02:00.000Z',
        field: 'identifier.PHONE',
        oldValue: null,
        newValue: '+31611112222',
        channel: 'STORE',
        actor: 'channel:STORE',
      },
      {
        at: '2026-11-20T09:01:00.000Z',
        field: 'attributes.segments',
        oldValue: null,
        newValue: '["vip","students"]',
        channel: 'CALL_CENTER',
        actor: 'admin:agent-3',
      },
      {
        at: '2026-11-20T09:01:00.000Z',
        field: 'attributes.homeStore',
        oldValue: '"ams-01"',
        newValue: '"utr-01"',
        channel: 'CALL_CENTER',
        actor: 'admin:agent-3',
      },
      {
        at: '2026-11-20T09:01:00.000Z',
        field: 'displayName',
        oldValue: 'Eva',
        newValue: 'Eva de Boer',
        channel: 'CALL_CENTER',
        actor: 'admin:agent-3',
      },
    ]);
    // Each row carries the revision of the write that made it.
    const rows = await ctx.deps.db
      .selectFrom('profileChanges')
      .select(['field', 'revision'])
      .where('customerId', '=', customer.id)
      .where('field', '=', 'identifier.EMAIL')
      .execute();
    expect(rows).toEqual([{ field: 'identifier.EMAIL', revision: unlinked.revision }]);
  });

  it('consent: source and expiry are kept, checked and recorded; an expired one is withdrawn', async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { email: 'femke@example.nl' },
      { channel: 'APP', idempotencyKey: 'femke' },
    );
    for (const bad of [
      { expiresAt: '2026-11-20T08:00:00Z', granted: true }, // the past
      { expiresAt: '2027-01-01T00:00:00Z', granted: false }, // expiry on a withdrawal
      { expiresAt: 'next week', granted: true },
      { source: 'x'.repeat(201), granted: true },
    ])
      await expect(
        setConsent(ctx.deps, customer.id, { purpose: 'EMAIL_MARKETING', channel: 'APP', ...bad }),
      ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });

    const now = clock.now().toISOString();
    const granted = await setConsent(
      ctx.deps,
      customer.id,
      {
        purpose: 'EMAIL_MARKETING',
        granted: true,
        channel: 'APP',
        source: 'app sign-up screen',
        expiresAt: '2026-12-20T09:00:00+00:00',
      },
      'client:app-1',
    );
    expect(granted.customer.consents).toEqual([
      {
        purpose: 'EMAIL_MARKETING',
        granted: true,
        channel: 'APP',
        changedAt: now,
        source: 'app sign-up screen',
        expiresAt: '2026-12-20T09:00:00.000Z',
      },
    ]);
    await setConsent(ctx.deps, customer.id, { purpose: 'PROFILING', granted: true, channel: 'STORE' });
    // Nothing has run out yet.
    expect(await expireConsents(ctx.deps)).toBe(0);
    clock.advance(31 * 86_400_000);
    expect(await expireConsents(ctx.deps)).toBe(1);
    expect(await expireConsents(ctx.deps)).toBe(0);
    const after = (await getCustomer(ctx.deps.db, customer.id))!;
    expect(after.consents).toEqual([
      expect.objectContaining({
        purpose: 'EMAIL_MARKETING',
        granted: false,
        channel: 'SYSTEM',
        expiresAt: null,
      }),
      expect.objectContaining({ purpose: 'PROFILING', granted: true }),
    ]);
    const withdrawal = await ctx.deps.db
      .selectFrom('consentHistory')
      .select(['granted', 'channel', 'revision'])
      .where('customerId', '=', customer.id)
      .where('purpose', '=', 'EMAIL_MARKETING')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(withdrawal).toMatchObject({ granted: false, channel: 'SYSTEM' });
    expect(after.revision).toBe(withdrawal.revision);
    expect(await eventsAt(withdrawal.revision)).toEqual(
      expect.arrayContaining([
        {
          type: 'consent.changed',
          payload: { customerId: customer.id, purpose: 'EMAIL_MARKETING', granted: false },
        },
      ]),
    );
    const history = await profileHistory(ctx.deps.db, customer.id);
    expect(history.map((h) => [h.field, h.oldValue, h.newValue, h.channel, h.actor])).toEqual([
      [
        'consent.EMAIL_MARKETING',
        'granted (source: app sign-up screen; until 2026-12-20T09:00:00.000Z)',
        'withdrawn',
        'SYSTEM',
        'system',
      ],
      ['consent.PROFILING', null, 'granted', 'STORE', 'channel:STORE'],
      [
        'consent.EMAIL_MARKETING',
        null,
        'granted (source: app sign-up screen; until 2026-12-20T09:00:00.000Z)',
        'APP',
        'client:app-1',
      ],
    ]);
    // Withdrawing again changes nothing.
    const repeat = await setConsent(ctx.deps, customer.id, {
      purpose: 'EMAIL_MARKETING',
      granted: false,
      channel: 'WEB',
    });
    expect(repeat.changed).toBe(false);
  });
});
