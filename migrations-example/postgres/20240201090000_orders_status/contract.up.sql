-- After the rollout (and the backfill of old rows): NOT NULL without a long ACCESS EXCLUSIVE scan.
ALTER TABLE orders ADD CONSTRAINT orders_status_not_null CHECK (status IS NOT NULL) NOT VALID;
