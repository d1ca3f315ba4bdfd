-- Delivery bookkeeping of the outbox: per consumer, the outbox position up to which every event is known to be
-- applied. The relay advances it and re-delivers anything published but still unapplied past a grace period
-- (Redis flushed or restarted without persistence), and it tells readers which revision a consumer has reached.
CREATE TABLE consumer_watermarks (
  consumer    text PRIMARY KEY,
  position    bigint NOT NULL DEFAULT 0,
  revision    bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL
);
