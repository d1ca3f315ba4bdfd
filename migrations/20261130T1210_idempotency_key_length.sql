-- A client's idempotency key (1–200 characters, as every entrance checks) is stored under the client's id and
-- an operation's suffix (`<client id>:<key>[:reserve]`), which is longer than 200: such keys were refused by
-- this rule with a "data rule" error instead of being accepted. The column holds what the hub stores: up to 300.
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_key_check;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_key_check CHECK (length(key) BETWEEN 1 AND 300);
