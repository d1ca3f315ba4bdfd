-- A channel client's market: the ISO 4217 currency its quotes, offers and orders are priced in (the price
-- lists in that currency serve it). NULL: the hub's default (OMNIHUB_DEFAULT_CURRENCY), so clients issued
-- before this column keep being priced as they were.
ALTER TABLE channel_clients
  ADD COLUMN currency char(3) CHECK (currency ~ '^[A-Z]{3}$');
