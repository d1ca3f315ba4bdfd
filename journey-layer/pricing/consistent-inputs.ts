import { effectiveInstant, type ReadModel, type Snapshot } from '../../backoffice-layer/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import { loadPricingContext, type PricingContext } from './pricing-context.js';
import { snapshotFor } from './snapshot-for.js';

/**
 * What one answer is priced from: a snapshot, the journey data read with it, the instant it is evaluated at.
 */
export interface PricingInputs {
  /** Its revision covers the snapshot and the journey data both. */
  snapshot: Snapshot;
  pricing: PricingContext;
  /** The instant the snapshot's revision determines (between its latest switch and its next window edge). */
  at: Date;
}

/** What an answer asks for: its SKUs, the customer and her coupons, and how fresh it must be. */
export interface PricingInputsRequest {
  /** Distinct SKUs. */
  skus: readonly string[];
  /** The answer's revision is at least this. */
  minRevision?: number | undefined;
  /** The node's read model (else PostgreSQL is read). */
  readModel?: ReadModel | undefined;
  customerId: string | null;
  couponCodes: readonly string[];
  /** The clock's now; the answer is evaluated at the instant its revision determines. */
  now: Date;
  /**
   * Evaluate at `now` exactly, not at the instant the revision determines: a preview of another instant (see
   * quote's `preview`), whose windows are taken as they stand at that instant.
   */
  exactInstant?: boolean | undefined;
  /** Load what a quote's tier preview needs (offers preview no tier). */
  tierPreview: boolean;
  /** The market's currency (ISO 4217); absent or null: the hub's default. */
  currency?: string | null | undefined;
}

/**
 * A snapshot and the journey data read after it, at one revision: when the journey data is newer than the
 * snapshot, the snapshot is taken again at least at that revision. So an answer's revision covers everything
 * it used, and two answers at one revision were computed from the same data. The journey data is read from
 * the primary; the snapshot may come from a replica (see snapshotFor), at its own, older revision — then
 * any journey data newer than it has the snapshot taken again at that revision, which a replica that has not
 * replayed it declines: a replica's older snapshot is never priced with newer data.
 * @throws BAD_USER_INPUT when `minRevision` is ahead of the hub; NOT_FOUND for an unknown customer.
 */
export async function consistentInputs(
  deps: JourneyDeps,
  request: PricingInputsRequest,
): Promise<PricingInputs> {
  const { skus, readModel, customerId, couponCodes, now, tierPreview, currency } = request;
  let minRevision = request.minRevision;
  for (let attempt = 0; ; attempt++) {
    const snapshot = await snapshotFor(deps, skus, { minRevision, readModel });
    // Evaluated at the instant the snapshot's revision determines (between its latest switch and its next
    // edge).
    const at = request.exactInstant ? now : effectiveInstant(snapshot.globals, now);
    const pricing = await loadPricingContext(deps, {
      customerId,
      couponCodes,
      at,
      globals: snapshot.globals,
      tierPreview,
      currency,
    });
    if (pricing.revision <= snapshot.revision || attempt >= 4)
      return {
        snapshot: { ...snapshot, revision: Math.max(snapshot.revision, pricing.revision) },
        pricing,
        at,
      };
    minRevision = pricing.revision;
  }
}
