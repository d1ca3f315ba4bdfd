import { sql } from 'kysely';
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

/** Every row of every table in the database as text: what a dump would show. */
export async function everyRowAsText(ctx: BackofficeTestContext): Promise<string> {
  const tables = await sql<{
    tname: string;
  }>`SELECT table_name AS tname FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`.execute(ctx.deps.db);
  let text = '';
  for (const { tname } of tables.rows) {
    const rows = await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.raw(`"${tname}"`)} t`.execute(
      ctx.deps.db,
    );
    text += rows.rows.map((r) => `${tname}: ${r.row}`).join('\n') + '\n';
  }
  return text;
}

/** An export document, as a test reads it. */
export type ExportDoc = Record<string, any>;

/**
 * An export without what legitimately records a merge and its undoing (and the exports themselves):
 * `exportedAt`; the profile's `revision`; the loyalty account's `updatedAt`; the `merges` list; the
 * `auditEntries` (the exports are audited); data-use entries of purpose DATA_RIGHTS (the exports, the merge,
 * the undo); profile-history entries of the fields `merge` and `unmerge`. Everything else must be equal.
 */
export function withoutMergeRecords(doc: ExportDoc): ExportDoc {
  const {
    exportedAt: _e,
    merges: _m,
    auditEntries: _a,
    profile: { revision: _r, ...profile },
    loyalty,
    ...rest
  } = doc;
  return {
    ...rest,
    profile,
    loyalty: loyalty ? { ...loyalty, updatedAt: undefined } : null,
    dataUse: (doc.dataUse as Array<{ purpose: string }>).filter((u) => u.purpose !== 'DATA_RIGHTS'),
    profileHistory: (doc.profileHistory as Array<{ field: string }>).filter(
      (h) => h.field !== 'merge' && h.field !== 'unmerge',
    ),
  };
}
