-- Channel clients (webshop, app, store terminals, call center, console): API keys stored hashed, each with its
-- channel, its store for terminals, and scopes.
CREATE TABLE channel_clients (
  id           uuid PRIMARY KEY,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  channel      text NOT NULL CHECK (channel IN ('WEB', 'APP', 'STORE', 'CALL_CENTER', 'CONSOLE')),
  location_id  text REFERENCES locations (id),
  scopes       text[] NOT NULL DEFAULT '{}',
  key_hash     text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  CHECK (channel <> 'STORE' OR location_id IS NOT NULL)
);

-- Secrets the hub generates for itself on first use (e.g. the key that signs customer tokens).
CREATE TABLE hub_secrets (
  name        text PRIMARY KEY,
  value       text NOT NULL,
  created_at  timestamptz NOT NULL
);
