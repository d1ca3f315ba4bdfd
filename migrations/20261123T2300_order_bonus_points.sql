-- Points a promotion promised on an order (extra-points actions), recorded in the order's own transaction, so the
-- points earned when the sale event is applied equal the points the quote showed.
CREATE TABLE order_bonus_points (
  order_id    uuid PRIMARY KEY REFERENCES orders (id),
  points      integer NOT NULL CHECK (points > 0),
  created_at  timestamptz NOT NULL
);
