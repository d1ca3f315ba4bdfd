import { z } from 'zod';
import { defineRoute, type AdminRoute } from '../../backoffice-layer/index.js';
import { getLoyaltyProgram, setLoyaltyProgram } from './ledger.js';
import { LoyaltyProgramSchema } from './program.js';

export const loyaltyRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'put',
    path: '/loyalty/tiers',
    tag: 'loyalty',
    operationId: 'putLoyaltyProgram',
    response: z.object({ program: LoyaltyProgramSchema, revision: z.int() }),
    summary:
      'Set the loyalty programme: tiers with thresholds (points earned in a rolling window) and benefits',
    body: LoyaltyProgramSchema,
    handle: async ({ deps, body }) => setLoyaltyProgram(deps, body),
  }),
  defineRoute({
    method: 'get',
    path: '/loyalty/tiers',
    tag: 'loyalty',
    operationId: 'getLoyaltyProgram',
    response: z.object({ program: LoyaltyProgramSchema }),
    summary: 'The loyalty programme in force',
    handle: async ({ deps }) => ({ program: await getLoyaltyProgram(deps.db) }),
  }),
];
