-- Every scheduled switch committed (a price, promotion or coupon window edge, a recurring rule's edge): the latest
-- one bounds the instant answers are evaluated at, so an answer's revision determines which side of an edge it is on.
CREATE TABLE schedule_switches (
  at         timestamptz PRIMARY KEY,
  revision   bigint NOT NULL,
  created_at timestamptz NOT NULL
);
