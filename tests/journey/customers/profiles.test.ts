import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  enrollCustomer,
  findCustomerByIdentifier,
  getCustomer,
  getCustomerFacts,
  linkIdentifier,
  normalizeIdentifier,
  setConsent,
  updateCustomerProfile,
} from '../../../journey-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import { givenStores } from './fixtures.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

describe('identifier normalisation', () => {
  it.each([
    ['EMAIL', '  Anne.de.Vries@Example.NL ', 'anne.de.vries@example.nl'],
    ['PHONE', '06-1234 5678', '+31612345678'],
    ['PHONE', '+31 (0)6 12345678', '+31612345678'],
    ['PHONE', '0031 6 1234 5678', '+31612345678'],
    ['LOYALTY_CARD', 'nk-0042 9981', 'NK00429981'],
    ['APP_ACCOUNT', ' apple:000123.abc ', 'apple:000123.abc'],
  ] as const)('%s %j → %j', (kind, raw, expected) => {
    expect(normalizeIdentifier(kind, raw)).toBe(expected);
  });

  it.each([
    ['EMAIL', 'not-an-email'],
    ['PHONE', '12'],
    ['PHONE', 'call me'],
    ['LOYALTY_CARD', 'ab'],
    ['EMAIL', ''],
  ] as const)('rejects %s %j with BAD_USER_INPUT', (kind, raw) => {
    expect(() => normalizeIdentifier(kind, raw)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});

describe('customer profiles', () => {
  const clock = new ManualClock('2026-11-20T09:00:00Z');
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await givenStores(ctx, 'ams-01');
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('enrols one profile reachable by every identifier however it is typed', async () => {
    const { customer, revision } = await enrollCustomer(
      ctx.deps,
      {
        displayName: 'Anne de Vries',
        email: 'Anne@Example.nl',
        phone: '06 1234 5678',
        loyaltyCard: 'nk-100-200',
        consents: ['EMAIL_MARKETING'],
        attributes: { birthday: '1990-03-14', homeStore: 'ams-01', segments: ['newsletter'] },
      },
      { channel: 'STORE', idempotencyKey: 'enrol-anne' },
    );
    expect(revision).toBeGreaterThan(0);
    expect(customer.identifiers.map((i) => [i.kind, i.value, i.channel])).toEqual([
      ['EMAIL', 'anne@example.nl', 'STORE'],
      ['LOYALTY_CARD', 'NK100200', 'STORE'],
      ['PHONE', '+31612345678', 'STORE'],
    ]);
    expect(await findCustomerByIdentifier(ctx.deps.db, 'EMAIL', ' ANNE@example.NL')).toBe(customer.id);
    expect(await findCustomerByIdentifier(ctx.deps.db, 'PHONE', '+31612345678')).toBe(customer.id);
    expect(await findCustomerByIdentifier(ctx.deps.db, 'LOYALTY_CARD', 'NK100200')).toBe(customer.id);
    expect(await findCustomerByIdentifier(ctx.deps.db, 'EMAIL', 'nobody@example.nl')).toBeNull();
    expect(customer.attributes.homeStore).toEqual({
      value: 'ams-01',
      channel: 'STORE',
      changedAt: '2026-11-20T09:00:00.000Z',
    });
    const outbox = await ctx.deps.db
      .selectFrom('outbox')
      .select(['type', 'payload'])
      .where('revision', '=', revision)
      .orderBy('position')
      .execute();
    expect(outbox.map((e) => e.type)).toEqual(['consent.changed', 'customer.changed']);
    // Events carry ids, never personal data.
    expect(JSON.stringify(outbox)).not.toMatch(/anne|1234|NK100200/i);
  });

  it('replays an enrolment with the same key instead of creating a second profile', async () => {
    const input = { displayName: 'Bram', email: 'bram@example.nl' };
    const [a, b] = await Promise.all([
      enrollCustomer(ctx.deps, input, { channel: 'WEB', idempotencyKey: 'enrol-bram' }),
      enrollCustomer(ctx.deps, input, { channel: 'WEB', idempotencyKey: 'enrol-bram' }),
    ]);
    expect(a.customer.id).toBe(b.customer.id);
    expect(a.revision).toBe(b.revision);
    const n = await ctx.deps.db
      .selectFrom('customerIdentifiers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('value', '=', 'bram@example.nl')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
  });

  it('refuses an identifier that belongs to someone else, writing nothing', async () => {
    const before = await ctx.deps.db
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    await expect(
      enrollCustomer(
        ctx.deps,
        { displayName: 'Impostor', email: 'anne@example.nl', phone: '0611111111' },
        { channel: 'WEB', idempotencyKey: 'enrol-x' },
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const after = await ctx.deps.db
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect(await findCustomerByIdentifier(ctx.deps.db, 'PHONE', '0611111111')).toBeNull();
  });

  it('links identifiers, corrects attributes and records consent changes with time and channel', async () => {
    const id = (await findCustomerByIdentifier(ctx.deps.db, 'EMAIL', 'bram@example.nl'))!;
    const linked = await linkIdentifier(ctx.deps, id, {
      kind: 'APP_ACCOUNT',
      value: 'app-777',
      channel: 'APP',
    });
    expect(linked.customer.identifiers.map((i) => i.kind)).toEqual(['APP_ACCOUNT', 'EMAIL']);
    const again = await linkIdentifier(ctx.deps, id, {
      kind: 'APP_ACCOUNT',
      value: 'app-777',
      channel: 'APP',
    });
    expect(again.revision).toBe(linked.revision);
    await expect(
      linkIdentifier(ctx.deps, id, { kind: 'EMAIL', value: 'anne@example.nl', channel: 'WEB' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });

    clock.advance(60_000);
    await updateCustomerProfile(
      ctx.deps,
      id,
      { attributes: { segments: ['students', 'newsletter'], birthday: '2001-07-01' } },
      'CALL_CENTER',
    );
    const granted = await setConsent(ctx.deps, id, {
      purpose: 'PERSONALISATION',
      granted: true,
      channel: 'APP',
    });
    expect(granted.changed).toBe(true);
    expect(
      (await setConsent(ctx.deps, id, { purpose: 'PERSONALISATION', granted: true, channel: 'WEB' })).changed,
    ).toBe(false);
    let facts = await getCustomerFacts(ctx.deps.db, id);
    expect(facts).toMatchObject({
      segments: ['students', 'newsletter'],
      birthday: '2001-07-01',
      firstOrder: true,
      consents: { PERSONALISATION: true, EMAIL_MARKETING: false },
    });
    await setConsent(ctx.deps, id, { purpose: 'PERSONALISATION', granted: false, channel: 'CALL_CENTER' });
    facts = await getCustomerFacts(ctx.deps.db, id);
    expect(facts?.consents.PERSONALISATION).toBe(false);
    const history = await ctx.deps.db
      .selectFrom('consentHistory')
      .select(['purpose', 'granted', 'channel'])
      .where('customerId', '=', id)
      .orderBy('id')
      .execute();
    expect(history).toEqual([
      { purpose: 'PERSONALISATION', granted: true, channel: 'APP' },
      { purpose: 'PERSONALISATION', granted: false, channel: 'CALL_CENTER' },
    ]);
    const view = await getCustomer(ctx.deps.db, id);
    expect(view?.attributes.segments).toEqual({
      value: ['students', 'newsletter'],
      channel: 'CALL_CENTER',
      changedAt: '2026-11-20T09:01:00.000Z',
    });
  });

  it('rejects malformed input with BAD_USER_INPUT and unknown ids with NOT_FOUND', async () => {
    await expect(
      enrollCustomer(ctx.deps, { email: 'nope' }, { channel: 'WEB', idempotencyKey: 'bad-1' }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(
      enrollCustomer(ctx.deps, { attributes: { birthday: '31-12-1990' } } as never, {
        channel: 'WEB',
        idempotencyKey: 'bad-2',
      }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(
      setConsent(ctx.deps, '00000000-0000-4000-8000-000000000000', {
        purpose: 'PROFILING',
        granted: true,
        channel: 'WEB',
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      setConsent(ctx.deps, 'not-a-uuid', { purpose: 'PROFILING', granted: true, channel: 'WEB' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
