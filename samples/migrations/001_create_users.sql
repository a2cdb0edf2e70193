-- The schema the application starts with.
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  email varchar(50) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL,
  total numeric(10, 2) NOT NULL,
  note text
);

CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);
