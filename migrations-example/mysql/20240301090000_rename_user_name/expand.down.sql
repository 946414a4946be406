ALTER TABLE orders DROP INDEX orders_created_at_idx;
ALTER TABLE users RENAME COLUMN full_name TO name;
