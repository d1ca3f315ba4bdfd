import { recordAudit } from '../../../backoffice-layer/index.js';
import type { BackofficeTestContext } from '../../support/backoffice.js';

export { ManualClock, runWrite } from '../../../shared/index.js';

export async function recordAuditForTest(
  ctx: BackofficeTestContext,
  actor: string,
  action: string,
  subject: string,
): Promise<void> {
  await recordAudit(ctx.deps.db, ctx.deps.clock.now(), { actor, action, subject });
}
