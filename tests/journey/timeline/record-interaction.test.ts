/**
 * What channels report on a customer's timeline (issue 13, "the customer's timeline"): which channel may
 * report which kind, a store terminal's own store, the input rules and their codes, one idempotent write with
 * its revision and event, the per-customer rate limit (a failed call is not counted), merges followed.
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
