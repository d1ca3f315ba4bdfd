import { describe, expect, it } from '@jest/globals';
import {
  heldTier,
  LoyaltyProgramSchema,
  pointsForOrder,
  tierAfterEarning,
  tierFor,
} from '../../../journey-layer/index.js';

// Issue 11: the tier rule written once. A tier follows the points earned in the programme's rolling window;
// the tier a quote previews is the one recording the order gives: her points earned in the window plus the
// order's. The quote once previewed it from her tier's threshold plus the order's points, which the ledger
// never did.
const program = LoyaltyProgramSchema.parse({
  currency: 'EUR',
  tiers: [
    { id: 'BRONZE', name: 'Bronze', threshold: 0, benefits: {} },
    { id: 'SILVER', name: 'Silver', threshold: 500, benefits: { pointsMultiplierPct: 125 } },
    { id: 'GOLD', name: 'Gold', threshold: 1500, benefits: { pointsMultiplierPct: 150 } },
  ],
});
const [bronze, silver, gold] = program.tiers;

describe('the tier rule', () => {
  it('is the highest threshold the points earned in the window reach, a threshold included', () => {
    expect([0, 499, 500, 501, 1499, 1500, 10_000].map((p) => tierFor(program, p).id)).toEqual([
      'BRONZE',
      'BRONZE',
      'SILVER',
      'SILVER',
      'SILVER',
      'GOLD',
      'GOLD',
    ]);
  });

  it('previews the tier from the points earned in the window plus the order, at the boundary', () => {
    // A Bronze member with 440 points earned: an order of 60 points reaches Silver's 500 exactly. From her
    // tier's threshold instead (0 + 60 = 60) the preview said Bronze, and recording the sale made her Silver.
    expect(tierAfterEarning(program, 440, 60).id).toBe('SILVER');
    expect(tierAfterEarning(program, 439, 60).id).toBe('BRONZE');
    // A Silver member whose points left the window (100 earned in it): 60 more keep her at 160, Bronze — her
    // threshold plus the order (500 + 60) said Silver.
    expect(tierAfterEarning(program, 100, 60).id).toBe('BRONZE');
    // A return (negative points) counts too, never below zero.
    expect(tierAfterEarning(program, 1500, -1).id).toBe('SILVER');
    expect(tierAfterEarning(program, 10, -60).id).toBe('BRONZE');
  });

  it('previews what recording the order gives: the points of the tier she holds, added to the window', () => {
    const held = heldTier(program, 'SILVER');
    // 48 € × 125 % = 60
    const points = pointsForOrder(program, held, { amount: 4800, currency: program.currency });
    expect(points).toBe(60);
    expect(tierAfterEarning(program, 440, points)).toEqual(tierFor(program, 500));
  });

  it('holds the recorded tier, or the first one when there is none or the programme no longer has it', () => {
    expect(heldTier(program, 'GOLD')).toEqual(gold);
    expect(heldTier(program, 'SILVER')).toEqual(silver);
    expect(heldTier(program, null)).toEqual(bronze);
    expect(heldTier(program, undefined)).toEqual(bronze);
    expect(heldTier(program, 'PLATINUM')).toEqual(bronze);
  });
});
