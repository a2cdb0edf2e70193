-- Each of these breaks the running release or stalls its traffic.
ALTER TABLE users ADD COLUMN country text NOT NULL;
ALTER TABLE orders ALTER COLUMN total TYPE bigint;
ALTER TABLE orders ALTER COLUMN note SET NOT NULL;
CREATE INDEX orders_total_idx ON orders (total);
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0);
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE orders DROP COLUMN note;
