import { resolveCustomerId } from '../customers/customer-reads.js';
import type { Executor } from '../tables.js';

/** A computed membership as she and staff see it: the segment's id and name, since when, why, when. */
export interface SegmentMembershipView {
  segment: string;
  name: string;
  /** ISO 8601: when she entered the segment (kept while she stays in it). */
  since: string;
  reason: string;
  /** ISO 8601: when the membership was last computed with a change. */
  computedAt: string;
}

/** Whether the live profile `customerId` has granted the PROFILING consent (read now). */
export async function profilingGranted(db: Executor, customerId: string): Promise<boolean> {
  const row = await db
    .selectFrom('consents')
    .select('granted')
    .where('customerId', '=', customerId)
    .where('purpose', '=', 'PROFILING')
    .executeTakeFirst();
  return row?.granted === true;
}

/**
 * Her computed segment memberships (active segments only), in segment id order; follows merges. Empty
 * without the PROFILING consent — checked at read, so a withdrawal counts in the next answer even before
 * the memberships are removed.
 * @throws NOT_FOUND for an unknown or erased profile.
 */
export async function customerSegments(db: Executor, customerId: string): Promise<SegmentMembershipView[]> {
  const id = await resolveCustomerId(db, customerId);
  if (!(await profilingGranted(db, id))) return [];
  const rows = await db
    .selectFrom('segmentMemberships')
    .innerJoin('segmentDefinitions', 'segmentDefinitions.id', 'segmentMemberships.segmentId')
    .select([
      'segmentMemberships.segmentId',
      'segmentDefinitions.name',
      'segmentMemberships.since',
      'segmentMemberships.reason',
      'segmentMemberships.computedAt',
    ])
    .where('segmentMemberships.customerId', '=', id)
    .where('segmentDefinitions.status', '=', 'ACTIVE')
    .orderBy('segmentMemberships.segmentId')
    .execute();
  return rows.map((r) => ({
    segment: r.segmentId,
    name: r.name,
    since: r.since.toISOString(),
    reason: r.reason,
    computedAt: r.computedAt.toISOString(),
  }));
}

/**
 * The ids of the active segments the live profile `customerId` is computed to be in, sorted — what pricing
 * adds to her segments when she has granted PROFILING (the caller checks the consent).
 */
export async function computedSegmentIds(db: Executor, customerId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('segmentMemberships')
    .innerJoin('segmentDefinitions', 'segmentDefinitions.id', 'segmentMemberships.segmentId')
    .select('segmentMemberships.segmentId')
    .where('segmentMemberships.customerId', '=', customerId)
    .where('segmentDefinitions.status', '=', 'ACTIVE')
    .orderBy('segmentMemberships.segmentId')
    .execute();
  return rows.map((r) => r.segmentId);
}
