-- Placement with sourcing and the delivery promise (issue 12). An order keeps what checkout promised and why its
-- units come from where they do; a click & collect fulfilment names the store the customer collects at.
-- `promised`: the DeliveryPromise list at placement (JSON, instants as ISO 8601 strings), [] when nothing was
-- promised (an order placed without a fulfilment request, or from locations without fulfilment settings).
-- `sourcing`: the hub's reason per SKU and location when it chose the locations; NULL when the order named
-- them (a reservation or a location).
ALTER TABLE orders
  ADD COLUMN promised jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(promised) = 'array'),
  ADD COLUMN sourcing jsonb CHECK (sourcing IS NULL OR jsonb_typeof(sourcing) = 'array');

-- A PICKUP fulfilment's `location_id` stays the location whose units it holds (where they are committed);
-- `pickup_location_id` is the store the customer collects at: the same store for its own stock, another for
-- a transfer from a warehouse. A delivery has none. NULL on a PICKUP written without it: collected where held.
ALTER TABLE fulfilments
  ADD COLUMN pickup_location_id text REFERENCES locations (id),
  ADD CONSTRAINT fulfilments_pickup_location_check CHECK (pickup_location_id IS NULL OR method = 'PICKUP');
CREATE INDEX fulfilments_pickup_location_idx ON fulfilments (pickup_location_id, order_id)
  WHERE pickup_location_id IS NOT NULL;
