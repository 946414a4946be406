-- New code writes a status; old code does not know the column, so it must be nullable
-- (with a default for rows the old code inserts). INSTANT: metadata only.
ALTER TABLE orders ADD COLUMN status VARCHAR(32) NULL DEFAULT 'placed', ALGORITHM=INSTANT;
