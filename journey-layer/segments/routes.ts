import { z } from 'zod';
import { defineRoute, type AdminRoute } from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';
import {
  ensureRfmSegments,
  getSegment,
  listSegments,
  putSegment,
  SegmentBodySchema,
  SegmentIdSchema,
} from './definitions.js';

const Params = z.strictObject({ id: SegmentIdSchema });
const Revision = z.int().min(0);

const SegmentViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['RFM', 'RULE']),
    definition: z
      .record(z.string(), z.unknown())
      .describe('RULE: the rule (bought, fulfilment, spent, all, any); RFM: rank, score ranges, thresholds'),
    status: z.enum(['ACTIVE', 'ARCHIVED']),
    members: z.int().describe('Profiles computed to be in it now'),
    revision: Revision,
    createdAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'Segment' });

/**
 * The segments' admin REST routes (mounted under /admin/v1): list, read, create or replace. The RFM
 * segments are seeded on first use. `PUT` is checked by the segment's own schema, so a wrong field is
 * answered with its path (`body.definition.bought.withinDays`).
 */
export const segmentRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'get',
    path: '/segments',
    tag: 'customers',
    operationId: 'listSegments',
    summary: 'Segments (RFM and rules staff defined) in id order, with how many profiles are in each',
    response: z.object({ segments: z.array(SegmentViewSchema) }),
    handle: async ({ deps }) => {
      await ensureRfmSegments(deps);
      return { segments: await listSegments(deps.db) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/segments/:id',
    tag: 'customers',
    operationId: 'getSegment',
    errors: ['NOT_FOUND'],
    summary: 'One segment: its definition and how many profiles are in it',
    params: Params,
    response: z.object({ segment: SegmentViewSchema }),
    handle: async ({ deps, params }) => {
      await ensureRfmSegments(deps);
      const segment = await getSegment(deps.db, params.id);
      if (!segment) throw new DomainError('NOT_FOUND', `No segment ${params.id}`, { segmentId: params.id });
      return { segment };
    },
  }),
  defineRoute({
    method: 'put',
    path: '/segments/:id',
    tag: 'customers',
    operationId: 'putSegment',
    errors: ['CONFLICT'],
    summary:
      'Create or replace a segment: a RULE (bought, fulfilment, spent; all/any) or the thresholds and ' +
      'score ranges of an RFM segment; members follow at the next computation',
    params: Params,
    body: SegmentBodySchema,
    response: z.object({ segment: SegmentViewSchema, revision: Revision }),
    handle: async ({ deps, params, body }) => putSegment(deps, params.id, body),
  }),
];
