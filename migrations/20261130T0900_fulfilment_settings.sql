-- Fulfilment configuration (issue 12): what the delivery promise and sourcing read.
-- A location's fulfilment settings as validated by FulfilmentSettingsSchema (time zone, cut-off, handling
-- days, opening hours, holidays, ships from store, pickup, pickup hold days). NULL: none declared, the
-- location promises nothing.
ALTER TABLE locations
  ADD COLUMN fulfilment jsonb CHECK (fulfilment IS NULL OR jsonb_typeof(fulfilment) = 'object');

-- Carrier transit for the postcodes of one country (ShippingZoneSchema), each change at its revision.
CREATE TABLE shipping_zones (
  id                 text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  country_code       char(2) NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
  postcode_prefixes  text[] NOT NULL,
  transit_days       integer NOT NULL CHECK (transit_days BETWEEN 0 AND 30),
  carrier_holidays   text[] NOT NULL DEFAULT '{}',
  revision           bigint NOT NULL,
  updated_at         timestamptz NOT NULL
);
CREATE INDEX shipping_zones_country_idx ON shipping_zones (country_code);

-- The retailer's sourcing rules (SourcingRulesSchema): one row at most, keyed by the constant `id` true.
CREATE TABLE sourcing_rules (
  id          boolean PRIMARY KEY DEFAULT true CHECK (id),
  definition  jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
  revision    bigint NOT NULL,
  updated_at  timestamptz NOT NULL
);
