import {
  customersWithPurchasesSince,
  lastPurchaseAt,
  purchaseFacts,
  type PurchaseFact,
} from '../../backoffice-layer/index.js';
import { isUuid, runWrite } from '../../shared/index.js';
import { recordDataUse } from '../customers/data-use.js';
import type { JourneyDeps } from '../journey-deps.js';
import { getLoyaltyProgram, lockMemberIfLive } from '../loyalty/ledger.js';
import type { LoyaltyProgram } from '../loyalty/program.js';
import type { Executor, WriteContext } from '../tables.js';
import { activeSegments, seedRfmSegments, type ActiveSegment } from './definitions.js';
import { profilingGranted } from './memberships.js';
import { rfmMatches, rfmReason, rfmScores, type RfmFacts } from './rfm.js';
import { evaluateRule, ruleWindowDays, type RulePurchase } from './rules.js';

const DAY_MS = 86_400_000;

/**
 * What every profile's computation shares, read once per run: the active segments, whether the RFM ones
 * are stored yet, and the loyalty programme (its rolling window is the RFM window, its currency the one
 * amounts are counted in).
 */
export interface SegmentComputation {
  segments: ActiveSegment[];
  rfmSeeded: boolean;
  program: LoyaltyProgram;
}

/** Reads what a run of computations shares (see SegmentComputation). */
export async function loadSegmentComputation(db: Executor): Promise<SegmentComputation> {
  const [{ segments, rfmSeeded }, program] = await Promise.all([activeSegments(db), getLoyaltyProgram(db)]);
  return { segments, rfmSeeded, program };
}

/** The longest look-back (days) of a run: the programme's window or a rule's, whichever is longer. */
function lookBackDays(c: SegmentComputation): number {
  return Math.max(
    c.program.rollingWindowDays,
    ...c.segments.map((s) => (s.kind === 'RULE' ? ruleWindowDays(s.rule) : 0)),
  );
}

function rulePurchase(f: PurchaseFact): RulePurchase {
  return {
    placedAt: f.placedAt,
    kind: f.kind,
    locationId: f.locationId,
    netAmount: Math.max(0, f.totalAmount - f.refundedAmount),
    currency: f.currency,
    fulfilmentMethods: f.fulfilmentMethods,
    lines: f.lines.map((l) => ({ sku: l.sku, category: l.category, kept: l.quantity - l.returnedQuantity })),
  };
}

/**
 * The segments the purchases put her in, with the reason for each: the first RFM segment by rank whose
 * score ranges hold (each with its own thresholds), and every rule segment whose rule holds. Pure.
 */
export function membershipsFor(
  c: SegmentComputation,
  purchases: readonly RulePurchase[],
  lastAt: Date | null,
  now: Date,
): Map<string, string> {
  const out = new Map<string, string>();
  const windowDays = c.program.rollingWindowDays;
  const since = now.getTime() - windowDays * DAY_MS;
  const inWindow = purchases.filter((p) => p.placedAt.getTime() >= since);
  const currency = c.program.currency;
  const facts: RfmFacts = {
    daysSinceLast: lastAt ? Math.max(0, Math.floor((now.getTime() - lastAt.getTime()) / DAY_MS)) : null,
    lastAt,
    purchases: inWindow.length,
    spent: inWindow.filter((p) => p.currency === currency).reduce((s, p) => s + p.netAmount, 0),
    currency,
    windowDays,
  };
  let rfmDone = false;
  for (const s of c.segments) {
    if (s.kind === 'RFM') {
      if (rfmDone) continue;
      const scores = rfmScores(facts, s.rfm.thresholds);
      if (scores && rfmMatches(s.rfm, scores)) {
        out.set(s.id, rfmReason(scores, facts));
        rfmDone = true;
      }
    } else {
      const reason = evaluateRule(s.rule, purchases, { now, currency });
      if (reason !== null) out.set(s.id, reason.slice(0, 1000));
    }
  }
  return out;
}

/** Stamps her revision (every channel's next price sees the change) and announces `segments.changed`. */
function announce(w: WriteContext, customerId: string, segments: readonly string[]): void {
  w.atRevision(async (tx, revision) => {
    await tx.updateTable('customers').set({ revision }).where('id', '=', customerId).execute();
  });
  w.emit({
    type: 'segments.changed',
    aggregateType: 'customer',
    aggregateId: customerId,
    payload: { customerId, segments: [...segments] },
  });
}

/**
 * Removes, in the caller's write, the memberships of those of `customerIds` who have not granted the
 * PROFILING consent (as it stands in this write), each change announced (see `announce`): computed segments
 * exist only with that consent, so a withdrawal — by her, by expiry, by a merge or its undoing — leaves none
 * behind, however it raced a computation. Returns the profiles whose memberships went.
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
  for (const customerId of profiles) announce(w, customerId, []);
  return profiles;
}

/** Removes every membership of the profile; true when there were any. */
async function removeAll(w: WriteContext, customerId: string): Promise<boolean> {
  const gone = await w.tx
    .deleteFrom('segmentMemberships')
    .where('customerId', '=', customerId)
    .returning('segmentId')
    .execute();
  if (gone.length === 0) return false;
  announce(w, customerId, []);
  return true;
}

/**
 * Computes one profile's memberships inside the caller's write (`runWrite`, or `writeInTransaction` in an
 * event consumer), her profile locked first. A live profile with the PROFILING consent: her purchases of
 * every channel (orders of the profiles merged into hers included, cancelled ones not) make her memberships;
 * only changes are written — a membership kept keeps its `since`, one whose reason changed gets the new
 * reason and `computedAt` — and a data-use row (PROFILING, `system`, SYSTEM) records the computation. Without
 * the consent, or for a profile merged away or erased, her memberships are removed and nothing is read.
 * Seeds the RFM segments in the same write when they are missing. Returns whether a membership changed
 * (then her revision is stamped and `segments.changed` { customerId, segments } emitted).
 */
export async function computeSegmentsIn(
  w: WriteContext,
  customerId: string,
  c: SegmentComputation,
): Promise<boolean> {
  if (!isUuid(customerId)) return false;
  const row = await w.tx
    .selectFrom('customers')
    .select('status')
    .where('id', '=', customerId)
    .executeTakeFirst();
  if (!row) return false;
  const id = row.status === 'ACTIVE' ? await lockMemberIfLive(w.tx, customerId) : null;
  if (id !== customerId) return removeAll(w, customerId);
  if (!c.rfmSeeded) {
    seedRfmSegments(w);
    c.rfmSeeded = true;
  }
  if (!(await profilingGranted(w.tx, id))) return removeAll(w, id);

  const now = w.now;
  const merged = await w.tx.selectFrom('customers').select('id').where('mergedInto', '=', id).execute();
  const family = [id, ...merged.map((m) => m.id)];
  const until = new Date(now.getTime() + 1);
  const since = new Date(now.getTime() - lookBackDays(c) * DAY_MS);
  const facts = await purchaseFacts(w.tx, family, { since, until });
  const lastAt = await lastPurchaseAt(w.tx, family, until);
  const purchases = facts.filter((f) => f.status !== 'CANCELLED').map(rulePurchase);
  const wanted = membershipsFor(c, purchases, lastAt, now);

  const current = await w.tx
    .selectFrom('segmentMemberships')
    .select(['segmentId', 'reason'])
    .where('customerId', '=', id)
    .execute();
  const gone = current.filter((m) => !wanted.has(m.segmentId)).map((m) => m.segmentId);
  const held = new Map(current.map((m) => [m.segmentId, m.reason]));
  const added = [...wanted].filter(([segmentId]) => !held.has(segmentId));
  const moved = [...wanted].filter(
    ([segmentId, reason]) => held.has(segmentId) && held.get(segmentId) !== reason,
  );
  if (gone.length > 0)
    await w.tx
      .deleteFrom('segmentMemberships')
      .where('customerId', '=', id)
      .where('segmentId', 'in', gone)
      .execute();
  const changed = gone.length + added.length + moved.length > 0;
  if (changed) {
    w.atRevision(async (tx, revision) => {
      if (added.length > 0)
        await tx
          .insertInto('segmentMemberships')
          .values(
            added.map(([segmentId, reason]) => ({
              customerId: id,
              segmentId,
              since: now,
              reason,
              computedAt: now,
              revision,
            })),
          )
          .execute();
      for (const [segmentId, reason] of moved)
        await tx
          .updateTable('segmentMemberships')
          .set({ reason, computedAt: now, revision })
          .where('customerId', '=', id)
          .where('segmentId', '=', segmentId)
          .execute();
    });
    announce(w, id, [...wanted.keys()].sort());
  }
  const names = [...wanted.keys()].sort();
  await recordDataUse(w.tx, now, {
    customerId: id,
    actor: 'system',
    channel: 'SYSTEM',
    purpose: 'PROFILING',
    what: `computed segments: ${names.length > 0 ? names.join(', ') : 'none'}`,
  });
  return changed;
}

/**
 * Recomputes the memberships of these profiles now, one write per profile (see computeSegmentsIn); unknown
 * ids are passed over. Returns how many profiles' memberships changed.
 */
export async function recomputeSegments(deps: JourneyDeps, customerIds: readonly string[]): Promise<number> {
  const c = await loadSegmentComputation(deps.db);
  let changed = 0;
  for (const id of [...new Set(customerIds)]) {
    const { result } = await runWrite(deps, (w) => computeSegmentsIn(w, id, c));
    if (result) changed++;
  }
  return changed;
}

/**
 * The nightly recomputation, for what time alone changes (she lapses without any event): every profile
 * with a membership or with an order in the longest look-back (the programme's window or a rule's), in id
 * order, `batch` (default 500, 1–10,000) ids at a time, one write per profile. Returns how many profiles it
 * visited and how many changed.
 */
export async function recomputeAllSegments(
  deps: JourneyDeps,
  opts: { batch?: number } = {},
): Promise<{ visited: number; changed: number }> {
  const batch = Math.min(10_000, Math.max(1, Math.floor(opts.batch ?? 500)));
  const c = await loadSegmentComputation(deps.db);
  const since = new Date(deps.clock.now().getTime() - lookBackDays(c) * DAY_MS);
  let after: string | null = null;
  let visited = 0;
  let changed = 0;
  for (;;) {
    let members = deps.db
      .selectFrom('segmentMemberships')
      .select('customerId')
      .distinct()
      .orderBy('customerId')
      .limit(batch);
    if (after !== null) members = members.where('customerId', '>', after);
    const [withMembership, withPurchase]: [Array<{ customerId: string }>, string[]] = await Promise.all([
      members.execute(),
      customersWithPurchasesSince(deps.db, since, { after, limit: batch }),
    ]);
    const ids: string[] = [...new Set([...withMembership.map((m) => m.customerId), ...withPurchase])]
      .sort()
      .slice(0, batch);
    if (ids.length === 0) break;
    for (const id of ids) {
      const { result } = await runWrite(deps, (w) => computeSegmentsIn(w, id, c));
      visited++;
      if (result) changed++;
    }
    after = ids.at(-1)!;
  }
  return { visited, changed };
}
