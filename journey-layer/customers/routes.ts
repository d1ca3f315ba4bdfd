import { z } from 'zod';
import { defineRoute, type AdminRoute } from '../../backoffice-layer/index.js';
import { UuidSchema } from '../../shared/index.js';
import { IDENTIFIER_KINDS } from './identifiers.js';
import { CustomerSearchSchema, searchCustomers } from './search.js';

export const customerRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'get',
    path: '/customers',
    tag: 'customers',
    operationId: 'searchCustomers',
    summary:
      'Staff search for customers by an identifier (e-mail, phone, loyalty card, app account; normalised) ' +
      'or by part of the name, or by a search box query (both); audited; answers ids and display names only',
    query: CustomerSearchSchema,
    response: z.object({
      customers: z.array(
        z.object({
          id: UuidSchema,
          displayName: z.string().nullable(),
          matchedBy: z.enum([...IDENTIFIER_KINDS, 'NAME']),
        }),
      ),
    }),
    handle: async ({ deps, query, actor }) =>
      searchCustomers(deps, query, { actor: actor.audit, details: actor.details }),
  }),
];
