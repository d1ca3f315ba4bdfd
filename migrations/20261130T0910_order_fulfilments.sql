-- Orders get a status, fulfilments and a history (issue 12, "Order lifecycle"). A fulfilment is one shipment
-- or pickup of an order from one location; its lines say which units it carries. order_events is the order's
-- history: every status an order or one of its fulfilments reached, who caused it and through which channel.
-- Existing orders: an online order is OPEN (nothing recorded its shipment), a store sale FULFILLED (a till
-- sale is handed over at once). New orders get their status from placement (insert-order.ts).
ALTER TABLE orders
  ADD COLUMN status text NOT NULL DEFAULT 'OPEN'
    CHECK (status IN ('OPEN', 'PARTIALLY_FULFILLED', 'FULFILLED', 'CANCELLED'));
UPDATE orders SET status = 'FULFILLED' WHERE kind = 'STORE';
-- The admin list: newest first, by status or customer.
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_customer_idx ON orders (customer_ref, created_at DESC, id DESC);

CREATE TABLE fulfilments (
  id             uuid PRIMARY KEY,
  order_id       uuid NOT NULL REFERENCES orders (id),
  location_id    text NOT NULL REFERENCES locations (id),
  method         text NOT NULL CHECK (method IN ('DELIVERY', 'PICKUP')),
  status         text NOT NULL CHECK (status IN ('PENDING', 'PICKING', 'PACKED', 'SHIPPED', 'DELIVERED',
                   'READY_FOR_PICKUP', 'COLLECTED', 'UNCOLLECTED', 'CANCELLED')),
  tracking_code  text CHECK (tracking_code <> ''),
  ready_by       timestamptz,
  deliver_by     timestamptz,
  revision       bigint NOT NULL,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);
CREATE INDEX fulfilments_order_idx ON fulfilments (order_id);
CREATE INDEX fulfilments_location_idx ON fulfilments (location_id, order_id);

CREATE TABLE fulfilment_lines (
  fulfilment_id  uuid NOT NULL REFERENCES fulfilments (id),
  sku            text NOT NULL,
  quantity       integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (fulfilment_id, sku)
);

CREATE TABLE order_events (
  id             bigserial PRIMARY KEY,
  order_id       uuid NOT NULL REFERENCES orders (id),
  fulfilment_id  uuid REFERENCES fulfilments (id),
  at             timestamptz NOT NULL,
  status         text NOT NULL CHECK (status <> ''),
  actor          text NOT NULL CHECK (actor <> ''),
  channel        text NOT NULL CHECK (channel <> ''),
  reason         text
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);
