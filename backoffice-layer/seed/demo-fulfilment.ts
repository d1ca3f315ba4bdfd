import type { FulfilmentSettings, ShippingZone } from '../orders/fulfilment-settings.schema.js';
import type { SourcingRules } from '../orders/sourcing.schema.js';

/**
 * The demo retailer's fulfilment configuration (issue 12): the webshop warehouse in Tilburg ships until 22:00
 * for next-day delivery in the Netherlands (two days to Belgium); every store ships from store and offers
 * click & collect (held 7 days) in its shop hours; sourcing takes the fewest shipments, the warehouse first.
 * Pure data.
 */
export interface DemoFulfilment {
  /** Location id → its fulfilment settings (every demo location has some). */
  settings: Record<string, FulfilmentSettings>;
  shippingZones: ShippingZone[];
  sourcing: SourcingRules;
}

/** Dutch public holidays the shops close and the warehouse does not ship (Christmas, New Year). */
const HOLIDAYS = ['2026-12-25', '2026-12-26', '2027-01-01'];

const WAREHOUSE: FulfilmentSettings = {
  timeZone: 'Europe/Amsterdam',
  cutOff: '22:00',
  handlingDays: 0,
  // Monday to Saturday: the carrier's evening collection is the cut-off, not these hours.
  openingHours: [1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '07:00', close: '23:00' })),
  holidays: HOLIDAYS,
  shipsFromStore: false,
  pickup: false,
  pickupHoldDays: 7,
};

/** Shop hours of a Dutch high street: Monday from noon, Thursday late opening, Sunday afternoon. */
const STORE: FulfilmentSettings = {
  timeZone: 'Europe/Amsterdam',
  cutOff: '17:00',
  handlingDays: 0,
  openingHours: [
    { day: 1, open: '12:00', close: '18:00' },
    { day: 2, open: '10:00', close: '18:00' },
    { day: 3, open: '10:00', close: '18:00' },
    { day: 4, open: '10:00', close: '21:00' },
    { day: 5, open: '10:00', close: '18:00' },
    { day: 6, open: '10:00', close: '17:00' },
    { day: 7, open: '12:00', close: '17:00' },
  ],
  holidays: HOLIDAYS,
  shipsFromStore: true,
  pickup: true,
  pickupHoldDays: 7,
};

/** The demo configuration for `locations` (the warehouse first in the priority list, then the stores). */
export function demoFulfilment(
  locations: ReadonlyArray<{ id: string; kind: 'WAREHOUSE' | 'STORE' }>,
): DemoFulfilment {
  const ordered = [
    ...locations.filter((l) => l.kind === 'WAREHOUSE'),
    ...locations.filter((l) => l.kind === 'STORE'),
  ];
  return {
    settings: Object.fromEntries(
      ordered.map((l) => [l.id, structuredClone(l.kind === 'WAREHOUSE' ? WAREHOUSE : STORE)]),
    ),
    shippingZones: [
      { id: 'nl', countryCode: 'NL', postcodePrefixes: [''], transitDays: 1, carrierHolidays: HOLIDAYS },
      { id: 'be', countryCode: 'BE', postcodePrefixes: [''], transitDays: 2, carrierHolidays: HOLIDAYS },
    ],
    sourcing: {
      rules: ['FEWEST_SHIPMENTS', 'LOCATION_PRIORITY'],
      allowSplit: true,
      locationPriority: ordered.map((l) => l.id),
    },
  };
}
