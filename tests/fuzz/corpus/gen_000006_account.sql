-- why: alert address queue plan job audit token user token account customer payment session
UPDATE orders_25 SET version_price3 = 0 WHERE version_price3 IS NULL;

-- why: task tag note customer
ALTER TABLE products_320 DROP CONSTRAINT IF EXISTS count_tag40_chk;

CREATE TABLE IF NOT EXISTS subscriptions_153 (
  id bigserial PRIMARY KEY,
  updated_at_alert43 timestamp DEFAULT 0,
  version_price38 double precision REFERENCES orders_565 (id) ON DELETE CASCADE,
  ref_item16 varchar(64) NOT NULL UNIQUE,
  updated_at_post13 text[],
  kind_order20 bigserial NOT NULL REFERENCES tokens_935 (id) ON DELETE CASCADE,
  deleted_at_item15 text NOT NULL,
  code_subscription4 timestamp,
  CONSTRAINT subscriptions_153_chk CHECK (count_order33 > 0)
);

ALTER TABLE products_320 ADD CONSTRAINT flags_product25_fk FOREIGN KEY (flags_product25) REFERENCES events_927 (id);

CREATE UNIQUE INDEX IF NOT EXISTS idx_notes_534_61538 ON notes_534 (score_subscription1, id_post47) WHERE deleted_at IS NULL;

ALTER TABLE prices_106 ALTER COLUMN body_queue11 TYPE text, ADD COLUMN created_at_shipment11 jsonb UNIQUE;

