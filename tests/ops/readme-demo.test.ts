import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerAdminKey, seedDemoRetailer } from '../../backoffice-layer/index.js';
import { startApiNode, type ApiNode } from '../../channel-layer/index.js';
import {
  ACTIONS,
  CONDITIONS,
  getCustomer,
  getLoyaltyStatus,
  getPromotion,
  seedDemoJourney,
} from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

/**
 * README.md's "Demo members and coupons": the tables are written from what the demo seed really creates, and
 * its example is run against an API node. `WRITE_README=1 npm run test:jest -- tests/ops/readme-demo.test.ts`
 * rewrites the tables after a change to the seed.
 */
const README = 'README.md';

/** The text between `<!-- name:start -->` and `<!-- name:end -->`. */
function between(text: string, name: string): { start: number; end: number; body: string } {
  const open = `<!-- ${name}:start -->\n`;
  const start = text.indexOf(open) + open.length;
  const end = text.indexOf(`<!-- ${name}:end -->`);
  expect({ name, found: start >= open.length && end >= start }).toEqual({ name, found: true });
  return { start, end, body: text.slice(start, end) };
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** The members and coupon tables as the seed makes them (a fresh database, seeded as a first start does). */
async function demoTables(ctx: BackofficeTestContext): Promise<string> {
  const db = ctx.deps.db;
  const members: string[] = [
    row([
      'member',
      'e-mail',
      'phone',
      'loyalty card',
      'app account',
      'tier',
      'points',
      'segments',
      'personalisation consent',
    ]),
    row(Array.from({ length: 9 }, () => '---')),
  ];
  const ids = await db.selectFrom('customers').select('id').orderBy('createdAt').orderBy('id').execute();
  for (const { id } of ids) {
    const c = (await getCustomer(db, id))!;
    const loyalty = await getLoyaltyStatus(db, id, ctx.deps.clock.now());
    const ident = (kind: string) =>
      c.identifiers
        .filter((i) => i.kind === kind)
        .map((i) => `\`${i.value}\``)
        .join(', ') || '—';
    const segments = (c.attributes.segments?.value as string[] | undefined) ?? [];
    const personal = c.consents.find((x) => x.purpose === 'PERSONALISATION')?.granted === true;
    members.push(
      row([
        c.displayName ?? '—',
        ident('EMAIL'),
        ident('PHONE'),
        ident('LOYALTY_CARD'),
        ident('APP_ACCOUNT'),
        loyalty.tierName,
        String(loyalty.points),
        segments.join(', ') || '—',
        personal ? 'yes' : 'no',
      ]),
    );
  }

  const coupons: string[] = [
    row(['code', 'promotion', 'gives', 'limits']),
    row(['---', '---', '---', '---']),
  ];
  const codes = await db
    .selectFrom('coupons')
    .select(['code', 'promotionId', 'batchId', 'usageLimit', 'perCustomerLimit'])
    .orderBy('batchId', 'desc')
    .orderBy('code')
    .execute();
  const groups = new Map<string, typeof codes>();
  for (const c of codes) groups.set(c.batchId ?? c.code, [...(groups.get(c.batchId ?? c.code) ?? []), c]);
  for (const [key, group] of groups) {
    const first = group[0]!;
    const promotion = (await getPromotion(db, first.promotionId))!;
    // The registry's schemas are built from its kinds, so a rule's action and conditions carry only their
    // `kind` here.
    const action = promotion.rule.action as { kind: string };
    const conditions = (promotion.rule.conditions ?? []) as Array<{ kind: string }>;
    const gives = [
      ((kind) => kind.describe(kind.schema.parse(action)))(ACTIONS.find((a) => a.kind === action.kind)!),
      ...conditions.map((cond) => CONDITIONS.find((k) => k.kind === cond.kind)!.describe(cond)),
    ].join('; ');
    const limits = [
      first.usageLimit === null
        ? 'no overall limit'
        : first.usageLimit === 1
          ? 'single use'
          : `${first.usageLimit} uses`,
      ...(first.perCustomerLimit === null ? [] : [`${first.perCustomerLimit} per customer`]),
    ].join(', ');
    const prefix = group
      .map((c) => c.code)
      .reduce((p, code) => {
        let n = 0;
        while (n < p.length && p[n] === code[n]) n++;
        return p.slice(0, n);
      });
    const code =
      group.length === 1
        ? `\`${first.code}\``
        : `${group.length} generated codes \`${prefix}…\` (batch \`${key}\`, not printed; \`POST ` +
          `/admin/v1/promotions/${promotion.id}/coupons\` adds codes of your own)`;
    coupons.push(
      row([
        code,
        `${promotion.rule.label} (\`${promotion.id}\`)`,
        gives,
        group.length === 1 ? limits : `${limits} each`,
      ]),
    );
  }
  return `${members.join('\n')}\n\nCoupon codes:\n\n${coupons.join('\n')}\n`;
}

describe('README.md\u2019s demo members and coupons', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  const adminKey = 'readme-demo-admin-key-0123456789';
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedDemoRetailer(ctx.deps);
    await seedDemoJourney(ctx.deps);
    await registerAdminKey(ctx.deps.db, adminKey, 'readme', new Date());
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  it('lists every member and coupon the seed creates, as the seed creates them', async () => {
    const tables = await demoTables(ctx);
    const text = readFileSync(README, 'utf8');
    const { start, end, body } = between(text, 'demo-members');
    if (process.env.WRITE_README === '1' && body !== tables)
      writeFileSync(README, text.slice(0, start) + tables + text.slice(end));
    else expect(body).toBe(tables);
    expect(tables).toContain('| Gold |');
    expect(tables).toContain('`WELKOM10`');
  });

  it('has an example that gives a member her price, as written', async () => {
    const example = between(readFileSync(README, 'utf8'), 'demo-example').body;
    const calls = [
      ...example.matchAll(
        /curl -s (http:\/\/localhost:4000\S+)[^\n]*\\?\n?\s*--json '((?:[^']|'"\$\w+"')*)'/g,
      ),
    ].map((m) => ({ url: m[1]!, json: m[2]! }));
    expect(calls.map((c) => new URL(c.url).pathname)).toEqual(['/admin/v1/clients', '/graphql', '/graphql']);
    const post = async (path: string, key: string, json: string): Promise<any> => {
      const res = await fetch(`http://127.0.0.1:${node.port}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(JSON.parse(json)),
      });
      expect(res.status).toBeLessThan(300);
      return res.json();
    };

    const client = await post('/admin/v1/clients', adminKey, calls[0]!.json);
    expect(example).toContain(`.key')`);
    const lookup = await post('/graphql', client.key, calls[1]!.json);
    expect(example).toContain('.data.customerByIdentifier.id');
    const anne = lookup.data.customerByIdentifier.id as string;
    const quote = await post('/graphql', client.key, calls[2]!.json.replace(`'"$ANNE"'`, anne));
    expect(quote.errors).toBeUndefined();
    const adjustments = (
      quote.data.quote.lines as Array<{ adjustments: Array<{ source: string; label: string }> }>
    ).flatMap((l) => l.adjustments);
    // What the text says she sees: the knitwear newsletter, "spend more, save more", the coupon and her Gold
    // discount.
    expect(adjustments.map((a) => `${a.source} ${a.label}`)).toEqual([
      'PROMOTION Newsletter: knitwear week',
      'PROMOTION Spend more, save more',
      'COUPON Welcome code',
      'LOYALTY Gold member discount',
    ]);
  });
});
