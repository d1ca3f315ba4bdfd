-- A ready pickup is held at the store for its holding period, then its units return to stock (issue 12,
-- "an uncollected pickup returns its units after the store's holding period"). hold_until is the instant
-- the period ends, fixed when the pickup reaches READY_FOR_PICKUP: the start of the local day after the
-- ready day plus the store's pickupHoldDays (orders/pickup-hold.ts). A delayed job moves the pickup to
-- UNCOLLECTED then; a periodic sweep finds the due ones whose job was lost, by the partial index below.
ALTER TABLE fulfilments ADD COLUMN hold_until timestamptz;

-- Pickups already waiting at a counter: the same rule, from the instant they became ready (their last
-- update), by the time zone and holding days of the store they are collected at (a transfer's pickup store,
-- else where they are held; UTC and 7 days for a store without fulfilment settings).
UPDATE fulfilments f
SET hold_until = (
      date_trunc('day', f.updated_at AT TIME ZONE coalesce(l.fulfilment ->> 'timeZone', 'UTC'))
      + make_interval(days => coalesce((l.fulfilment ->> 'pickupHoldDays')::int, 7) + 1)
    ) AT TIME ZONE coalesce(l.fulfilment ->> 'timeZone', 'UTC')
FROM locations l
WHERE l.id = coalesce(f.pickup_location_id, f.location_id)
  AND f.method = 'PICKUP' AND f.status = 'READY_FOR_PICKUP';

CREATE INDEX fulfilments_hold_idx ON fulfilments (hold_until) WHERE status = 'READY_FOR_PICKUP';
