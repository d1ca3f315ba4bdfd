-- Admin key rotation: a rotated key keeps working until expires_at (its grace period), then is refused; the key that
-- replaced it names it in rotated_from. A key with no expires_at works until it is revoked.
ALTER TABLE admin_keys
  ADD COLUMN expires_at   timestamptz,
  ADD COLUMN rotated_from uuid REFERENCES admin_keys (id);
