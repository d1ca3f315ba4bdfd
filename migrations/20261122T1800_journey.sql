-- Journey layer: one customer profile across channels, consents, the loyalty programme and points ledger,
-- promotions and coupons. Personal data lives only in customers, customer_identifiers and
-- customer_attributes, so erasure has exactly three places to clear; ledgers and redemptions refer to the
-- customer by id only, and keep their totals when the person is erased.

CREATE TABLE customers (
  id            uuid PRIMARY KEY,
  status        text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'MERGED', 'ERASED')),
  display_name  text CHECK (display_name IS NULL OR length(display_name) BETWEEN 1 AND 200),
  merged_into   uuid REFERENCES customers (id),
  first_order_at timestamptz,
  revision      bigint NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  erased_at     timestamptz,
  CHECK ((status = 'MERGED') = (merged_into IS NOT NULL))
);

-- Normalised identifiers (e-mail lower-cased, phone E.164): unique across every profile.
CREATE TABLE customer_identifiers (
  kind         text NOT NULL CHECK (kind IN ('EMAIL', 'PHONE', 'LOYALTY_CARD', 'APP_ACCOUNT')),
  value        text NOT NULL CHECK (length(value) BETWEEN 1 AND 320),
  customer_id  uuid NOT NULL REFERENCES customers (id),
  channel      text NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (kind, value)
);
CREATE INDEX customer_identifiers_customer_idx ON customer_identifiers (customer_id);

-- Facts used by rules (birthday, home store, segments…), each with the channel it came from.
CREATE TABLE customer_attributes (
  customer_id  uuid NOT NULL REFERENCES customers (id),
  name         text NOT NULL CHECK (name ~ '^[a-z][a-zA-Z0-9_]{0,39}$'),
  value        jsonb NOT NULL,
  channel      text NOT NULL,
  changed_at   timestamptz NOT NULL,
  PRIMARY KEY (customer_id, name)
);

-- Current consent per purpose, plus every change (time and channel) in consent_history.
CREATE TABLE consents (
  customer_id  uuid NOT NULL REFERENCES customers (id),
  purpose      text NOT NULL CHECK (purpose IN ('EMAIL_MARKETING', 'PERSONALISATION', 'PROFILING')),
  granted      boolean NOT NULL,
  channel      text NOT NULL,
  changed_at   timestamptz NOT NULL,
  PRIMARY KEY (customer_id, purpose)
);
CREATE TABLE consent_history (
  id           bigserial PRIMARY KEY,
  customer_id  uuid NOT NULL REFERENCES customers (id),
  purpose      text NOT NULL,
  granted      boolean NOT NULL,
  channel      text NOT NULL,
  changed_at   timestamptz NOT NULL,
  revision     bigint NOT NULL
);
CREATE INDEX consent_history_customer_idx ON consent_history (customer_id, id);

CREATE TABLE customer_merges (
  id           bigserial PRIMARY KEY,
  from_id      uuid NOT NULL REFERENCES customers (id),
  into_id      uuid NOT NULL REFERENCES customers (id),
  channel      text NOT NULL,
  revision     bigint NOT NULL,
  merged_at    timestamptz NOT NULL
);

-- The loyalty programme (tiers, thresholds, benefits) is data, validated by the journey layer's zod schema.
CREATE TABLE loyalty_programs (
  id          text PRIMARY KEY,
  definition  jsonb NOT NULL,
  revision    bigint NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- One account per member: the balance is the sum of the ledger and can never go below zero.
CREATE TABLE loyalty_accounts (
  customer_id  uuid PRIMARY KEY REFERENCES customers (id),
  balance      integer NOT NULL DEFAULT 0 CHECK (balance >= 0),
  tier         text NOT NULL,
  revision     bigint NOT NULL,
  updated_at   timestamptz NOT NULL
);

-- Append-only points ledger. An order earns once and a return reverses once, however often the event comes.
CREATE TABLE loyalty_ledger (
  id           bigserial PRIMARY KEY,
  customer_id  uuid NOT NULL REFERENCES customers (id),
  kind         text NOT NULL CHECK (kind IN ('EARN', 'REVERSE', 'REDEEM', 'EXPIRE', 'ADJUST', 'MERGE')),
  points       integer NOT NULL,
  reference    text,
  reason       text,
  earned_at    timestamptz NOT NULL,
  expires_at   timestamptz,
  revision     bigint NOT NULL
);
CREATE INDEX loyalty_ledger_customer_idx ON loyalty_ledger (customer_id, id);
CREATE UNIQUE INDEX loyalty_ledger_once_idx ON loyalty_ledger (kind, reference) WHERE kind IN ('EARN', 'REVERSE', 'EXPIRE') AND reference IS NOT NULL;

-- Promotions are rule documents (zod-validated); status and window are columns so the scheduler can find them.
CREATE TABLE promotions (
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  definition    jsonb NOT NULL,
  status        text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PAUSED', 'ARCHIVED')),
  valid_from    timestamptz,
  valid_to      timestamptz,
  budget_amount bigint CHECK (budget_amount IS NULL OR budget_amount >= 0),
  budget_spent  bigint NOT NULL DEFAULT 0 CHECK (budget_spent >= 0),
  revision      bigint NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to),
  CHECK (budget_amount IS NULL OR budget_spent <= budget_amount)
);
CREATE INDEX promotions_valid_from_idx ON promotions (valid_from) WHERE valid_from IS NOT NULL;
CREATE INDEX promotions_valid_to_idx ON promotions (valid_to) WHERE valid_to IS NOT NULL;

-- Coupon codes (upper-cased); limits are counted at order commit by a conditional UPDATE, never at quote.
CREATE TABLE coupons (
  code               text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{2,39}$'),
  promotion_id       text NOT NULL REFERENCES promotions (id),
  batch_id           text,
  usage_limit        integer CHECK (usage_limit IS NULL OR usage_limit >= 1),
  per_customer_limit integer CHECK (per_customer_limit IS NULL OR per_customer_limit >= 1),
  used_count         integer NOT NULL DEFAULT 0 CHECK (used_count >= 0),
  valid_from         timestamptz,
  valid_to           timestamptz,
  revision           bigint NOT NULL,
  created_at         timestamptz NOT NULL,
  CHECK (usage_limit IS NULL OR used_count <= usage_limit)
);
CREATE INDEX coupons_promotion_idx ON coupons (promotion_id);

CREATE TABLE coupon_redemptions (
  id           bigserial PRIMARY KEY,
  code         text NOT NULL REFERENCES coupons (code),
  customer_id  uuid REFERENCES customers (id),
  order_id     uuid NOT NULL,
  amount       bigint NOT NULL CHECK (amount >= 0),
  revision     bigint NOT NULL,
  redeemed_at  timestamptz NOT NULL,
  UNIQUE (code, order_id)
);
CREATE INDEX coupon_redemptions_customer_idx ON coupon_redemptions (code, customer_id);
