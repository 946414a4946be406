-- The unsafe change this example is about: a rename breaks every running instance of the
-- old code, and an index built with the table copy algorithm blocks writes to orders.
ALTER TABLE users RENAME COLUMN name TO full_name;
ALTER TABLE orders ADD INDEX orders_created_at_idx (created_at), ALGORITHM=COPY;
