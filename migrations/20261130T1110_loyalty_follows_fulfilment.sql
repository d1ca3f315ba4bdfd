-- Loyalty and coupons follow the order's fulfilment (issue 12). Both tables are the journey layer's.
--
-- What an order used of each promotion, written with the order (redeemAtCommit): its coupon code when it took
-- one, and the discount it gave (minor units of the order's currency), which is what the promotion's budget
-- spent on it. When the order is cancelled (every fulfilment cancelled or uncollected) the coupon use and the
-- spend are given back once, and given_back_at says when.
CREATE TABLE order_promotion_use (
  order_id      uuid NOT NULL REFERENCES orders (id),
  promotion_id  text NOT NULL REFERENCES promotions (id),
  code          text REFERENCES coupons (code),
  amount        bigint NOT NULL CHECK (amount >= 0),
  revision      bigint NOT NULL,
  used_at       timestamptz NOT NULL,
  given_back_at timestamptz,
  PRIMARY KEY (order_id, promotion_id)
);
-- Orders placed before this table: their coupon use is known from the redemptions (one code per promotion and
-- order), so cancelling one gives its coupon and that promotion's spend back. What such an order spent of a
-- promotion without a code was not recorded per order and stays spent.
INSERT INTO order_promotion_use (order_id, promotion_id, code, amount, revision, used_at)
SELECT r.order_id, c.promotion_id, r.code, r.amount, r.revision, r.redeemed_at
FROM coupon_redemptions r JOIN coupons c ON c.code = r.code
ON CONFLICT (order_id, promotion_id) DO NOTHING;

-- The points an online order's fulfilment earned when the customer got its goods (DELIVERED or COLLECTED),
-- once per fulfilment, and the amount they were earned on: what was paid for its lines (minor units of the
-- order's currency). A row is written also when the amount earns no point, so the next fulfilment of the order
-- counts from the right cumulative amount and returns know what the points were earned on.
CREATE TABLE fulfilment_points (
  fulfilment_id uuid PRIMARY KEY REFERENCES fulfilments (id),
  order_id      uuid NOT NULL REFERENCES orders (id),
  amount        bigint NOT NULL CHECK (amount >= 0),
  points        integer NOT NULL CHECK (points >= 0),
  earned_at     timestamptz NOT NULL
);
CREATE INDEX fulfilment_points_order_idx ON fulfilment_points (order_id);
