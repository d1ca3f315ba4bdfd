/**
 * Staff search for customers on the admin API: by an identifier however it is typed (normalised as every
 * channel's are) or by part of the name; bounded; answers no more than the staff view (id and display name,
 * never an identifier); every search is on the audit trail with the admin key as actor, without the value
 * searched for.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { enrollCustomer, eraseCustomer, mergeCustomers } from '../../journey-layer/index.js';
import { startAdminNode, type AdminNode } from '../support/admin-node.js';
import type { BackofficeTestContext } from '../support/backoffice.js';

let admin: AdminNode;
let ctx: BackofficeTestContext;
let anna: string;
let annelies: string;
beforeAll(async () => {
  admin = await startAdminNode('service desk');
  ctx = admin.ctx;
  const enrol = async (input: Parameters<typeof enrollCustomer>[1]) =>
    (await enrollCustomer(ctx.deps, input, { channel: 'ADMIN', idempotencyKey: randomUUID() })).customer.id;
  anna = await enrol({
    displayName: 'Anna de Vries',
    email: 'Anna.deVries@Example.nl',
    phone: '+31612345678',
    loyaltyCard: 'NK-1234-5678',
  });
  annelies = await enrol({ displayName: 'Annelies Bakker', email: 'annelies@example.nl' });
  await enrol({ displayName: 'Bram 100%_Jansen', email: 'bram@example.nl' });
});
afterAll(async () => {
  await admin.close();
});

const search = (query: string) => admin.call('GET', `/customers?${query}`);

describe('staff customer search', () => {
  it(
    'finds a profile by e-mail, phone or card however it is ' + 'typed, and answers only the staff view',
    async () => {
      for (const [value, matchedBy] of [
        ['  ANNA.devries@example.NL ', 'EMAIL'],
        ['06-1234 5678', 'PHONE'],
        ['0031 6 12345678', 'PHONE'],
        ['nk 1234 5678', 'LOYALTY_CARD'],
      ] as const) {
        const res = await search(`identifier=${encodeURIComponent(value)}`);
        expect(res.status).toBe(200);
        expect(res.body.customers).toEqual([{ id: anna, displayName: 'Anna de Vries', matchedBy }]);
        expect(res.text).not.toMatch(/example\.nl|\+316|NK1234/i);
      }
      expect((await search(`identifier=${encodeURIComponent('nobody@example.nl')}`)).body.customers).toEqual(
        [],
      );
      expect((await search(`identifier=${encodeURIComponent('06-1234 5678')}&kind=EMAIL`)).status).toBe(400);
    },
  );

  it(
    'finds profiles by part of the name, case-insensitively, bounded by limit, with LIKE ' +
      'characters taken literally',
    async () => {
      const res = await search('name=ANN');
      expect(res.body.customers.map((c: { id: string }) => c.id)).toEqual([anna, annelies]);
      expect(res.body.customers[0]).toEqual({ id: anna, displayName: 'Anna de Vries', matchedBy: 'NAME' });
      expect((await search('name=ann&limit=1')).body.customers).toHaveLength(1);
      expect((await search('name=bakk')).body.customers.map((c: { id: string }) => c.id)).toEqual([annelies]);
      expect(
        (await search(`name=${encodeURIComponent('0%_J')}`)).body.customers.map(
          (c: { displayName: string }) => c.displayName,
        ),
      ).toEqual(['Bram 100%_Jansen']);
      expect((await search(`name=${encodeURIComponent('%')}`)).status).toBe(400); // too short
      expect((await search(`name=${encodeURIComponent('a%a')}`)).body.customers).toEqual([]);
    },
  );

  it("answers a search box's query (the contract's ?query=) by identifier first, then by name", async () => {
    const byPhone = await search(`query=${encodeURIComponent('06-1234 5678')}`);
    expect(byPhone.status).toBe(200);
    expect(byPhone.body.customers).toEqual([{ id: anna, displayName: 'Anna de Vries', matchedBy: 'PHONE' }]);
    expect((await search(`query=${encodeURIComponent('annelies@example.nl')}`)).body.customers).toEqual([
      { id: annelies, displayName: 'Annelies Bakker', matchedBy: 'EMAIL' },
    ]);
    expect(
      (await search('query=ann')).body.customers.map((c: { id: string; matchedBy: string }) => [
        c.id,
        c.matchedBy,
      ]),
    ).toEqual([
      [anna, 'NAME'],
      [annelies, 'NAME'],
    ]);
    expect((await search('query=zz')).body.customers).toEqual([]);
    const both = await search('query=ann&name=ann');
    expect(both.status).toBe(400);
    expect(both.body.code).toBe('BAD_USER_INPUT');
  });

  it('refuses bad queries with BAD_USER_INPUT naming the parameter', async () => {
    for (const [query, path] of [
      ['', 'query.identifier'],
      ['identifier=a@b.nl&name=Anna', 'query.identifier'],
      ['name=A', 'query.name'],
      ['name=Anna&limit=51', 'query.limit'],
      ['name=Anna&kind=EMAIL', 'query.kind'],
      ['email=a@b.nl', 'query.email'],
    ] as const) {
      const res = await search(query);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('BAD_USER_INPUT');
      expect(res.body.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    const notAnIdentifier = await search(`identifier=${encodeURIComponent('x'.repeat(321))}`);
    expect(notAnIdentifier.status).toBe(400);
  });

  it('follows a merge to the surviving profile and never finds an erased one', async () => {
    const a = (
      await enrollCustomer(
        ctx.deps,
        { displayName: 'Merel Smit', email: 'merel.a@example.nl' },
        { channel: 'ADMIN', idempotencyKey: randomUUID() },
      )
    ).customer.id;
    const b = (
      await enrollCustomer(
        ctx.deps,
        { displayName: 'Merel Smit', email: 'merel.b@example.nl' },
        { channel: 'ADMIN', idempotencyKey: randomUUID() },
      )
    ).customer.id;
    await mergeCustomers(ctx.deps, { survivorId: a, mergedId: b }, 'ADMIN');
    expect((await search('identifier=merel.b@example.nl')).body.customers).toEqual([
      { id: a, displayName: 'Merel Smit', matchedBy: 'EMAIL' },
    ]);
    expect((await search('name=merel')).body.customers.map((c: { id: string }) => c.id)).toEqual([a]);
    await eraseCustomer(ctx.deps, a, 'admin:test');
    expect((await search('identifier=merel.a@example.nl')).body.customers).toEqual([]);
    expect((await search('name=merel')).body.customers).toEqual([]);
  });

  it(
    'puts every search on the audit trail with the admin key ' + 'as actor, never the value searched for',
    async () => {
      const before =
        (
          await ctx.deps.db
            .selectFrom('auditLog')
            .select((eb) => eb.fn.max('id').as('max'))
            .executeTakeFirst()
        )?.max ?? 0;
      await search('name=Annelies');
      const rows = await ctx.deps.db
        .selectFrom('auditLog')
        .selectAll()
        .where('id', '>', Number(before))
        .orderBy('id')
        .execute();
      const adminKeyId = (
        await ctx.deps.db
          .selectFrom('adminKeys')
          .select('id')
          .where('name', '=', 'service desk')
          .executeTakeFirstOrThrow()
      ).id;
      expect(rows.map((r) => ({ actor: r.actor, action: r.action, subject: r.subject }))).toEqual([
        { actor: 'admin:service desk', action: 'customer.search', subject: null },
        { actor: 'admin:service desk', action: 'customer.search-result', subject: `customer:${annelies}` },
      ]);
      expect(rows[0]!.details).toEqual({ adminKeyId, by: 'name', kind: null, results: 1 });
      expect(JSON.stringify(rows)).not.toMatch(/annelies/i);
      // The trail answers "who looked at this customer".
      const trail = await admin.call('GET', `/audit?subject=${encodeURIComponent(`customer:${annelies}`)}`);
      expect((trail.body as { entries: Array<{ action: string }> }).entries.map((e) => e.action)).toContain(
        'customer.search-result',
      );
    },
  );
});
