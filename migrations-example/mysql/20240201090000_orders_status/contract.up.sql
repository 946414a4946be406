-- After the rollout (and the backfill of old rows): old code no longer inserts without a status.
ALTER TABLE orders ADD CONSTRAINT orders_status_not_null CHECK (status IS NOT NULL);
