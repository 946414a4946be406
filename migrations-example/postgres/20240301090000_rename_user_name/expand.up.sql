-- The unsafe change this example is about: a rename breaks every running instance of the
-- old code, and a plain CREATE INDEX blocks writes to orders for the whole build.
ALTER TABLE users RENAME COLUMN name TO full_name;
CREATE INDEX orders_created_at_idx ON orders (created_at);
