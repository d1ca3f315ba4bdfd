-- The identity of this database, written once: the read model in Redis records which database it mirrors, so a
-- hub pointed at another database (or a restored copy) under the same Redis never serves the other one's state.
CREATE TABLE hub_identity (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  database_id uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO hub_identity DEFAULT VALUES;
