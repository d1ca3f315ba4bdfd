import { z } from 'zod';
import { defineRoute, type AdminRoute } from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';
import { archivePromotion, CouponBatchSchema, createCoupons, getPromotion, PromotionBodySchema, upsertPromotion } from './store.js';

const Params = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/) });

export const promotionRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'put', path: '/promotions/:id', tag: 'promotions', summary: 'Create or replace a promotion: a rule (conditions, action, stacking, window, target) with status and budget',
    params: Params, body: PromotionBodySchema,
    handle: async ({ deps, params, body }) => upsertPromotion(deps, params.id, body),
  }),
  defineRoute({
    method: 'get', path: '/promotions/:id', tag: 'promotions', summary: 'One promotion with its budget use',
    params: Params,
    handle: async ({ deps, params }) => {
      const promotion = await getPromotion(deps.db, params.id);
      if (!promotion) throw new DomainError('NOT_FOUND', `No promotion ${params.id}`, { promotionId: params.id });
      return { promotion };
    },
  }),
  defineRoute({
    method: 'delete', path: '/promotions/:id', tag: 'promotions', summary: 'Archive a promotion (kept for the orders that used it)',
    params: Params,
    handle: async ({ deps, params }) => archivePromotion(deps, params.id),
  }),
  defineRoute({
    method: 'post', path: '/promotions/:id/coupons', tag: 'promotions', status: 201, summary: 'Add coupon codes to a coupon promotion, given or generated, with usage limits',
    params: Params, body: CouponBatchSchema,
    handle: async ({ deps, params, body }) => createCoupons(deps, params.id, body),
  }),
];
