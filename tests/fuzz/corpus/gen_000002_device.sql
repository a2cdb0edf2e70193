CREATE INDEX idx_orders_565_5487 ON orders_565 (lower(id_price35), (email_project17->>'k'));

/* token queue task job note order plan task
   status owner_id code status code email count email deleted_at owner_id */
INSERT INTO prices_106 (name_shipment41) VALUES ('v0'), ('v1'), ('v2'), ('v3'), ('v4');

ALTER TABLE prices_106 ADD COLUMN owner_id_event44 text;

CREATE TABLE IF NOT EXISTS products_320 (
  id bigserial PRIMARY KEY,
  id_session30 smallint,
  count_order38 smallint NOT NULL,
  score_event8 jsonb NOT NULL CHECK (id_project44 IS NOT NULL),
  kind_token10 bytea CHECK (flags_metric26 IS NOT NULL),
  count_subscription1 date NOT NULL DEFAULT gen_random_uuid(),
  total_device18 bigint NOT NULL DEFAULT clock_timestamp(),
  code_post33 numeric(12,2) NOT NULL,
  ref_queue36 interval NOT NULL DEFAULT 1,
  kind_project4 interval NOT NULL,
  code_comment42 timestamptz,
  count_task32 interval NOT NULL,
  count_customer6 varchar(64) DEFAULT true,
  id_token27 uuid,
  code_address24 varchar(255),
  email_comment26 bigserial REFERENCES products_320 (id) ON DELETE CASCADE,
  owner_id_address32 integer NOT NULL,
  deleted_at_customer7 timestamptz NOT NULL,
  deleted_at_order36 bigint NOT NULL DEFAULT random(),
  updated_at_price17 text[],
  body_product25 timestamp NOT NULL UNIQUE,
  flags_price16 inet UNIQUE,
  name_user13 inet,
  data_customer32 bigint REFERENCES products_320 (id) ON DELETE CASCADE,
  status_product32 boolean,
  kind_invoice40 inet,
  version_payment26 bigint NOT NULL,
  ref_team46 numeric(12,2),
  score_token30 bigint,
  created_at_user6 timestamp NOT NULL,
  ref_tag50 date UNIQUE,
  deleted_at_product21 jsonb,
  ref_account25 bigint,
  version_audit24 timestamp UNIQUE
);

CREATE INDEX idx_orders_25_14059 ON orders_25 (lower(owner_id_item1), (kind_metric45->>'k'));

