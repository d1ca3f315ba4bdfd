import { recordAudit, upsertLocation } from '../../../backoffice-layer/index.js';
import type { BackofficeTestContext } from '../../support/backoffice.js';

import { runWrite } from '../../../shared/index.js';

export { ManualClock, runWrite } from '../../../shared/index.js';

export async function recordAuditForTest(
  ctx: BackofficeTestContext,
  actor: string,
  action: string,
  subject: string,
): Promise<void> {
  await recordAudit(ctx.deps.db, ctx.deps.clock.now(), { actor, action, subject });
}

/** A rule segment `id` (named `name`), as staff define one, for membership rows to name. */
export async function defineSegment(ctx: BackofficeTestContext, id: string, name: string): Promise<void> {
  await runWrite(ctx.deps, async (w) => {
    w.atRevision(async (tx, revision) => {
      await tx
        .insertInto('segmentDefinitions')
        .values({
          id,
          name,
          kind: 'RULE',
          status: 'ACTIVE',
          definition: '{}',
          revision,
          createdAt: w.now,
          updatedAt: w.now,
        })
        .execute();
    });
  });
}

/** Stores the tests name as a member's home store (a home store must be a location the hub knows). */
export async function givenStores(ctx: BackofficeTestContext, ...ids: string[]): Promise<void> {
  for (const id of ids) await upsertLocation(ctx.deps, id, { name: id, kind: 'STORE', fulfilsOnline: false });
}
