-- New code writes a status; old code does not know the column, so it must be nullable
-- (with a default for rows the old code inserts).
ALTER TABLE orders ADD COLUMN status text DEFAULT 'placed';
