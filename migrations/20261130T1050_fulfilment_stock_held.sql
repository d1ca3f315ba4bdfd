-- A fulfilment holds its units reserved at its location from placement until they leave (committed at shipment
-- or collection) or come back (released at cancellation or when uncollected): issue 12, "Stock moves with it".
-- Fulfilments written before this change belong to orders whose units were sold at placement: they hold
-- nothing, so moving them moves no stock. New fulfilments hold their units (the default).
ALTER TABLE fulfilments ADD COLUMN stock_held boolean NOT NULL DEFAULT false;
ALTER TABLE fulfilments ALTER COLUMN stock_held SET DEFAULT true;
