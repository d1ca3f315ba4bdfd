import type { WriteContext } from '../tables.js';

/**
 * Removes, in the caller's write, the segment memberships of those of `customerIds` who have not granted the
 * PROFILING consent (as it stands in this write), and announces each change (`segments.changed`
 * { customerId, segments: [] }, her revision stamped): computed segments exist only with that consent, so a
 * withdrawal — by her, by expiry, or by a merge or its undoing — leaves none behind, however it raced a
 * computation. Returns the profiles whose memberships went.
 */
export async function dropSegmentsWithoutProfiling(
  w: WriteContext,
  customerIds: readonly string[],
): Promise<string[]> {
  if (customerIds.length === 0) return [];
  const gone = await w.tx
    .deleteFrom('segmentMemberships')
    .where('customerId', 'in', customerIds)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('consents')
            .select('consents.customerId')
            .whereRef('consents.customerId', '=', 'segmentMemberships.customerId')
            .where('consents.purpose', '=', 'PROFILING')
            .where('consents.granted', '=', true),
        ),
      ),
    )
    .returning('customerId')
    .execute();
  const profiles = [...new Set(gone.map((g) => g.customerId))].sort();
  for (const customerId of profiles) {
    w.atRevision(async (tx, revision) => {
      await tx.updateTable('customers').set({ revision }).where('id', '=', customerId).execute();
    });
    w.emit({
      type: 'segments.changed',
      aggregateType: 'customer',
      aggregateId: customerId,
      payload: { customerId, segments: [] },
    });
  }
  return profiles;
}
