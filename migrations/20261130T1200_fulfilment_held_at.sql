-- Where a fulfilment's held units are now (issue 12, click & collect by transfer): a pickup whose units come
-- from a warehouse holds them there until the transfer arrives; when it is READY_FOR_PICKUP at the store, the
-- units are in the store, held there (ledger TRANSFER_OUT / TRANSFER_IN), so collecting commits them at the
-- store and a lapsed pickup gives them back to the store's shelf, not to a warehouse they left. Null: where
-- `location_id` says (every fulfilment but an arrived transfer).
ALTER TABLE fulfilments ADD COLUMN held_at text REFERENCES locations (id);
