import { z } from 'zod';
import { defineRoute, type AdminRoute } from '../../backoffice-layer/index.js';
import { DomainError, IdSchema } from '../../shared/index.js';
import type { Executor } from '../tables.js';
import {
  PromotionRuleBodySchema,
  PromotionRuleSchema,
  StackingSchema,
  type PromotionRule,
} from './rule.schema.js';
import {
  archivePromotion,
  CouponBatchSchema,
  createCoupons,
  getPromotion,
  PromotionBodySchema,
  PromotionStatusSchema,
  upsertPromotion,
} from './store.js';

const Params = z.strictObject({ id: IdSchema });
const Revision = z.int().min(0);

const PromotionViewSchema = z
  .object({
    id: z.string(),
    rule: PromotionRuleSchema,
    status: PromotionStatusSchema,
    budgetAmount: z.int().nullable().describe('Minor units; null: no budget'),
    budgetSpent: z.int(),
    revision: Revision,
  })
  .meta({ id: 'Promotion' });

/** One promotion in the list: its terms at a glance, not its whole rule. */
export interface PromotionSummary {
  id: string;
  label: string;
  status: 'ACTIVE' | 'PAUSED' | 'ARCHIVED';
  /**
   * Where its window stands at the time asked: SCHEDULED (opens later), RUNNING, ENDED. The window is where
   * the rule's own validFrom/validTo and every `dateWindow` condition overlap (`validFrom`, `validTo` below:
   * the latest start, the earliest end); a window that is empty (it ends before it starts) is ENDED once its
   * end has passed.
   */
  window: 'SCHEDULED' | 'RUNNING' | 'ENDED';
  validFrom: string | null;
  validTo: string | null;
  /**
   * It has a `schedule` condition: within the window it applies only at the schedule's recurring days and
   * hours.
   */
  recurring: boolean;
  priority: number;
  stacking: PromotionRule['stacking'];
  /** The action's kind (`percentOff`, …). */
  action: string;
  couponRequired: boolean;
  personal: boolean;
  budgetAmount: number | null;
  budgetSpent: number;
  revision: number;
  updatedAt: string;
}

const PromotionSummarySchema = z.object({
  id: z.string(),
  label: z.string(),
  status: PromotionStatusSchema,
  window: z.enum(['SCHEDULED', 'RUNNING', 'ENDED']),
  validFrom: z.iso
    .datetime({ offset: true })
    .nullable()
    .describe(
      'Start of the window: the latest of the rule\u2019s validFrom and its dateWindow conditions\u2019 from',
    ),
  validTo: z.iso
    .datetime({ offset: true })
    .nullable()
    .describe(
      'End of the window: the earliest of the rule\u2019s validTo and its dateWindow conditions\u2019 to',
    ),
  recurring: z
    .boolean()
    .describe(
      'It has a schedule condition: RUNNING means within the window, ' +
        'where it applies at the schedule\u2019s days and hours only',
    ),
  priority: z.int(),
  stacking: StackingSchema,
  action: z.string().describe('The action\u2019s kind'),
  couponRequired: z.boolean(),
  personal: z.boolean().describe('A personal offer (it has a target)'),
  budgetAmount: z.int().nullable(),
  budgetSpent: z.int(),
  revision: Revision,
  updatedAt: z.iso.datetime({ offset: true }),
});

const ListQuery = z.strictObject({
  status: PromotionStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100).describe('How many to answer (1–500)'),
  after: IdSchema.optional().describe('The `next` of the previous page'),
});

/**
 * When a rule can apply at all: the overlap of its own window (`validFrom`, `validTo`) and every `dateWindow`
 * condition (the latest start, the earliest end; null where open). Recurring `schedule` conditions narrow it
 * within, not here.
 */
export function ruleWindow(
  rule: PromotionRule,
  validFrom: Date | null,
  validTo: Date | null,
): { from: Date | null; to: Date | null } {
  let from = validFrom;
  let to = validTo;
  for (const c of rule.conditions as Array<{ kind: string; from?: string; to?: string }>) {
    if (c.kind !== 'dateWindow') continue;
    if (c.from && (!from || Date.parse(c.from) > from.getTime())) from = new Date(c.from);
    if (c.to && (!to || Date.parse(c.to) < to.getTime())) to = new Date(c.to);
  }
  return { from, to };
}

/**
 * Promotions in id order, `limit` at a time after the id `after` (keyset paging, as the product list),
 * optionally of one status; each with its window's state at `now`. `next` is the `after` of the following
 * page, null on the last.
 */
export async function listPromotions(
  db: Executor,
  opts: z.infer<typeof ListQuery>,
  now: Date,
): Promise<{ promotions: PromotionSummary[]; next: string | null }> {
  let q = db
    .selectFrom('promotions')
    .selectAll()
    .orderBy('id')
    .limit(opts.limit + 1);
  if (opts.after) q = q.where('id', '>', opts.after);
  if (opts.status) q = q.where('status', '=', opts.status);
  const rows = await q.execute();
  const page = rows.slice(0, opts.limit);
  return {
    promotions: page.map((r) => {
      const rule = PromotionRuleSchema.parse(r.definition);
      const { from, to } = ruleWindow(rule, r.validFrom, r.validTo);
      return {
        id: r.id,
        label: rule.label,
        status: r.status,
        window: to && to <= now ? 'ENDED' : from && from > now ? 'SCHEDULED' : 'RUNNING',
        validFrom: from?.toISOString() ?? null,
        validTo: to?.toISOString() ?? null,
        recurring: (rule.conditions as Array<{ kind: string }>).some((c) => c.kind === 'schedule'),
        priority: rule.priority,
        stacking: rule.stacking,
        action: (rule.action as { kind: string }).kind,
        couponRequired: rule.couponRequired,
        personal: !!rule.target,
        budgetAmount: r.budgetAmount,
        budgetSpent: r.budgetSpent,
        revision: r.revision,
        updatedAt: r.updatedAt.toISOString(),
      };
    }),
    next: rows.length > opts.limit ? page.at(-1)!.id : null,
  };
}

export const promotionRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'get',
    path: '/promotions',
    tag: 'promotions',
    operationId: 'listPromotions',
    summary:
      'Promotions in id order, paginated with `after`, optionally of one status: ' +
      'label, status, window (scheduled, running, ended), action kind, budget',
    query: ListQuery,
    response: z.object({
      promotions: z.array(PromotionSummarySchema),
      next: z.string().nullable().describe('Pass as `after` for the next page; null on the last'),
    }),
    handle: async ({ deps, query }) => listPromotions(deps.db, query, deps.clock.now()),
  }),
  defineRoute({
    method: 'put',
    path: '/promotions/:id',
    tag: 'promotions',
    operationId: 'putPromotion',
    summary:
      'Create or replace a promotion: a rule (conditions, action, stacking, window, target) ' +
      'with status and budget',
    // The rule is checked here by its own schema (a condition and an action chosen by `kind`), so a wrong
    // field is answered with its path, e.g. `body.rule.action.percentBp`.
    params: Params,
    body: PromotionBodySchema.extend({ rule: PromotionRuleBodySchema }),
    response: z.object({ promotion: PromotionViewSchema, revision: Revision }),
    handle: async ({ deps, params, body }) => upsertPromotion(deps, params.id, body),
  }),
  defineRoute({
    method: 'get',
    path: '/promotions/:id',
    tag: 'promotions',
    operationId: 'getPromotion',
    summary: 'One promotion with its budget use',
    params: Params,
    response: z.object({ promotion: PromotionViewSchema }),
    handle: async ({ deps, params }) => {
      const promotion = await getPromotion(deps.db, params.id);
      if (!promotion)
        throw new DomainError('NOT_FOUND', `No promotion ${params.id}`, { promotionId: params.id });
      return { promotion };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/promotions/:id',
    tag: 'promotions',
    operationId: 'archivePromotion',
    summary: 'Archive a promotion (kept for the orders that used it)',
    params: Params,
    response: z.object({ revision: Revision }),
    handle: async ({ deps, params }) => archivePromotion(deps, params.id),
  }),
  defineRoute({
    method: 'post',
    path: '/promotions/:id/coupons',
    tag: 'promotions',
    operationId: 'createCoupons',
    status: 201,
    errors: ['CONFLICT'],
    summary: 'Add coupon codes to a coupon promotion, given or generated, with usage limits',
    params: Params,
    body: CouponBatchSchema,
    response: z.object({ codes: z.array(z.string()), revision: Revision }),
    handle: async ({ deps, params, body }) => createCoupons(deps, params.id, body),
  }),
];
