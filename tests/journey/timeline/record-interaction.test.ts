/**
 * What channels report on a customer's timeline (issue 13, "the customer's timeline"): which channel may
 * report which kind, a store terminal's own store, the input rules and their codes, one idempotent write with
 * its revision and event, the per-customer rate limit (a failed call is not counted), merges followed; calls
 * that arrive together share a commit yet are decided each on its own, and an erasure racing with them leaves
 * no interaction behind.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { upsertLocation, upsertProduct } from '../../../backoffice-layer/index.js';
import {
  eraseCustomer,
  INTERACTIONS_PER_CUSTOMER_PER_MINUTE,
  listTimeline,
  mergeCustomers,
  recordInteraction,
  type InteractionInput,
  type RecordInteractionOptions,
} from '../../../journey-layer/index.js';
import { ManualClock, type WriteOrigin } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  type BackofficeTestContext,
} from '../../support/backoffice.js';
import { refusal } from './refusal.js';

const ORIGINS: readonly WriteOrigin[] = ['WEB', 'APP', 'STORE', 'CALL_CENTER', 'CONSOLE', 'ADMIN', 'IMPORT'];
/** The rule, written out: who may report what. */
const MAY_REPORT: Record<string, readonly WriteOrigin[]> = {
  PRODUCT_VIEWED: ['WEB', 'APP'],
  CART_UPDATED: ['WEB', 'APP'],
  WISHLIST_ADDED: ['WEB', 'APP'],
  STORE_VISIT: ['STORE', 'APP', 'CONSOLE', 'ADMIN'],
  SERVICE_CONTACT: ['STORE', 'CALL_CENTER', 'CONSOLE', 'ADMIN'],
  NOTE: ['STORE', 'CALL_CENTER', 'CONSOLE', 'ADMIN'],
};

describe('recording interactions', () => {
  const clock = new ManualClock('2026-12-01T10:00:10Z');
  let ctx: BackofficeTestContext;
  let member: () => Promise<string>;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    member = newMembers(ctx, 'timeline');
    await upsertProduct(ctx.deps, 'SKU-1', {
      name: 'Winter coat',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertLocation(ctx.deps, 'utr-01', { name: 'Utrecht', kind: 'STORE', fulfilsOnline: false });
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
  });
  afterAll(async () => {
    await ctx.close();
  });

  /** A channel client of `channel` (a store terminal of ams-01), a fresh key each call. */
  const from = (
    channel: WriteOrigin,
    over: Partial<RecordInteractionOptions> = {},
  ): RecordInteractionOptions => {
    const clientId = channel === 'ADMIN' ? null : randomUUID();
    return {
      channel,
      clientId,
      locationId: channel === 'STORE' ? 'ams-01' : null,
      actor: clientId ? `client:${clientId}` : 'admin:ops',
      idempotencyKey: randomUUID(),
      ...over,
    };
  };
  /** A valid report of `kind` for `customerId`. */
  const report = (customerId: string, kind: string): InteractionInput => {
    const base = { customerId, kind } as InteractionInput;
    if (kind === 'STORE_VISIT') return { ...base, locationId: 'ams-01' };
    if (kind === 'SERVICE_CONTACT' || kind === 'NOTE') return { ...base, note: 'Asked about a size' };
    return { ...base, sku: 'SKU-1' };
  };
  const rowsOf = (customerId: string) =>
    ctx.deps.db
      .selectFrom('customerInteractions')
      .selectAll()
      .where('customerId', '=', customerId)
      .orderBy('occurredAt')
      .execute();

  it('writes one row and one event in one revision, with a plain-English summary', async () => {
    const her = await member();
    const opts = from('WEB');
    const { interaction, revision } = await recordInteraction(
      ctx.deps,
      { customerId: her, kind: 'PRODUCT_VIEWED', sku: 'SKU-1' },
      opts,
    );
    expect(interaction).toEqual({
      id: expect.any(String),
      kind: 'PRODUCT_VIEWED',
      channel: 'WEB',
      at: '2026-12-01T10:00:10.000Z',
      locationId: null,
      sku: 'SKU-1',
      orderId: null,
      summary: 'Viewed SKU-1 (Winter coat)',
      note: null,
      revision,
    });
    const [row] = await rowsOf(her);
    expect(row).toMatchObject({
      id: interaction.id,
      revision,
      actor: opts.actor,
      source: `client:${opts.clientId}:${opts.idempotencyKey}`,
    });
    const events = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('revision', '=', revision)
      .execute();
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      ['interaction.recorded', { customerId: her, interactionId: interaction.id, kind: 'PRODUCT_VIEWED' }],
    ]);
  });

  it('lets each channel report only its kinds: FORBIDDEN otherwise, and nothing is written', async () => {
    const her = await member();
    let allowed = 0;
    for (const kind of Object.keys(MAY_REPORT)) {
      for (const channel of ORIGINS) {
        const call = recordInteraction(ctx.deps, report(her, kind), from(channel));
        if (MAY_REPORT[kind]!.includes(channel)) {
          expect((await call).interaction).toMatchObject({ kind, channel });
          allowed++;
        } else {
          const e = await refusal(call);
          expect([kind, channel, e.code]).toEqual([kind, channel, 'FORBIDDEN']);
        }
      }
    }
    expect(allowed).toBe(18);
    expect(await rowsOf(her)).toHaveLength(allowed);
  });

  it("refuses the hub's own kinds: only the hub writes them", async () => {
    const her = await member();
    for (const kind of ['ORDER_PLACED', 'STORE_SALE', 'FULFILMENT', 'RETURN', 'POINTS', 'TIER', 'CONSENT']) {
      const e = await refusal(
        recordInteraction(ctx.deps, { customerId: her, kind } as InteractionInput, from('CONSOLE')),
      );
      expect(e.code).toBe('BAD_USER_INPUT');
      expect(e.details).toEqual({ issues: [expect.objectContaining({ path: 'input.kind' })] });
    }
    expect(await rowsOf(her)).toHaveLength(0);
  });

  it('validates the input: codes and paths, and a refused call writes nothing', async () => {
    const her = await member();
    const erased = await member();
    await eraseCustomer(ctx.deps, erased, 'admin:dpo');
    const cases: Array<[unknown, string, string | null]> = [
      [
        { customerId: 'not-a-uuid', kind: 'PRODUCT_VIEWED', sku: 'SKU-1' },
        'BAD_USER_INPUT',
        'input.customerId',
      ],
      [{ customerId: randomUUID(), kind: 'PRODUCT_VIEWED', sku: 'SKU-1' }, 'NOT_FOUND', null],
      [{ customerId: erased, kind: 'PRODUCT_VIEWED', sku: 'SKU-1' }, 'NOT_FOUND', null],
      [{ customerId: her, kind: 'WALKED_BY' }, 'BAD_USER_INPUT', 'input.kind'],
      [{ customerId: her, kind: 'PRODUCT_VIEWED' }, 'BAD_USER_INPUT', 'input.sku'],
      [{ customerId: her, kind: 'PRODUCT_VIEWED', sku: 'NOPE-1' }, 'NOT_FOUND', null],
      [{ customerId: her, kind: 'PRODUCT_VIEWED', sku: 'bad sku' }, 'BAD_USER_INPUT', 'input.sku'],
      [{ customerId: her, kind: 'CART_UPDATED', locationId: 'nowhere' }, 'NOT_FOUND', null],
      [{ customerId: her, kind: 'CART_UPDATED', note: 'hello' }, 'BAD_USER_INPUT', 'input.note'],
      [{ customerId: her, kind: 'CART_UPDATED', extra: 1 }, 'BAD_USER_INPUT', 'input'],
    ];
    for (const [input, code, path] of cases) {
      const e = await refusal(recordInteraction(ctx.deps, input as InteractionInput, from('WEB')));
      expect([input, e.code]).toEqual([input, code]);
      if (path) expect((e.details as { issues: Array<{ path: string }> }).issues[0]!.path).toBe(path);
    }
    const staff: Array<[unknown, string, string | null]> = [
      [{ customerId: her, kind: 'SERVICE_CONTACT' }, 'BAD_USER_INPUT', 'input.note'],
      [{ customerId: her, kind: 'NOTE', note: '   ' }, 'BAD_USER_INPUT', 'input.note'],
      [{ customerId: her, kind: 'NOTE', note: 'x'.repeat(2001) }, 'BAD_USER_INPUT', 'input.note'],
      [{ customerId: her, kind: 'NOTE', note: 'line\u202Eevil' }, 'BAD_USER_INPUT', 'input.note'],
      [{ customerId: her, kind: 'NOTE', note: 'nul\u0000' }, 'BAD_USER_INPUT', 'input.note'],
      [{ customerId: her, kind: 'NOTE', note: 'bell\u0007' }, 'BAD_USER_INPUT', 'input.note'],
      [{ customerId: her, kind: 'NOTE', note: 'lone\rreturn' }, 'BAD_USER_INPUT', 'input.note'],
      [{ customerId: her, kind: 'STORE_VISIT' }, 'BAD_USER_INPUT', null],
      [{ customerId: her, kind: 'STORE_VISIT', locationId: 'wh-1' }, 'BAD_USER_INPUT', null],
    ];
    for (const [input, code, path] of staff) {
      const e = await refusal(recordInteraction(ctx.deps, input as InteractionInput, from('CONSOLE')));
      expect([input, e.code]).toEqual([input, code]);
      if (path) expect((e.details as { issues: Array<{ path: string }> }).issues[0]!.path).toBe(path);
    }
    expect(await rowsOf(her)).toHaveLength(0);
    const ok = await recordInteraction(
      ctx.deps,
      { customerId: her, kind: 'NOTE', note: ` ${'x'.repeat(2000)} ` },
      from('CALL_CENTER'),
    );
    expect(ok.interaction.note).toBe('x'.repeat(2000));
    // An agent's note may run over several lines; a Windows line break is stored as a line feed.
    const lines = await recordInteraction(
      ctx.deps,
      { customerId: her, kind: 'SERVICE_CONTACT', note: 'Asked about the coat.\r\n\tSize 40: call back.' },
      from('CALL_CENTER'),
    );
    expect(lines.interaction.note).toBe('Asked about the coat.\n\tSize 40: call back.');
  });

  it("puts a store terminal's interaction at its own store; another store is FORBIDDEN", async () => {
    const her = await member();
    const visit = await recordInteraction(ctx.deps, { customerId: her, kind: 'STORE_VISIT' }, from('STORE'));
    expect(visit.interaction).toMatchObject({
      locationId: 'ams-01',
      summary: 'Visited the store ams-01 (Amsterdam)',
    });
    const contact = await recordInteraction(
      ctx.deps,
      { customerId: her, kind: 'SERVICE_CONTACT', locationId: 'ams-01', note: 'Hemmed the coat' },
      from('STORE'),
    );
    expect(contact.interaction).toMatchObject({
      locationId: 'ams-01',
      summary: 'Service contact at ams-01 (Amsterdam)',
      note: 'Hemmed the coat',
    });
    const e = await refusal(
      recordInteraction(
        ctx.deps,
        { customerId: her, kind: 'STORE_VISIT', locationId: 'utr-01' },
        from('STORE'),
      ),
    );
    expect(e.code).toBe('FORBIDDEN');
    // The console names the store it speaks of.
    const console = await recordInteraction(
      ctx.deps,
      { customerId: her, kind: 'STORE_VISIT', locationId: 'utr-01' },
      from('CONSOLE'),
    );
    expect(console.interaction.locationId).toBe('utr-01');
    const app = await recordInteraction(
      ctx.deps,
      { customerId: her, kind: 'STORE_VISIT', locationId: 'utr-01' },
      from('APP'),
    );
    expect(app.interaction.summary).toBe('Visited the store utr-01 (Utrecht) (checked in with the app)');
    expect(await rowsOf(her)).toHaveLength(4);
  });

  it("summarises a service contact by where it happened, never quoting the agent's note", async () => {
    const her = await member();
    const note = 'She is unhappy with the delivery; call back Friday';
    const { interaction } = await recordInteraction(
      ctx.deps,
      { customerId: her, kind: 'SERVICE_CONTACT', note },
      from('CALL_CENTER'),
    );
    expect(interaction.summary).toBe('Service contact at the call center');
    expect(interaction.note).toBe(note);
    const n = await recordInteraction(
      ctx.deps,
      { customerId: her, kind: 'NOTE', note, sku: 'SKU-1' },
      from('CONSOLE'),
    );
    expect(n.interaction.summary).toBe('Note through the console about SKU-1 (Winter coat)');
    for (const s of [interaction.summary, n.interaction.summary]) expect(s).not.toContain('unhappy');
  });

  it('is idempotent per client and key; the key with another body is a CONFLICT', async () => {
    const her = await member();
    const opts = from('APP');
    const input: InteractionInput = { customerId: her, kind: 'WISHLIST_ADDED', sku: 'SKU-1' };
    const first = await recordInteraction(ctx.deps, input, opts);
    clock.advance(1_000);
    const again = await recordInteraction(ctx.deps, input, opts);
    expect(again).toEqual(first);
    const e = await refusal(recordInteraction(ctx.deps, { ...input, kind: 'CART_UPDATED' }, opts));
    expect(e.code).toBe('CONFLICT');
    expect(e.details).toEqual({ idempotencyKey: opts.idempotencyKey });
    // The same key from another client is that client's own.
    const other = await recordInteraction(ctx.deps, input, {
      ...from('APP'),
      idempotencyKey: opts.idempotencyKey,
    });
    expect(other.interaction.id).not.toBe(first.interaction.id);
    expect(await rowsOf(her)).toHaveLength(2);
  });

  it('limits interactions per customer a minute; a failed call is not counted, writes nothing', async () => {
    clock.set('2026-12-01T11:00:05Z');
    const her = await member();
    const someoneElse = await member();
    const view = (key: string) =>
      recordInteraction(
        ctx.deps,
        { customerId: her, kind: 'PRODUCT_VIEWED', sku: 'SKU-1' },
        from('WEB', { idempotencyKey: key }),
      );
    // Refused before anything is counted: unknown SKU, wrong channel.
    for (let i = 0; i < 5; i++) {
      expect(
        (
          await refusal(
            recordInteraction(
              ctx.deps,
              { customerId: her, kind: 'PRODUCT_VIEWED', sku: 'NOPE' },
              from('WEB'),
            ),
          )
        ).code,
      ).toBe('NOT_FOUND');
      expect((await refusal(recordInteraction(ctx.deps, report(her, 'NOTE'), from('WEB')))).code).toBe(
        'FORBIDDEN',
      );
    }
    const opts = from('WEB');
    await recordInteraction(ctx.deps, { customerId: her, kind: 'PRODUCT_VIEWED', sku: 'SKU-1' }, opts);
    for (let i = 1; i < INTERACTIONS_PER_CUSTOMER_PER_MINUTE - 1; i++) await view(`v-${i}`);
    // Refused inside the write (a key reused with another body): its slot is given back.
    const conflict = await refusal(
      recordInteraction(ctx.deps, { customerId: her, kind: 'CART_UPDATED' }, opts),
    );
    expect(conflict.code).toBe('CONFLICT');
    // A replay is not a new interaction: not counted.
    await recordInteraction(ctx.deps, { customerId: her, kind: 'PRODUCT_VIEWED', sku: 'SKU-1' }, opts);
    await view('last-one');
    expect(await rowsOf(her)).toHaveLength(INTERACTIONS_PER_CUSTOMER_PER_MINUTE);

    clock.advance(10_000);
    const limited = await refusal(view('one-too-many'));
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.details).toEqual({ retryAfterSeconds: 45 });
    expect(await rowsOf(her)).toHaveLength(INTERACTIONS_PER_CUSTOMER_PER_MINUTE);
    // A replay of an interaction she already has is answered, whatever the rate.
    expect(
      (await recordInteraction(ctx.deps, { customerId: her, kind: 'PRODUCT_VIEWED', sku: 'SKU-1' }, opts))
        .interaction.sku,
    ).toBe('SKU-1');
    // The window counts per customer, under her profile's keys (erasure scrubs them).
    await recordInteraction(
      ctx.deps,
      { customerId: someoneElse, kind: 'PRODUCT_VIEWED', sku: 'SKU-1' },
      from('WEB'),
    );
    const keys = await ctx.deps.redis.keys(`${ctx.deps.redisPrefix}:customer:${her}:*`);
    expect(keys).toHaveLength(1);
    expect(Number(await ctx.deps.redis.get(keys[0]!))).toBe(INTERACTIONS_PER_CUSTOMER_PER_MINUTE);
    // The next minute, a new window.
    clock.advance(45_000);
    await view('next-minute');
    expect(await rowsOf(her)).toHaveLength(INTERACTIONS_PER_CUSTOMER_PER_MINUTE + 1);
  });

  it('records 20 concurrent calls with one key once; another body under it is a CONFLICT', async () => {
    clock.set('2026-12-01T12:00:05Z');
    const her = await member();
    const opts = from('WEB');
    const view: InteractionInput = { customerId: her, kind: 'PRODUCT_VIEWED', sku: 'SKU-1' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => recordInteraction(ctx.deps, view, opts)),
    );
    expect(new Set(answers.map((a) => a.interaction.id)).size).toBe(1);
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(await rowsOf(her)).toHaveLength(1);

    // Two bodies under one key at once: one is recorded (its calls answer it), the other's are CONFLICT.
    const key = from('APP');
    const cart: InteractionInput = { customerId: her, kind: 'CART_UPDATED', sku: 'SKU-1' };
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        recordInteraction(ctx.deps, i % 2 === 0 ? { ...view } : cart, key),
      ),
    );
    const recorded = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.interaction.id] : []));
    const refused = settled.flatMap((s) =>
      s.status === 'rejected' ? [(s.reason as { code: string }).code] : [],
    );
    expect(new Set(recorded).size).toBe(1);
    expect(refused).toEqual(Array.from({ length: 20 - recorded.length }, () => 'CONFLICT'));
    expect(await rowsOf(her)).toHaveLength(2);
    // Only the two interactions recorded count in her window.
    const [window] = await ctx.deps.redis.keys(`${ctx.deps.redisPrefix}:customer:${her}:*`);
    expect(Number(await ctx.deps.redis.get(window!))).toBe(2);
  });

  it('commits calls that arrive together at one revision, deciding each on its own', async () => {
    clock.set('2026-12-01T12:10:05Z');
    const [lead, a, b, c, survivor, merged] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => member()));
    await mergeCustomers(ctx.deps, { survivorId: survivor!, mergedId: merged! }, 'CONSOLE');
    const view = (customerId: string, sku = 'SKU-1'): InteractionInput => ({
      customerId,
      kind: 'PRODUCT_VIEWED',
      sku,
    });
    const unknownSkuKey = from('WEB');
    // The lead takes a transaction alone; the calls made while it commits wait for it and go together.
    const [, ra, rb, rc, rm, rNobody, rWarehouse] = await Promise.allSettled([
      recordInteraction(ctx.deps, view(lead!), from('WEB')),
      recordInteraction(ctx.deps, view(a!), from('WEB')),
      recordInteraction(ctx.deps, view(b!, 'NOPE-2'), unknownSkuKey),
      recordInteraction(ctx.deps, view(c!), from('WEB')),
      recordInteraction(ctx.deps, view(merged!), from('APP')),
      recordInteraction(ctx.deps, view(randomUUID()), from('WEB')),
      recordInteraction(ctx.deps, { customerId: a!, kind: 'STORE_VISIT', locationId: 'wh-1' }, from('APP')),
    ]);
    const ok = (r: PromiseSettledResult<{ interaction: { id: string }; revision: number }> | undefined) => {
      if (r?.status !== 'fulfilled') throw new Error(`expected a recorded interaction, got ${String(r)}`);
      return r.value;
    };
    const codeOf = (r: PromiseSettledResult<unknown> | undefined) =>
      r?.status === 'rejected' ? (r.reason as { code: string }).code : 'recorded';
    expect([codeOf(rb), codeOf(rNobody), codeOf(rWarehouse)]).toEqual([
      'NOT_FOUND',
      'NOT_FOUND',
      'BAD_USER_INPUT',
    ]);
    const [ia, ic] = [ok(ra), ok(rc)];
    expect(ia.revision).toBe(ic.revision);
    const events = await ctx.deps.db
      .selectFrom('outbox')
      .select('payload')
      .where('revision', '=', ia.revision)
      .where('type', '=', 'interaction.recorded')
      .execute();
    expect(events.map((e) => e.payload)).toEqual(
      expect.arrayContaining([
        { customerId: a, interactionId: ia.interaction.id, kind: 'PRODUCT_VIEWED' },
        { customerId: c, interactionId: ic.interaction.id, kind: 'PRODUCT_VIEWED' },
      ]),
    );
    // Each row at the revision of the write that committed it; the merged profile's on the survivor.
    expect((await rowsOf(a!)).map((r) => [r.id, r.revision])).toEqual([[ia.interaction.id, ia.revision]]);
    expect((await rowsOf(survivor!)).map((r) => r.id)).toEqual([ok(rm).interaction.id]);
    // The refused call wrote nothing, took no slot, and left its key free.
    expect(await rowsOf(b!)).toHaveLength(0);
    for (const k of await ctx.deps.redis.keys(`${ctx.deps.redisPrefix}:customer:${b}:*`))
      expect(Number(await ctx.deps.redis.get(k))).toBe(0);
    expect((await recordInteraction(ctx.deps, view(b!), unknownSkuKey)).interaction.sku).toBe('SKU-1');
  });

  it('holds the rate limit in a burst: the calls past it and the failed ones are not counted', async () => {
    clock.set('2026-12-01T12:20:05Z');
    const her = await member();
    const limit = INTERACTIONS_PER_CUSTOMER_PER_MINUTE;
    const settled = await Promise.allSettled(
      Array.from({ length: limit + 10 }, (_, i) =>
        recordInteraction(
          ctx.deps,
          { customerId: her, kind: 'PRODUCT_VIEWED', sku: i % 26 === 3 ? 'NOPE-3' : 'SKU-1' },
          from('WEB'),
        ),
      ),
    );
    const codes = settled.map((s) => (s.status === 'rejected' ? (s.reason as { code: string }).code : 'OK'));
    const count = (code: string) => codes.filter((c) => c === code).length;
    expect([count('OK'), count('NOT_FOUND'), count('RATE_LIMITED')]).toEqual([limit, 5, 5]);
    expect(await rowsOf(her)).toHaveLength(limit);
    const [window] = await ctx.deps.redis.keys(`${ctx.deps.redisPrefix}:customer:${her}:*`);
    expect(Number(await ctx.deps.redis.get(window!))).toBe(limit);
  });

  it('leaves no interaction behind an erasure that races with them', async () => {
    const her = await member();
    const view = () =>
      recordInteraction(ctx.deps, { customerId: her, kind: 'PRODUCT_VIEWED', sku: 'SKU-1' }, from('WEB'));
    const before = Array.from({ length: 10 }, view);
    const erasure = eraseCustomer(ctx.deps, her, 'admin:dpo');
    const after = Array.from({ length: 10 }, view);
    const settled = await Promise.allSettled([...before, ...after]);
    const receipt = await erasure;
    for (const s of settled)
      if (s.status === 'rejected') expect((s.reason as { code: string }).code).toBe('NOT_FOUND');
    expect(await rowsOf(her)).toHaveLength(0);
    expect(await rowsOf(receipt.erasureId)).toHaveLength(0);
    expect((await refusal(view())).code).toBe('NOT_FOUND');
  });

  it('follows merges to the live profile', async () => {
    const survivor = await member();
    const merged = await member();
    await mergeCustomers(ctx.deps, { survivorId: survivor, mergedId: merged }, 'CONSOLE');
    const { interaction } = await recordInteraction(
      ctx.deps,
      { customerId: merged, kind: 'CART_UPDATED', sku: 'SKU-1' },
      from('WEB'),
    );
    expect(interaction.summary).toBe('Updated the cart: SKU-1 (Winter coat)');
    expect((await rowsOf(survivor)).map((r) => r.id)).toEqual([interaction.id]);
    const page = await listTimeline(ctx.deps.db, merged, { first: 10 });
    expect(page).toMatchObject({
      customerId: survivor,
      items: [{ id: interaction.id }],
      revision: interaction.revision,
    });
  });
});
