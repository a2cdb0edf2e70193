-- Safe on a live system: nullable column, non-volatile default (no rewrite on PG 11+),
-- binary-coercible type widening, concurrent index, NOT VALID foreign key.
ALTER TABLE users ADD COLUMN last_seen_at timestamptz DEFAULT now();
ALTER TABLE users ALTER COLUMN email TYPE varchar(255);
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
