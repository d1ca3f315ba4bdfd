import { z } from 'zod';
import { DomainError, displayName, runWrite } from '../../shared/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import type { Executor, WriteContext } from '../tables.js';
import { RFM_SEGMENTS, RfmDefinitionSchema, type RfmDefinition } from './rfm.js';
import { SegmentRuleSchema, type SegmentRule } from './rules.js';

/** A segment's id: lower-case letters, digits and hyphens, 1–40 (as `segment` conditions name it). */
export const SegmentIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,39}$/,
    'lower-case letters, digits and "-", at most 40, not starting with "-"',
  );

/**
 * `PUT /admin/v1/segments/{id}`: a RULE segment (`definition`: a rule, see rules.ts) or an RFM segment
 * (`definition`: rank, score ranges, thresholds, see rfm.ts); ARCHIVED segments keep no members.
 */
export const SegmentBodySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    name: displayName(100),
    kind: z.literal('RULE'),
    definition: SegmentRuleSchema,
    status: z.enum(['ACTIVE', 'ARCHIVED']).default('ACTIVE'),
  }),
  z.strictObject({
    name: displayName(100),
    kind: z.literal('RFM'),
    definition: RfmDefinitionSchema,
    status: z.enum(['ACTIVE', 'ARCHIVED']).default('ACTIVE'),
  }),
]);
export type SegmentBody = z.infer<typeof SegmentBodySchema>;

/** A segment as staff see it; `definition` as stored (defaults filled in). */
export type SegmentView = SegmentBody & {
  id: string;
  members: number;
  revision: number;
  createdAt: string;
  updatedAt: string;
};

/** An active segment, parsed, as a computation uses it. */
export type ActiveSegment =
  | { id: string; name: string; kind: 'RULE'; rule: SegmentRule }
  | { id: string; name: string; kind: 'RFM'; rfm: RfmDefinition };

/**
 * The active segments (RFM ones in rank order, then rules by id), and whether the five RFM segments are all
 * stored (when not, the caller seeds them: `seedRfmSegments`; the missing ones count as `RFM_SEGMENTS` has
 * them meanwhile). A stored
 * definition that no longer parses is left out (never a failed computation for everyone).
 */
export async function activeSegments(
  db: Executor,
): Promise<{ segments: ActiveSegment[]; rfmSeeded: boolean }> {
  const rows = await db.selectFrom('segmentDefinitions').selectAll().orderBy('id').execute();
  const missing = RFM_SEGMENTS.filter((s) => !rows.some((r) => r.id === s.id));
  const rfmSeeded = missing.length === 0;
  const stored = [
    ...rows,
    ...missing.map((s) => ({ ...s, kind: 'RFM' as const, status: 'ACTIVE' as const })),
  ];
  const segments: ActiveSegment[] = [];
  for (const r of stored) {
    if (r.status !== 'ACTIVE') continue;
    if (r.kind === 'RFM') {
      const p = RfmDefinitionSchema.safeParse(r.definition);
      if (p.success) segments.push({ id: r.id, name: r.name, kind: 'RFM', rfm: p.data });
    } else {
      const p = SegmentRuleSchema.safeParse(r.definition);
      if (p.success) segments.push({ id: r.id, name: r.name, kind: 'RULE', rule: p.data });
    }
  }
  const rank = (s: ActiveSegment) => (s.kind === 'RFM' ? s.rfm.rank : Number.MAX_SAFE_INTEGER);
  segments.sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { segments, rfmSeeded };
}

/** Inserts the RFM segments (RFM_SEGMENTS) that are missing, in the caller's write; keeps stored ones. */
export function seedRfmSegments(w: WriteContext): void {
  w.atRevision(async (tx, revision) => {
    await tx
      .insertInto('segmentDefinitions')
      .values(
        RFM_SEGMENTS.map((s) => ({
          id: s.id,
          name: s.name,
          kind: 'RFM' as const,
          definition: JSON.stringify(s.definition),
          status: 'ACTIVE' as const,
          revision,
          createdAt: w.now,
          updatedAt: w.now,
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  });
}

/**
 * Seeds the RFM segments (champions, loyal, new, at-risk, lapsed) that are not stored yet; staff's changes
 * (thresholds, archiving) are kept. Computations and the admin routes call it on first use. Returns the
 * revision of the seeding write, or null when they were there.
 */
export async function ensureRfmSegments(deps: JourneyDeps): Promise<number | null> {
  const present = await deps.db
    .selectFrom('segmentDefinitions')
    .select('id')
    .where(
      'id',
      'in',
      RFM_SEGMENTS.map((s) => s.id),
    )
    .execute();
  if (present.length === RFM_SEGMENTS.length) return null;
  const { revision } = await runWrite(deps, async (w) => seedRfmSegments(w));
  return revision;
}

type DefinitionRow = Awaited<ReturnType<typeof definitionRows>>[number];
function definitionRows(db: Executor, id?: string) {
  let q = db
    .selectFrom('segmentDefinitions')
    .selectAll('segmentDefinitions')
    .select((eb) =>
      eb
        .selectFrom('segmentMemberships')
        .select((m) => m.fn.countAll<string>().as('n'))
        .whereRef('segmentMemberships.segmentId', '=', 'segmentDefinitions.id')
        .as('members'),
    )
    .orderBy('id');
  if (id !== undefined) q = q.where('id', '=', id);
  return q.execute();
}

function viewOf(r: DefinitionRow): SegmentView {
  const base = {
    id: r.id,
    name: r.name,
    status: r.status,
    members: Number(r.members ?? 0),
    revision: r.revision,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
  return r.kind === 'RFM'
    ? { ...base, kind: 'RFM', definition: r.definition as RfmDefinition }
    : { ...base, kind: 'RULE', definition: r.definition as SegmentRule };
}

/** Every segment (RFM and rules, archived ones too) in id order, with how many profiles are in it. */
export async function listSegments(db: Executor): Promise<SegmentView[]> {
  return (await definitionRows(db)).map(viewOf);
}

/** One segment; null when unknown. */
export async function getSegment(db: Executor, id: string): Promise<SegmentView | null> {
  const [row] = await definitionRows(db, id);
  return row ? viewOf(row) : null;
}

/**
 * Creates or replaces a segment's definition (announced as `segment.changed` { segmentId }). Memberships
 * follow at the next computation for each profile (an event about her, or the nightly recomputation).
 * @throws BAD_USER_INPUT for an invalid id or body; CONFLICT when the body changes a segment's kind.
 */
export async function putSegment(
  deps: JourneyDeps,
  id: string,
  raw: unknown,
): Promise<{ segment: SegmentView; revision: number }> {
  const idOk = SegmentIdSchema.safeParse(id);
  const parsed = SegmentBodySchema.safeParse(raw);
  if (!idOk.success || !parsed.success) {
    const issues = [
      ...(idOk.success ? [] : idOk.error.issues.map((i) => ({ ...i, path: ['id'] }))),
      ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ ...i, path: ['body', ...i.path] }))),
    ];
    throw new DomainError(
      'BAD_USER_INPUT',
      `Invalid segment: ${issues
        .slice(0, 5)
        .map((i) => `${i.path.map(String).join('.')}: ${i.message}`)
        .join('; ')}`,
      { issues: issues.slice(0, 20).map((i) => ({ path: i.path.map(String), message: i.message })) },
    );
  }
  const body = parsed.data;
  const { revision } = await runWrite(deps, async (w) => {
    const current = await w.tx
      .selectFrom('segmentDefinitions')
      .select('kind')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    const kindConflict = (kind: string) =>
      new DomainError('CONFLICT', `Segment ${id} is ${kind}; its kind cannot change`, {
        segmentId: id,
        kind,
      });
    if (current && current.kind !== body.kind) throw kindConflict(current.kind);
    const values = {
      name: body.name,
      definition: JSON.stringify(body.definition),
      status: body.status,
      updatedAt: w.now,
    };
    // A first PUT of the id racing another of the other kind: the later one finds the row here (it waited
    // for the first to commit) and updates it only when the kinds agree.
    const written = await w.tx
      .insertInto('segmentDefinitions')
      .values({ id, kind: body.kind, ...values, revision: 0, createdAt: w.now })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet(values).where('segmentDefinitions.kind', '=', body.kind),
      )
      .returning('id')
      .executeTakeFirst();
    if (!written) throw kindConflict(body.kind === 'RFM' ? 'RULE' : 'RFM');
    w.atRevision(async (tx, rev) => {
      await tx.updateTable('segmentDefinitions').set({ revision: rev }).where('id', '=', id).execute();
    });
    w.emit({
      type: 'segment.changed',
      aggregateType: 'segment',
      aggregateId: id,
      payload: { segmentId: id },
    });
  });
  return { segment: (await getSegment(deps.db, id))!, revision };
}
