-- The units a channel client holds, checked where concurrent reservations cannot slip past each other.
-- A reservation's check before it holds more (client_held_units) read what other transactions had committed
-- when it began; reservations of one client committing at the same time each saw the others' units missing,
-- and together held past the client's limit. The check below runs once more after the reserving
-- transaction's revision is drawn (under the revision lock, which every write takes last and holds to its
-- commit): it sees every reservation committed before this one and this one's own, so a reservation that
-- would take its client past the limit is refused and its transaction rolls back.
-- Migrations are append-only: never edit this file once it has landed; add a newer one.

-- The units `client` holds at `at`: its running total (client_held_units) less its ACTIVE reservations past
-- their expiry that the expiry job has not ended yet (found by the client-and-expiry index).
CREATE FUNCTION client_units_held(client uuid, at timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT (SELECT coalesce(sum(h.units), 0) FROM client_held_units h WHERE h.client_id = client)
       - (SELECT coalesce(sum(l.quantity), 0)
            FROM reservations r JOIN reservation_lines l ON l.reservation_id = r.id
           WHERE r.client_id = client AND r.status = 'ACTIVE' AND r.expires_at <= at)
$$;

-- Refuses (SQLSTATE P0001, HINT 'omnihub:RATE_LIMITED', DETAIL the error's details as JSON) when `client`
-- holds more than `max_units` at `at`; `asked`: the units this transaction added, so the refusal tells what
-- the client held without them. The hub maps such an error to its domain error (classifyInfrastructureError).
CREATE FUNCTION client_units_held_at_most(client uuid, max_units bigint, asked bigint, at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  held bigint := client_units_held(client, at);
BEGIN
  IF held > max_units THEN
    RAISE EXCEPTION USING
      ERRCODE = 'P0001',
      MESSAGE = format('This client holds %s units in active reservations and may hold at most %s; '
                       'release or commit some first', held - asked, max_units),
      HINT = 'omnihub:RATE_LIMITED',
      DETAIL = json_build_object('heldUnits', held - asked, 'maxHeldUnits', max_units)::text;
  END IF;
END $$;
