-- Retention: idempotency records are pruned by age.
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
