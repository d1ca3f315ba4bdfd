-- The customer journey (issue 13): what she did across channels (the timeline), what was corrected in her
-- profile and by whom (profile history), how she wants to be contacted (preferences), which segments she is
-- in and why, and who used her data for what. All of it is personal data: erasure deletes every row of it,
-- and the export carries it.

-- Consent with where it was given (a form, a till, a call) and an optional end.
ALTER TABLE consents ADD COLUMN source text CHECK (source IS NULL OR length(source) BETWEEN 1 AND 200);
ALTER TABLE consents ADD COLUMN expires_at timestamptz;
ALTER TABLE consent_history ADD COLUMN source text;
ALTER TABLE consent_history ADD COLUMN expires_at timestamptz;
CREATE INDEX consents_expires_idx ON consents (expires_at) WHERE expires_at IS NOT NULL AND granted;

-- Every interaction, from the hub's own events (source 'event:<event id>:<part>') or reported by a channel
-- (source 'client:<client id>:<idempotency key>'): the unique source makes each one land once.
CREATE TABLE customer_interactions (
  id           uuid PRIMARY KEY,
  customer_id  uuid NOT NULL REFERENCES customers (id),
  kind         text NOT NULL CHECK (kind IN ('PRODUCT_VIEWED', 'CART_UPDATED', 'WISHLIST_ADDED', 'STORE_VISIT',
                 'SERVICE_CONTACT', 'RESERVATION', 'ORDER_PLACED', 'STORE_SALE', 'FULFILMENT', 'RETURN', 'POINTS',
                 'TIER', 'CONSENT', 'PROFILE_CHANGED', 'NOTE')),
  channel      text NOT NULL,
  location_id  text,
  sku          text,
  order_id     uuid,
  summary      text NOT NULL CHECK (length(summary) BETWEEN 1 AND 500),
  note         text CHECK (note IS NULL OR length(note) BETWEEN 1 AND 2000),
  actor        text NOT NULL,
  source       text NOT NULL UNIQUE,
  occurred_at  timestamptz NOT NULL,
  revision     bigint NOT NULL
);
CREATE INDEX customer_interactions_timeline_idx ON customer_interactions (customer_id, occurred_at DESC, id DESC);
CREATE INDEX customer_interactions_age_idx ON customer_interactions (occurred_at);

-- Every correction of the profile: which field, the old and the new value, who, when, through which channel.
CREATE TABLE profile_changes (
  id           bigserial PRIMARY KEY,
  customer_id  uuid NOT NULL REFERENCES customers (id),
  field        text NOT NULL,
  old_value    text,
  new_value    text,
  channel      text NOT NULL,
  actor        text NOT NULL,
  changed_at   timestamptz NOT NULL,
  revision     bigint NOT NULL
);
CREATE INDEX profile_changes_customer_idx ON profile_changes (customer_id, id);

-- Contact preferences per contact channel: the topics she wants there and how often at most.
CREATE TABLE contact_preferences (
  customer_id   uuid NOT NULL REFERENCES customers (id),
  channel       text NOT NULL CHECK (channel IN ('EMAIL', 'SMS', 'PUSH', 'POST')),
  topics        text[] NOT NULL,
  max_per_week  integer CHECK (max_per_week IS NULL OR max_per_week BETWEEN 0 AND 100),
  source        text NOT NULL,
  changed_at    timestamptz NOT NULL,
  PRIMARY KEY (customer_id, channel)
);

-- Segments staff define (rules) and the RFM segments, as zod-validated documents.
CREATE TABLE segment_definitions (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  kind        text NOT NULL CHECK (kind IN ('RFM', 'RULE')),
  definition  jsonb NOT NULL,
  status      text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'ARCHIVED')),
  revision    bigint NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- Computed membership: since when and why. Only for profiles with the PROFILING consent.
CREATE TABLE segment_memberships (
  customer_id  uuid NOT NULL REFERENCES customers (id),
  segment_id   text NOT NULL REFERENCES segment_definitions (id),
  since        timestamptz NOT NULL,
  reason       text NOT NULL,
  computed_at  timestamptz NOT NULL,
  revision     bigint NOT NULL,
  PRIMARY KEY (customer_id, segment_id)
);
CREATE INDEX segment_memberships_segment_idx ON segment_memberships (segment_id);

-- Who read or used her data, when, through which channel, for which purpose.
CREATE TABLE customer_data_use (
  id           bigserial PRIMARY KEY,
  customer_id  uuid NOT NULL REFERENCES customers (id),
  at           timestamptz NOT NULL,
  actor        text NOT NULL,
  channel      text NOT NULL,
  purpose      text NOT NULL,
  what         text NOT NULL
);
CREATE INDEX customer_data_use_customer_idx ON customer_data_use (customer_id, id);
CREATE INDEX customer_data_use_age_idx ON customer_data_use (at);

-- A merge keeps what it moved, so staff can undo it within 30 days.
ALTER TABLE customer_merges ADD COLUMN journal jsonb;
ALTER TABLE customer_merges ADD COLUMN actor text;
ALTER TABLE customer_merges ADD COLUMN undone_at timestamptz;
ALTER TABLE customer_merges ADD COLUMN undone_by text;
