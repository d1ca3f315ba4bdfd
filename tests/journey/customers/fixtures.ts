import { recordAudit } from '../../../backoffice-layer/index.js';
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
