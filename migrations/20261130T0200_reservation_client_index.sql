-- The units a channel client holds now (its active reservations), read before it may hold more.
CREATE INDEX reservations_client_active_idx ON reservations (client_id) WHERE status = 'ACTIVE' AND client_id IS NOT NULL;
