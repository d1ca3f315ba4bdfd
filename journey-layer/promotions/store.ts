import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { DomainError, runWrite } from '../../shared/index.js';
import type { Executor, WriteContext } from '../tables.js';
import type { JourneyDeps } from '../journey-deps.js';
import { CONDITION_BY_KIND, CONDITIONS } from './registry.js';
import { PromotionRuleSchema, type PromotionRule } from './rule.schema.js';

/** Whether a promotion applies: ACTIVE ones do; PAUSED ones may again; ARCHIVED ones never will. */
export const PromotionStatusSchema = z.enum(['ACTIVE', 'PAUSED', 'ARCHIVED']);

/** `PUT /admin/v1/promotions/{id}`: the rule (without its id), its status and an optional budget. */
export const PromotionBodySchema = z.strictObject({
  rule: z.unknown(),
  status: PromotionStatusSchema.default('ACTIVE'),
  /** Most discount this promotion may give in total (minor units), counted at order commit. */
  budgetAmount: z.number().int().min(0).max(1_000_000_000_000).nullish(),
});
export type PromotionBody = z.infer<typeof PromotionBodySchema>;

const CodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .pipe(z.string().regex(/^[A-Z0-9][A-Z0-9_-]{2,39}$/, 'coupon codes: 3–40 letters, digits, "-" or "_"'));

export const CouponBatchSchema = z
  .strictObject({
    codes: z.array(CodeSchema).max(1000).optional(),
    generate: z
      .strictObject({
        count: z.number().int().min(1).max(100_000),
        prefix: z
          .string()
          .regex(/^[A-Z0-9]{0,12}$/)
          .default(''),
      })
      .optional(),
    batchId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .optional(),
    usageLimit: z.number().int().min(1).max(100_000_000).nullish(),
    perCustomerLimit: z.number().int().min(1).max(1000).nullish(),
    validFrom: z.iso.datetime({ offset: true }).nullish(),
    validTo: z.iso.datetime({ offset: true }).nullish(),
  })
  .refine((b) => (b.codes?.length ?? 0) > 0 || b.generate, 'give codes or ask to generate some');
export type CouponBatch = z.infer<typeof CouponBatchSchema>;

export interface PromotionView {
  id: string;
  rule: PromotionRule;
  status: 'ACTIVE' | 'PAUSED' | 'ARCHIVED';
  budgetAmount: number | null;
  budgetSpent: number;
  revision: number;
}

/**
 * Creates or replaces a promotion. The rule is validated by the registry's schemas; its window is kept in
 * columns.
 */
export async function upsertPromotion(
  deps: JourneyDeps,
  id: string,
  body: PromotionBody,
): Promise<{ promotion: PromotionView; revision: number }> {
  const parsed = PromotionRuleSchema.safeParse({ ...(body.rule as object), id });
  if (!parsed.success) {
    throw new DomainError(
      'BAD_USER_INPUT',
      `Invalid rule: ${parsed.error.issues
        .slice(0, 5)
        .map((i) => `${['rule', ...i.path.map(String)].join('.')}: ${i.message}`)
        .join('; ')}`,
      {},
    );
  }
  const rule = parsed.data;
  const { revision } = await runWrite(deps, async (w) => {
    w.atRevision(async (tx, rev) => {
      const values = {
        definition: JSON.stringify(rule),
        status: body.status,
        validFrom: rule.validFrom ?? null,
        validTo: rule.validTo ?? null,
        budgetAmount: body.budgetAmount ?? null,
        revision: rev,
        updatedAt: w.now,
      };
      await tx
        .insertInto('promotions')
        .values({ id, ...values, createdAt: w.now })
        .onConflict((oc) => oc.column('id').doUpdateSet(values))
        .execute();
    });
    w.emit({
      type: 'promotion.changed',
      aggregateType: 'promotion',
      aggregateId: id,
      payload: { promotionId: id, status: body.status },
    });
  });
  return { promotion: (await getPromotion(deps.db, id))!, revision };
}

/** Archives a promotion (kept for the records of orders that used it). */
export async function archivePromotion(deps: JourneyDeps, id: string): Promise<{ revision: number }> {
  const { revision } = await runWrite(deps, async (w) => {
    const r = await w.tx
      .updateTable('promotions')
      .set({ status: 'ARCHIVED', updatedAt: w.now })
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    if (!r) throw new DomainError('NOT_FOUND', `No promotion ${id}`, { promotionId: id });
    announcePromotion(w, id, { status: 'ARCHIVED' });
  });
  return { revision };
}

export async function getPromotion(db: Executor, id: string): Promise<PromotionView | null> {
  const r = await db.selectFrom('promotions').selectAll().where('id', '=', id).executeTakeFirst();
  return r
    ? {
        id: r.id,
        rule: PromotionRuleSchema.parse(r.definition),
        status: r.status,
        budgetAmount: r.budgetAmount,
        budgetSpent: r.budgetSpent,
        revision: r.revision,
      }
    : null;
}

/** A promotion in force: its rule and what is left of its budget (minor units; null: no budget). */
export type ActivePromotion = PromotionRule & { budgetLeft: number | null };

/**
 * Every active promotion whose budget is not spent, with what is left of it (the engine caps the discount
 * there); the engine checks windows, targets and conditions. Kept in the read model's promotions section, so
 * a quote and the order that follows price with the same budget.
 */
export async function activePromotionRules(db: Executor): Promise<ActivePromotion[]> {
  const rows = await db
    .selectFrom('promotions')
    .select(['definition', 'budgetAmount', 'budgetSpent'])
    .where('status', '=', 'ACTIVE')
    .where((eb) => eb.or([eb('budgetAmount', 'is', null), eb('budgetSpent', '<', eb.ref('budgetAmount'))]))
    .orderBy('id')
    .execute();
  return rows.flatMap((r) => {
    const rule = storedRule(r.definition);
    return rule
      ? [{ ...rule, budgetLeft: r.budgetAmount === null ? null : r.budgetAmount - r.budgetSpent }]
      : [];
  });
}

/**
 * A stored rule as the engine reads it, or null when it no longer passes today's schema (a rule stored before
 * a check was added — a schedule whose from equals its to, say — which can never apply): such a rule is left
 * out of pricing and scheduling instead of failing every answer.
 */
function storedRule(definition: unknown): PromotionRule | null {
  const r = PromotionRuleSchema.safeParse(definition);
  return r.success ? r.data : null;
}

/**
 * What is left of these promotions' budgets, their rows locked until the transaction ends (only budgeted
 * ones).
 */
export async function lockBudgets(
  w: WriteContext,
  promotionIds: readonly string[],
): Promise<Map<string, number>> {
  if (promotionIds.length === 0) return new Map();
  const rows = await w.tx
    .selectFrom('promotions')
    .select(['id', 'budgetAmount', 'budgetSpent'])
    .where('id', 'in', [...new Set(promotionIds)].sort())
    .where('budgetAmount', 'is not', null)
    .orderBy('id')
    .forUpdate()
    .execute();
  return new Map(rows.map((r) => [r.id, Math.max(0, r.budgetAmount! - r.budgetSpent)]));
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
function generateCode(prefix: string): string {
  const bytes = randomBytes(10);
  return prefix + Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

/**
 * Adds coupon codes (given, or generated in a batch) to a coupon promotion. Existing codes are a CONFLICT.
 */
export async function createCoupons(
  deps: JourneyDeps,
  promotionId: string,
  batch: CouponBatch,
): Promise<{ codes: string[]; revision: number }> {
  const { result, revision } = await runWrite(deps, async (w) => {
    const promo = await w.tx
      .selectFrom('promotions')
      .select('definition')
      .where('id', '=', promotionId)
      .executeTakeFirst();
    if (!promo) throw new DomainError('NOT_FOUND', `No promotion ${promotionId}`, { promotionId });
    if (!PromotionRuleSchema.parse(promo.definition).couponRequired)
      throw new DomainError(
        'CONFLICT',
        `Promotion ${promotionId} applies without a code; set couponRequired first`,
        { promotionId },
      );
    const codes = [
      ...new Set([
        ...(batch.codes ?? []),
        ...Array.from({ length: batch.generate?.count ?? 0 }, () => generateCode(batch.generate!.prefix)),
      ]),
    ];
    w.atRevision(async (tx, rev) => {
      for (let i = 0; i < codes.length; i += 1000) {
        await tx
          .insertInto('coupons')
          .values(
            codes.slice(i, i + 1000).map((code) => ({
              code,
              promotionId,
              batchId: batch.batchId ?? null,
              usageLimit: batch.usageLimit ?? null,
              perCustomerLimit: batch.perCustomerLimit ?? null,
              validFrom: batch.validFrom ?? null,
              validTo: batch.validTo ?? null,
              revision: rev,
              createdAt: w.now,
            })),
          )
          .execute();
      }
    });
    w.emit({
      type: 'promotion.changed',
      aggregateType: 'promotion',
      aggregateId: promotionId,
      payload: { promotionId, coupons: codes.length },
    });
    return codes;
  });
  return { codes: result, revision };
}

/**
 * Why a coupon cannot be used where the reason is its use by others or by this customer: a CONFLICT, not bad
 * input.
 */
export const COUPON_USED_UP = 'this code has been used up';
export const COUPON_USED_BY_CUSTOMER = 'you have already used this code';

/**
 * Looks coupon codes up for a quote: which rule each unlocks, or why it cannot be used (unknown, not yet or
 * no longer valid, used up, already used by this customer). Nothing is counted here: usage is counted at
 * order commit.
 */
export async function resolveCoupons(
  db: Executor,
  codes: readonly string[],
  customerId: string | null,
  at: Date,
): Promise<Array<{ code: string; ruleId: string | null; rejection?: string }>> {
  const normal = [...new Set(codes.map((c) => c.trim().toUpperCase()))]
    .filter((c) => c.length > 0)
    .slice(0, 20);
  if (normal.length === 0) return [];
  const rows = await db
    .selectFrom('coupons')
    .innerJoin('promotions', 'promotions.id', 'coupons.promotionId')
    .select([
      'coupons.code',
      'coupons.promotionId',
      'coupons.usageLimit',
      'coupons.usedCount',
      'coupons.perCustomerLimit',
      'coupons.validFrom',
      'coupons.validTo',
      'promotions.status',
    ])
    .where('coupons.code', 'in', normal)
    .execute();
  const used = customerId
    ? await db
        .selectFrom('couponRedemptions')
        .select(['code', (eb) => eb.fn.countAll<number>().as('n')])
        .where('code', 'in', normal)
        .where('customerId', '=', customerId)
        .groupBy('code')
        .execute()
    : [];
  return normal.map((code) => {
    const c = rows.find((r) => r.code === code);
    if (!c || c.status !== 'ACTIVE') return { code, ruleId: null, rejection: 'unknown coupon code' };
    if (c.validFrom && c.validFrom > at)
      return { code, ruleId: null, rejection: 'this code is not valid yet' };
    if (c.validTo && c.validTo <= at) return { code, ruleId: null, rejection: 'this code has expired' };
    if (c.usageLimit !== null && c.usedCount >= c.usageLimit)
      return { code, ruleId: null, rejection: COUPON_USED_UP };
    const mine = Number(used.find((u) => u.code === code)?.n ?? 0);
    if (c.perCustomerLimit !== null && mine >= c.perCustomerLimit)
      return { code, ruleId: null, rejection: COUPON_USED_BY_CUSTOMER };
    return { code, ruleId: c.promotionId };
  });
}

/**
 * Counts coupon use and promotion budgets (of every promotion the order used, with or without a code) inside
 * the order's transaction, race-free: the usage counter moves by a conditional update (which also locks the
 * coupon, so the per-customer count that follows cannot race); a limit reached refuses the whole order with
 * CONFLICT. A budget never refuses: the order was priced within what is left of it under its row lock (see
 * `lockBudgets`), and every spend is a promotion change at the order's revision, so the next quote prices
 * with what is left. What the order used of each promotion (code, discount) is recorded with it
 * (`order_promotion_use`), so cancelling the order can give exactly that back (`giveBackPromotionUse`).
 * `used`: one entry per promotion, `amount` the discount it gave in minor units of the order's currency.
 */
export async function redeemAtCommit(
  w: WriteContext,
  orderId: string,
  customerId: string | null,
  used: ReadonlyArray<{ code: string | null; promotionId: string; amount: number }>,
): Promise<void> {
  const coupons = used.filter(
    (u): u is { code: string; promotionId: string; amount: number } => u.code !== null,
  );
  for (const u of coupons.sort((a, b) => (a.code < b.code ? -1 : 1))) {
    const c = await w.tx
      .updateTable('coupons')
      .set((eb) => ({ usedCount: eb('usedCount', '+', 1) }))
      .where('code', '=', u.code)
      .where((eb) => eb.or([eb('usageLimit', 'is', null), eb('usedCount', '<', eb.ref('usageLimit'))]))
      .returning(['perCustomerLimit'])
      .executeTakeFirst();
    if (!c)
      throw new DomainError('CONFLICT', `Coupon ${u.code} has just been used up`, { couponCode: u.code });
    if (customerId && c.perCustomerLimit !== null) {
      const mine = await w.tx
        .selectFrom('couponRedemptions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('code', '=', u.code)
        .where('customerId', '=', customerId)
        .executeTakeFirstOrThrow();
      if (Number(mine.n) >= c.perCustomerLimit)
        throw new DomainError('CONFLICT', `Coupon ${u.code} was already used by this customer`, {
          couponCode: u.code,
        });
    }
    w.atRevision(async (tx, rev) => {
      await tx
        .insertInto('couponRedemptions')
        .values({ code: u.code, customerId, orderId, amount: u.amount, revision: rev, redeemedAt: w.now })
        .execute();
    });
  }
  const byPromotion = new Map<string, number>();
  for (const u of used) byPromotion.set(u.promotionId, (byPromotion.get(u.promotionId) ?? 0) + u.amount);
  recordPromotionUse(w, orderId, used);
  for (const [promotionId, amount] of [...byPromotion].sort()) {
    const row = await w.tx
      .updateTable('promotions')
      .set((eb) => ({ budgetSpent: eb('budgetSpent', '+', amount) }))
      .where('id', '=', promotionId)
      .returning(['budgetSpent', 'budgetAmount'])
      .executeTakeFirst();
    if (!row || row.budgetAmount === null || amount <= 0) continue;
    announceBudgetLeft(w, promotionId, row.budgetAmount - row.budgetSpent);
  }
}

/**
 * Promotion `promotionId` changed in this write (`change`: what changed, e.g. its status or what is left of
 * its budget): the rules in force changed, a change every channel must see at one revision — the promotion
 * is stamped at this write's revision and `promotion.changed` says what changed, so the read model reloads
 * the promotions.
 */
function announcePromotion(w: WriteContext, promotionId: string, change: Record<string, unknown>): void {
  w.atRevision(async (tx, rev) => {
    await tx.updateTable('promotions').set({ revision: rev }).where('id', '=', promotionId).execute();
  });
  w.emit({
    type: 'promotion.changed',
    aggregateType: 'promotion',
    aggregateId: promotionId,
    payload: { promotionId, ...change },
  });
}

/** What is left of promotion `promotionId`'s budget changed (minor units): see `announcePromotion`. */
const announceBudgetLeft = (w: WriteContext, promotionId: string, budgetLeft: number): void =>
  announcePromotion(w, promotionId, budgetLeft > 0 ? { budgetLeft } : { budgetSpent: true });

/**
 * Records what order `orderId` used of each promotion (its code, if one, and the discount), folded into the
 * statement that draws the order's revision (no round trip of its own). One row per promotion.
 */
function recordPromotionUse(
  w: WriteContext,
  orderId: string,
  used: ReadonlyArray<{ code: string | null; promotionId: string; amount: number }>,
): void {
  if (used.length === 0) return;
  const byPromotion = new Map<string, { code: string | null; amount: number }>();
  for (const u of used) {
    const seen = byPromotion.get(u.promotionId);
    byPromotion.set(u.promotionId, { code: seen?.code ?? u.code, amount: (seen?.amount ?? 0) + u.amount });
  }
  const rows = [...byPromotion].sort(([a], [b]) => (a < b ? -1 : 1));
  w.atRevisionSql(
    (rev) => sql`INSERT INTO order_promotion_use (order_id, promotion_id, code, amount, revision, used_at)
      SELECT ${orderId}::uuid, t.p, t.c, t.a, ${rev}, ${w.now}::timestamptz
      FROM unnest(${rows.map(([p]) => p)}::text[], ${rows.map(([, u]) => u.code)}::text[],
                  ${rows.map(([, u]) => u.amount)}::bigint[]) AS t(p, c, a)`,
  );
}

/** What a cancelled order gave back of one promotion: its coupon code's use (if any) and its discount. */
export interface PromotionUseGivenBack {
  promotionId: string;
  code: string | null;
  amount: number;
}

/**
 * Gives back what order `orderId` used of promotions, once (its `order_promotion_use` rows are marked given
 * back; a second call finds none and does nothing): each coupon's use (`used_count` − 1, and the order's
 * redemption removed, so neither the overall nor the per-customer limit counts it any more) and each
 * promotion's spend (`budget_spent` − the order's discount). A budget given back is a promotion change at
 * this write's revision (`promotion.changed` with what is left), like the spend was, so the next quote prices
 * with it. Locks budgets in id order, then coupons in code order (the hub's lock order). Answers what was
 * given back, by promotion id.
 */
export async function giveBackPromotionUse(
  w: WriteContext,
  orderId: string,
): Promise<PromotionUseGivenBack[]> {
  const uses = (
    await w.tx
      .updateTable('orderPromotionUse')
      .set({ givenBackAt: w.now })
      .where('orderId', '=', orderId)
      .where('givenBackAt', 'is', null)
      .returning(['promotionId', 'code', 'amount'])
      .execute()
  ).sort((a, b) => (a.promotionId < b.promotionId ? -1 : 1));
  for (const u of uses.filter((x) => x.amount > 0)) {
    const row = await w.tx
      .updateTable('promotions')
      .set({ budgetSpent: sql<number>`greatest(budget_spent - ${u.amount}, 0)` })
      .where('id', '=', u.promotionId)
      .returning(['budgetSpent', 'budgetAmount'])
      .executeTakeFirst();
    if (row && row.budgetAmount !== null)
      announceBudgetLeft(w, u.promotionId, row.budgetAmount - row.budgetSpent);
  }
  const codes = uses.flatMap((u) => (u.code === null ? [] : [u.code])).sort();
  for (const code of codes) {
    await w.tx
      .updateTable('coupons')
      .set({ usedCount: sql<number>`greatest(used_count - 1, 0)` })
      .where('code', '=', code)
      .execute();
  }
  if (codes.length > 0)
    await w.tx
      .deleteFrom('couponRedemptions')
      .where('orderId', '=', orderId)
      .where('code', 'in', codes)
      .execute();
  return uses;
}

/** The condition kinds whose answer depends on the instant: those that name their next edge. */
const TIMED_KINDS = CONDITIONS.filter((c) => c.nextEdge).map((c) => c.kind);

/**
 * The next instant after `after` at which an active promotion's or a coupon's window opens or closes, or a
 * time-based condition of an active promotion may turn (a date window's edge, a recurring schedule's hour or
 * day — each condition kind says, see ConditionKind.nextEdge). Null when none lies ahead.
 */
export async function nextPromotionBoundary(db: Executor, after: Date): Promise<Date | null> {
  const r = await sql<{ at: Date | null }>`
    SELECT least(
      (SELECT min(valid_from) FROM promotions WHERE status = 'ACTIVE' AND valid_from > ${after}),
      (SELECT min(valid_to) FROM promotions WHERE status = 'ACTIVE' AND valid_to > ${after}),
      (SELECT min(valid_from) FROM coupons WHERE valid_from > ${after}),
      (SELECT min(valid_to) FROM coupons WHERE valid_to > ${after})
    ) AS at`.execute(db);
  let next = r.rows[0]?.at?.getTime() ?? Number.POSITIVE_INFINITY;
  // Rules with a time-based condition, while they can still apply.
  const timed = await db
    .selectFrom('promotions')
    .select('definition')
    .where('status', '=', 'ACTIVE')
    .where((eb) => eb.or([eb('validTo', 'is', null), eb('validTo', '>', after)]))
    .where(
      sql<boolean>`EXISTS (SELECT 1 FROM jsonb_array_elements(definition -> 'conditions') c
                           WHERE c ->> 'kind' = ANY(${TIMED_KINDS}::text[]))`,
    )
    .execute();
  for (const row of timed) {
    for (const c of (storedRule(row.definition)?.conditions ?? []) as Array<{ kind: string }>) {
      const edge = CONDITION_BY_KIND.get(c.kind)?.nextEdge?.(c, after);
      if (edge && edge.getTime() < next) next = edge.getTime();
    }
  }
  return Number.isFinite(next) ? new Date(next) : null;
}
