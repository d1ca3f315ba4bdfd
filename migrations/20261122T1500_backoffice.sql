-- Backoffice source of truth: catalogue, locations, prices, stock, reservations, orders, returns,
-- idempotency records, the transactional outbox and the one global revision sequence.
-- Migrations are append-only: never edit this file once it has landed; add a newer one.

CREATE SEQUENCE revision_seq AS bigint START 1;

CREATE TABLE products (
  sku          text PRIMARY KEY CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  category     text NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
  attributes   jsonb NOT NULL DEFAULT '{}'::jsonb,
  vat_rate_bp  integer NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
  status       text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE', 'DISCONTINUED')),
  revision     bigint NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
CREATE INDEX products_category_idx ON products (category);

CREATE TABLE locations (
  id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind            text NOT NULL CHECK (kind IN ('WAREHOUSE', 'STORE')),
  fulfils_online  boolean NOT NULL DEFAULT false,
  revision        bigint NOT NULL,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);

CREATE TABLE price_lists (
  id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  priority    integer NOT NULL DEFAULT 0,
  valid_from  timestamptz,
  valid_to    timestamptz,
  revision    bigint NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to)
);

CREATE TABLE prices (
  price_list_id  text NOT NULL REFERENCES price_lists (id) ON DELETE CASCADE,
  sku            text NOT NULL REFERENCES products (sku),
  min_quantity   integer NOT NULL DEFAULT 1 CHECK (min_quantity >= 1),
  amount         bigint NOT NULL CHECK (amount >= 0),
  valid_from     timestamptz,
  valid_to       timestamptz,
  revision       bigint NOT NULL,
  PRIMARY KEY (price_list_id, sku, min_quantity),
  CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to)
);
CREATE INDEX prices_sku_idx ON prices (sku);

-- Every price change, kept forever: amount NULL records a removal.
CREATE TABLE price_history (
  id             bigserial PRIMARY KEY,
  price_list_id  text NOT NULL,
  sku            text NOT NULL,
  min_quantity   integer NOT NULL,
  amount         bigint,
  valid_from     timestamptz,
  valid_to       timestamptz,
  revision       bigint NOT NULL,
  changed_at     timestamptz NOT NULL,
  source         text NOT NULL
);
CREATE INDEX price_history_sku_idx ON price_history (sku, revision);

-- available = on_hand - reserved - safety_stock. The CHECKs make overselling impossible whatever the code does.
CREATE TABLE stock_levels (
  sku           text NOT NULL REFERENCES products (sku),
  location_id   text NOT NULL REFERENCES locations (id),
  on_hand       integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
  reserved      integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  safety_stock  integer NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
  revision      bigint NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (sku, location_id),
  CHECK (reserved <= on_hand)
);
CREATE INDEX stock_levels_location_idx ON stock_levels (location_id);

-- Append-only ledger: summing the deltas per (sku, location) re-derives every level.
CREATE TABLE stock_movements (
  id                  bigserial PRIMARY KEY,
  sku                 text NOT NULL,
  location_id         text NOT NULL,
  kind                text NOT NULL CHECK (kind IN ('RECEIPT', 'ADJUSTMENT', 'TRANSFER_OUT', 'TRANSFER_IN', 'RESERVATION', 'RELEASE', 'SALE', 'RETURN', 'COUNT', 'DISCREPANCY')),
  on_hand_delta       integer NOT NULL DEFAULT 0,
  reserved_delta      integer NOT NULL DEFAULT 0,
  safety_stock_delta  integer NOT NULL DEFAULT 0,
  reference           text,
  reason              text,
  revision            bigint NOT NULL,
  created_at          timestamptz NOT NULL
);
CREATE INDEX stock_movements_level_idx ON stock_movements (sku, location_id, id);

CREATE TABLE reservations (
  id          uuid PRIMARY KEY,
  status      text NOT NULL CHECK (status IN ('ACTIVE', 'COMMITTED', 'RELEASED', 'EXPIRED')),
  channel     text,
  expires_at  timestamptz NOT NULL,
  revision    bigint NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX reservations_active_expiry_idx ON reservations (expires_at) WHERE status = 'ACTIVE';

CREATE TABLE reservation_lines (
  reservation_id  uuid NOT NULL REFERENCES reservations (id),
  line_no         integer NOT NULL,
  sku             text NOT NULL,
  location_id     text NOT NULL,
  quantity        integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (reservation_id, line_no)
);

CREATE TABLE orders (
  id              uuid PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('ONLINE', 'STORE')),
  reservation_id  uuid UNIQUE REFERENCES reservations (id),
  location_id     text REFERENCES locations (id),
  customer_ref    text,
  channel         text,
  currency        char(3) NOT NULL,
  total_amount    bigint NOT NULL,
  revision        bigint NOT NULL,
  created_at      timestamptz NOT NULL
);

CREATE TABLE order_lines (
  order_id           uuid NOT NULL REFERENCES orders (id),
  line_no            integer NOT NULL,
  sku                text NOT NULL,
  location_id        text NOT NULL,
  quantity           integer NOT NULL CHECK (quantity > 0),
  unit_amount        bigint NOT NULL CHECK (unit_amount >= 0),
  line_amount        bigint NOT NULL CHECK (line_amount >= 0),
  returned_quantity  integer NOT NULL DEFAULT 0 CHECK (returned_quantity >= 0),
  PRIMARY KEY (order_id, line_no),
  CHECK (returned_quantity <= quantity)
);

CREATE TABLE returns (
  id           uuid PRIMARY KEY,
  order_id     uuid NOT NULL REFERENCES orders (id),
  location_id  text NOT NULL REFERENCES locations (id),
  refund_amount bigint NOT NULL,
  revision     bigint NOT NULL,
  created_at   timestamptz NOT NULL
);

CREATE TABLE return_lines (
  return_id  uuid NOT NULL REFERENCES returns (id),
  line_no    integer NOT NULL,
  sku        text NOT NULL,
  quantity   integer NOT NULL CHECK (quantity > 0),
  sellable   boolean NOT NULL,
  PRIMARY KEY (return_id, line_no)
);

-- One row per (scope, key); inserted in the same transaction as the work it guards, so a replay
-- either waits for the first execution to commit and returns its result, or runs it if it rolled back.
CREATE TABLE idempotency_keys (
  scope         text NOT NULL,
  key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  request_hash  text NOT NULL,
  response      jsonb NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);

-- Transactional outbox: written with the change it announces; `position` orders events within a revision.
CREATE TABLE outbox (
  position        bigserial PRIMARY KEY,
  id              uuid NOT NULL UNIQUE,
  revision        bigint NOT NULL,
  type            text NOT NULL,
  aggregate_type  text NOT NULL,
  aggregate_id    text NOT NULL,
  payload         jsonb NOT NULL,
  created_at      timestamptz NOT NULL,
  published_at    timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (position) WHERE published_at IS NULL;
CREATE INDEX outbox_revision_idx ON outbox (revision);

-- Consumers record each applied event id in the same transaction as its effect: an event takes effect once.
CREATE TABLE applied_events (
  consumer    text NOT NULL,
  event_id    uuid NOT NULL,
  revision    bigint NOT NULL,
  applied_at  timestamptz NOT NULL,
  PRIMARY KEY (consumer, event_id)
);

CREATE TABLE admin_keys (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  key_hash    text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);

CREATE TABLE imports (
  id              uuid PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('products', 'prices', 'stock')),
  format          text NOT NULL CHECK (format IN ('ndjson', 'csv')),
  status          text NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED', 'FAILED')),
  source          text NOT NULL,
  total_bytes     bigint,
  processed_bytes bigint NOT NULL DEFAULT 0,
  processed_rows  bigint NOT NULL DEFAULT 0,
  ok_rows         bigint NOT NULL DEFAULT 0,
  error_rows      bigint NOT NULL DEFAULT 0,
  errors          jsonb NOT NULL DEFAULT '[]'::jsonb,
  revision        bigint,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz
);

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL,
  actor       text NOT NULL,
  action      text NOT NULL,
  subject     text,
  revision    bigint,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
