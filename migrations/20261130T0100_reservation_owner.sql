-- Who a reservation belongs to, for the channel API's access policy: the channel client that made it (none for a
-- reservation made through the admin API, or made before this column existed) and the customer it was made for, if
-- any. No foreign keys: a client is revoked, never deleted, and customers belong to the journey layer.
ALTER TABLE reservations
  ADD COLUMN client_id   uuid,
  ADD COLUMN customer_id uuid;
