/**
 * Every journey function fed what a hostile client or an unlucky operator sends: odd page sizes, forged
 * cursors, control characters, over-long text, past or unparseable instants, duplicated lists, absurd segment
 * rules. Each is refused with a DomainError of a stable code — never a raw PostgreSQL or validation error —
 * and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { upsertLocation, upsertProduct } from '../../../backoffice-layer/index.js';
import {
  customerSegments,
  getContactPreferences,
  getMerge,
  listDataUse,
  listTimeline,
  mayContact,
  mergeCustomers,
  nextBestOffers,
  profileHistory,
  putSegment,
  recordInteraction,
  setConsent,
  setContactPreferences,
  unlinkIdentifier,
  unmergeCustomers,
  updateCustomerProfile,
} from '../../../journey-layer/index.js';
import { DomainError, ManualClock } from '../../../shared/index.js';
import { codeOf } from './invariants.js';
import {
  createBackofficeTestContext,
  newMembers,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

/** What a name or a note may not hold: C0/C1 controls and bidirectional formatting characters. */
const CONTROL = ['\u0000', '\u0007', '\u001b', '\u0085', '\u202e', '\u200f', '\u2066'];

describe('journey functions fed bad input', () => {
  const clock = new ManualClock('2026-12-01T10:00:00Z');
  let ctx: BackofficeTestContext;
  let her: string;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await upsertProduct(ctx.deps, 'SKU-1', {
      name: 'Winter coat',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    her = await newMembers(ctx, 'bad')();
  });
  afterAll(async () => {
    await ctx.close();
  });

  /** Row counts of every table: a refused call changes none. */
  async function counts(): Promise<Record<string, number>> {
    const r = await sql<{ relname: string; n: string }>`
      SELECT c.relname, (xpath('/row/n/text()',
        query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text AS n
      FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
      WHERE s.nspname = 'public' AND c.relkind = 'r'`.execute(ctx.deps.db);
    return Object.fromEntries(r.rows.map((row) => [row.relname, Number(row.n)]));
  }

  /** The call is refused with `code` (a DomainError, not a raw error) and nothing is written. */
  async function refused(call: () => Promise<unknown>, code: string, what: string): Promise<void> {
    const before = await counts();
    let got: string;
    try {
      await call();
      got = 'OK';
    } catch (e) {
      got = e instanceof DomainError ? e.code : `RAW ${(e as Error).name}: ${(e as Error).message}`;
    }
    expect({ what, got }).toEqual({ what, got: code });
    expect(await counts()).toEqual(before);
  }

  it('timeline and data-use pages: odd sizes and forged cursors are BAD_USER_INPUT', async () => {
    for (const first of [0, -1, 1.5, 201, 1e12, Number.NaN, Number.POSITIVE_INFINITY]) {
      await refused(() => listTimeline(ctx.deps.db, her, { first }), 'BAD_USER_INPUT', `timeline ${first}`);
      await refused(() => listDataUse(ctx.deps.db, her, { first }), 'BAD_USER_INPUT', `data use ${first}`);
    }
    const forged = [
      'x',
      '',
      "' OR 1=1 --",
      Buffer.from('2026-12-01T10:00:00.000Z|not-a-uuid').toString('base64url'),
      Buffer.from(`99999-01-01T00:00:00Z|${randomUUID()}`).toString('base64url'),
      Buffer.from(JSON.stringify({ id: -1 })).toString('base64url'),
      'A'.repeat(100_000),
      '\u0000',
      '-1',
      '1e400',
    ];
    for (const after of forged) {
      // An empty cursor means "from the start"; every other forged one is refused.
      const expected = after === '' ? 'OK' : 'BAD_USER_INPUT';
      await refused(() => listTimeline(ctx.deps.db, her, { first: 5, after }), expected, `timeline ${after}`);
      await refused(() => listDataUse(ctx.deps.db, her, { first: 5, after }), expected, `data use ${after}`);
    }
    await refused(
      () => listTimeline(ctx.deps.db, her, { first: 5, kinds: ['BOGUS' as 'NOTE'] }),
      'BAD_USER_INPUT',
      'unknown kind',
    );
    for (const id of ['nope', '', randomUUID(), "'; DROP TABLE customers; --"]) {
      await refused(() => listTimeline(ctx.deps.db, id, { first: 5 }), 'NOT_FOUND', `timeline of ${id}`);
      await refused(() => profileHistory(ctx.deps.db, id), 'NOT_FOUND', `history of ${id}`);
      await refused(() => customerSegments(ctx.deps.db, id), 'NOT_FOUND', `segments of ${id}`);
      await refused(() => getContactPreferences(ctx.deps.db, id), 'NOT_FOUND', `preferences of ${id}`);
    }
  });

  it('recordInteraction: over-long notes, control characters, bad ids are refused', async () => {
    const opts = (key: string) => ({
      channel: 'CALL_CENTER' as const,
      clientId: null,
      locationId: null,
      actor: 'admin:agent',
      idempotencyKey: key,
    });
    const note = (text: string, key = randomUUID()) =>
      recordInteraction(ctx.deps, { customerId: her, kind: 'NOTE', note: text }, opts(key));
    await refused(() => note('n'.repeat(2001)), 'BAD_USER_INPUT', 'note of 2001');
    await refused(() => note('   '), 'BAD_USER_INPUT', 'blank note');
    for (const c of CONTROL) await refused(() => note(`call${c}back`), 'BAD_USER_INPUT', `note ${c}`);
    await refused(
      () => recordInteraction(ctx.deps, { customerId: 'nope', kind: 'NOTE', note: 'x' }, opts(randomUUID())),
      'BAD_USER_INPUT',
      'bad customer id',
    );
    await refused(
      () =>
        recordInteraction(
          ctx.deps,
          { customerId: randomUUID(), kind: 'NOTE', note: 'x' },
          opts(randomUUID()),
        ),
      'NOT_FOUND',
      'unknown customer',
    );
    // A note of exactly 2000 characters is fine.
    expect((await note('n'.repeat(2000))).interaction.note).toHaveLength(2000);
  });

  it('profile corrections: control characters and over-long names are BAD_USER_INPUT', async () => {
    for (const c of CONTROL)
      await refused(
        () => updateCustomerProfile(ctx.deps, her, { displayName: `Anna${c}Smit` }, 'WEB'),
        'BAD_USER_INPUT',
        `name ${JSON.stringify(c)}`,
      );
    await refused(
      () => updateCustomerProfile(ctx.deps, her, { displayName: 'a'.repeat(201) }, 'WEB'),
      'BAD_USER_INPUT',
      'name of 201',
    );
    await refused(
      () => updateCustomerProfile(ctx.deps, her, { attributes: { shoeSize: 39 } as never }, 'WEB'),
      'BAD_USER_INPUT',
      'unknown attribute',
    );
    await refused(
      () => unlinkIdentifier(ctx.deps, her, { kind: 'BOGUS' as 'EMAIL', value: 'x', channel: 'WEB' }),
      'BAD_USER_INPUT',
      'unknown identifier kind',
    );
    await refused(
      () => unlinkIdentifier(ctx.deps, her, { kind: 'EMAIL', value: 'x'.repeat(100_000), channel: 'WEB' }),
      'BAD_USER_INPUT',
      'huge identifier',
    );
    await refused(
      () => unlinkIdentifier(ctx.deps, her, { kind: 'EMAIL', value: 'nobody@example.nl', channel: 'WEB' }),
      'NOT_FOUND',
      'not her identifier',
    );
  });

  it('consents: past, unparseable and impossible expiries; control characters in the source', async () => {
    const grant = (expiresAt: string | null, source: string | null = 'form') =>
      setConsent(ctx.deps, her, { purpose: 'PROFILING', granted: true, channel: 'WEB', source, expiresAt });
    for (const expiresAt of [
      '2026-11-30T10:00:00Z',
      clock.now().toISOString(),
      'tomorrow',
      '2027-02-30T00:00:00Z',
      '2027-13-01T00:00:00Z',
      '2027-01-01',
      '',
    ])
      await refused(() => grant(expiresAt), 'BAD_USER_INPUT', `expiresAt ${expiresAt}`);
    for (const c of CONTROL)
      await refused(() => grant(null, `till${c}3`), 'BAD_USER_INPUT', `source ${JSON.stringify(c)}`);
    await refused(() => grant(null, 's'.repeat(201)), 'BAD_USER_INPUT', 'source of 201');
    await refused(
      () =>
        setConsent(ctx.deps, her, {
          purpose: 'PROFILING',
          granted: false,
          channel: 'WEB',
          expiresAt: '2027-06-01T00:00:00Z',
        }),
      'BAD_USER_INPUT',
      'expiry on a withdrawal',
    );
    await refused(
      () => setConsent(ctx.deps, her, { purpose: 'SPAM' as 'PROFILING', granted: true, channel: 'WEB' }),
      'BAD_USER_INPUT',
      'unknown purpose',
    );
  });

  it('contact preferences: duplicates, out-of-range limits and junk are BAD_USER_INPUT', async () => {
    const origin = { channel: 'WEB' as const, actor: 'channel:WEB' };
    const bad: unknown[] = [
      { channels: [{ channel: 'EMAIL', topics: ['SERVICE', 'SERVICE'] }] },
      {
        channels: [
          { channel: 'EMAIL', topics: ['SERVICE'] },
          { channel: 'EMAIL', topics: [] },
        ],
      },
      { channels: [{ channel: 'EMAIL', topics: ['SERVICE'], maxPerWeek: -1 }] },
      { channels: [{ channel: 'EMAIL', topics: ['SERVICE'], maxPerWeek: 101 }] },
      { channels: [{ channel: 'EMAIL', topics: ['SERVICE'], maxPerWeek: 1.5 }] },
      { channels: [{ channel: 'FAX', topics: ['SERVICE'] }] },
      { channels: [{ channel: 'EMAIL', topics: ['GOSSIP'] }] },
      { channels: [{ channel: 'EMAIL', topics: ['SERVICE'], extra: 1 }] },
      { channels: 'EMAIL' },
      null,
      undefined,
      'x',
      { channels: Array.from({ length: 5 }, () => ({ channel: 'SMS', topics: [] })) },
    ];
    for (const input of bad)
      await refused(
        () => setContactPreferences(ctx.deps, her, input, origin),
        'BAD_USER_INPUT',
        `preferences ${JSON.stringify(input)}`,
      );
    await refused(
      () => mayContact(ctx.deps.db, her, 'FAX' as 'EMAIL', 'SERVICE'),
      'BAD_USER_INPUT',
      'mayContact by fax',
    );
    await refused(
      () => mayContact(ctx.deps.db, her, 'EMAIL', 'GOSSIP' as 'SERVICE'),
      'BAD_USER_INPUT',
      'mayContact about gossip',
    );
  });

  it('merges: malformed ids and merge ids are refused with stable codes', async () => {
    const other = await newMembers(ctx, 'bad-merge')();
    for (const [survivorId, mergedId, code] of [
      ['nope', other, 'BAD_USER_INPUT'],
      [her, '', 'BAD_USER_INPUT'],
      [her, her, 'CONFLICT'],
      [her, randomUUID(), 'NOT_FOUND'],
    ] as const)
      await refused(
        () => mergeCustomers(ctx.deps, { survivorId, mergedId }, 'CALL_CENTER'),
        code,
        `merge ${survivorId} ← ${mergedId}`,
      );
    const staff = { channel: 'CALL_CENTER' as const, actor: 'admin:lead' };
    for (const mergeId of ['0', '-1', '1e3', '99999999999999999999', '1.5', 'abc', '', ' 1', '\u0000'])
      await refused(() => unmergeCustomers(ctx.deps, mergeId, staff), 'NOT_FOUND', `unmerge ${mergeId}`);
    expect(await getMerge(ctx.deps.db, '9007199254740993')).toBeNull();
  });

  it('segment rules: too deep, unknown keys, absurd windows, control characters are refused', async () => {
    const leaf = { bought: { category: 'coats', withinDays: 90 } };
    let deep: unknown = leaf;
    for (let i = 0; i < 5; i++) deep = { all: [deep] };
    let abyss: unknown = leaf;
    for (let i = 0; i < 20_000; i++) abyss = { any: [abyss] };
    const bodies: Array<[string, unknown]> = [
      ['nested 5 deep', deep],
      ['nested 20,000 deep', abyss],
      ['unknown key', { bought: { category: 'coats', withinDays: 90, colour: 'red' } }],
      ['unknown test', { visited: { withinDays: 90 } }],
      ['withinDays 0', { bought: { withinDays: 0 } }],
      ['withinDays absurd', { bought: { withinDays: 1e9 } }],
      ['withinDays fraction', { spent: { atLeast: 100, withinDays: 1.5 } }],
      ['empty all', { all: [] }],
      ['NUL in category', { bought: { category: 'coa\u0000ts', withinDays: 90 } }],
      ['bidi in sku', { bought: { sku: 'SKU\u202e-1', withinDays: 90 } }],
    ];
    for (const [what, definition] of bodies)
      await refused(
        () => putSegment(ctx.deps, 'attack', { name: 'Attack', kind: 'RULE', definition }),
        'BAD_USER_INPUT',
        what,
      );
    await refused(
      () =>
        putSegment(ctx.deps, 'attack', {
          name: 'Att\u0000ack',
          kind: 'RULE',
          definition: leaf,
        }),
      'BAD_USER_INPUT',
      'NUL in name',
    );
    await refused(
      () => putSegment(ctx.deps, '-bad', { name: 'Bad', kind: 'RULE', definition: leaf }),
      'BAD_USER_INPUT',
      'bad id',
    );
  });

  it('two first PUTs of one segment id with other kinds at once: one wins, one is CONFLICT', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}`;
      const results = await Promise.allSettled([
        putSegment(ctx.deps, id, {
          name: 'Rule',
          kind: 'RULE',
          definition: { bought: { category: 'coats', withinDays: 90 } },
        }),
        putSegment(ctx.deps, id, { name: 'Rfm', kind: 'RFM', definition: { rank: 9, when: {} } }),
      ]);
      expect(results.map(codeOf).sort()).toEqual(['CONFLICT', 'OK']);
      const row = await ctx.deps.db
        .selectFrom('segmentDefinitions')
        .select(['kind', 'definition'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      // The stored document is one of the stored kind.
      expect({ kind: row.kind, hasRank: 'rank' in (row.definition as object) }).toEqual({
        kind: row.kind,
        hasRank: row.kind === 'RFM',
      });
    }
  });

  it('next best offers: odd sizes, revisions and places are refused with stable codes', async () => {
    for (const first of [0, -1, 1.5, 21, 1e12, Number.NaN])
      await refused(
        () => nextBestOffers(ctx.deps, { customerId: her, locationId: null, first }),
        'BAD_USER_INPUT',
        `first ${first}`,
      );
    await refused(
      () => nextBestOffers(ctx.deps, { customerId: her, locationId: null, first: 5, minRevision: -1 }),
      'BAD_USER_INPUT',
      'negative revision',
    );
    await refused(
      () => nextBestOffers(ctx.deps, { customerId: her, locationId: null, first: 5, minRevision: 1e15 }),
      'BAD_USER_INPUT',
      'revision ahead',
    );
    await refused(
      () => nextBestOffers(ctx.deps, { customerId: her, locationId: 'nowhere', first: 5 }),
      'NOT_FOUND',
      'unknown location',
    );
    await refused(
      () => nextBestOffers(ctx.deps, { customerId: her, locationId: null, first: 5, currency: 'XXX1' }),
      'BAD_USER_INPUT',
      'bad currency',
    );
    await refused(
      () => nextBestOffers(ctx.deps, { customerId: 'nope', locationId: null, first: 5 }),
      'BAD_USER_INPUT',
      'bad customer',
    );
  });
});
