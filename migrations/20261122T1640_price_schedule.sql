-- Finding the next instant a price or price list switches on or off must not scan every price row.
CREATE INDEX prices_valid_from_idx ON prices (valid_from) WHERE valid_from IS NOT NULL;
CREATE INDEX prices_valid_to_idx ON prices (valid_to) WHERE valid_to IS NOT NULL;
