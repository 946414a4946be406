-- Orders reference their user; the index serves the foreign key and "my orders" pages.
CREATE TABLE orders (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     BIGINT       NOT NULL,
    total_cents BIGINT       NOT NULL CHECK (total_cents >= 0),
    created_at  TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY orders_user_id_idx (user_id),
    CONSTRAINT orders_user_id_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
