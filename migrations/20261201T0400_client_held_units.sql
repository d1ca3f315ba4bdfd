-- The units each channel client holds in active reservations, kept as a running total so the check a
-- reservation makes before it holds more reads a handful of rows instead of summing every active reservation
-- of the client (which grew with the client's open carts).
--
-- One row per (client, database backend): a transaction adds its changes to the row of the backend it runs on
-- (pg_backend_pid()), which no concurrent transaction writes, so keeping the total never makes two reservations
-- wait for each other and takes no place in the hub's lock order. Rows of backends that have ended are folded
-- into the client's row 0 by the reservation sweep (foldHeldUnits). The total counts a reservation from the
-- moment its lines are written while it is ACTIVE until it leaves ACTIVE (committed, released, expired).
CREATE TABLE client_held_units (
  client_id    uuid    NOT NULL,
  backend_pid  integer NOT NULL,
  units        bigint  NOT NULL,
  PRIMARY KEY (client_id, backend_pid)
);

-- Lines written, changed or removed: their quantities count for a client's ACTIVE reservation.
CREATE FUNCTION client_held_units_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO client_held_units (client_id, backend_pid, units)
    SELECT r.client_id, pg_backend_pid(), sum(n.quantity)
      FROM held_new_lines n JOIN reservations r ON r.id = n.reservation_id
     WHERE r.status = 'ACTIVE' AND r.client_id IS NOT NULL
     GROUP BY r.client_id
    ON CONFLICT (client_id, backend_pid) DO UPDATE SET units = client_held_units.units + excluded.units;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO client_held_units (client_id, backend_pid, units)
    SELECT r.client_id, pg_backend_pid(), sum(d.quantity)
      FROM (SELECT reservation_id, quantity FROM held_new_lines
            UNION ALL SELECT reservation_id, -quantity FROM held_old_lines) d
      JOIN reservations r ON r.id = d.reservation_id
     WHERE r.status = 'ACTIVE' AND r.client_id IS NOT NULL
     GROUP BY r.client_id HAVING sum(d.quantity) <> 0
    ON CONFLICT (client_id, backend_pid) DO UPDATE SET units = client_held_units.units + excluded.units;
  ELSE
    INSERT INTO client_held_units (client_id, backend_pid, units)
    SELECT r.client_id, pg_backend_pid(), -sum(o.quantity)
      FROM held_old_lines o JOIN reservations r ON r.id = o.reservation_id
     WHERE r.status = 'ACTIVE' AND r.client_id IS NOT NULL
     GROUP BY r.client_id
    ON CONFLICT (client_id, backend_pid) DO UPDATE SET units = client_held_units.units + excluded.units;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER client_held_units_lines_insert AFTER INSERT ON reservation_lines
  REFERENCING NEW TABLE AS held_new_lines FOR EACH STATEMENT EXECUTE FUNCTION client_held_units_lines();
CREATE TRIGGER client_held_units_lines_update AFTER UPDATE ON reservation_lines
  REFERENCING OLD TABLE AS held_old_lines NEW TABLE AS held_new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION client_held_units_lines();
CREATE TRIGGER client_held_units_lines_delete AFTER DELETE ON reservation_lines
  REFERENCING OLD TABLE AS held_old_lines FOR EACH STATEMENT EXECUTE FUNCTION client_held_units_lines();

-- A reservation entering or leaving ACTIVE (or changing hands): its lines' units move with it. Lines are
-- written after their reservation and removed before it (their foreign key), so inserts and deletes of
-- reservations themselves change nothing.
CREATE FUNCTION client_held_units_reservations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO client_held_units (client_id, backend_pid, units)
  SELECT d.client_id, pg_backend_pid(), sum(d.units)
    FROM (
      WITH changed AS (
        SELECT o.id, o.status AS old_status, o.client_id AS old_client,
               n.status AS new_status, n.client_id AS new_client
          FROM held_old_reservations o JOIN held_new_reservations n ON n.id = o.id
         WHERE (o.status, o.client_id) IS DISTINCT FROM (n.status, n.client_id)
      )
      SELECT c.new_client AS client_id, l.quantity::bigint AS units
        FROM changed c JOIN reservation_lines l ON l.reservation_id = c.id
       WHERE c.new_status = 'ACTIVE' AND c.new_client IS NOT NULL
      UNION ALL
      SELECT c.old_client, -l.quantity::bigint
        FROM changed c JOIN reservation_lines l ON l.reservation_id = c.id
       WHERE c.old_status = 'ACTIVE' AND c.old_client IS NOT NULL
    ) d
   GROUP BY d.client_id HAVING sum(d.units) <> 0
  ON CONFLICT (client_id, backend_pid) DO UPDATE SET units = client_held_units.units + excluded.units;
  RETURN NULL;
END $$;

CREATE TRIGGER client_held_units_reservations_update AFTER UPDATE ON reservations
  REFERENCING OLD TABLE AS held_old_reservations NEW TABLE AS held_new_reservations
  FOR EACH STATEMENT EXECUTE FUNCTION client_held_units_reservations();

-- What clients hold now, from the reservations themselves.
INSERT INTO client_held_units (client_id, backend_pid, units)
SELECT r.client_id, 0, sum(l.quantity)
  FROM reservations r JOIN reservation_lines l ON l.reservation_id = r.id
 WHERE r.status = 'ACTIVE' AND r.client_id IS NOT NULL
 GROUP BY r.client_id;

-- The check subtracts a client's reservations past their expiry that the expiry job has not ended yet: found
-- by client and expiry.
DROP INDEX reservations_client_active_idx;
CREATE INDEX reservations_client_active_expiry_idx ON reservations (client_id, expires_at)
  WHERE status = 'ACTIVE' AND client_id IS NOT NULL;
