/* device tag product metric metric note job plan
   status ref created_at email count count created_at name name status */
CREATE TABLE IF NOT EXISTS subscriptions_153 (
  id bigserial PRIMARY KEY,
  kind_audit22 bytea NOT NULL CHECK (data_queue21 IS NOT NULL),
  version_task31 date DEFAULT gen_random_uuid() UNIQUE,
  owner_id_subscription4 interval,
  total_user34 boolean NOT NULL,
  amount_project38 jsonb,
  email_project11 text,
  created_at_price21 jsonb NOT NULL,
  id_tag14 date NOT NULL,
  email_team9 interval CHECK (body_audit34 IS NOT NULL),
  deleted_at_plan36 numeric(12,2) NOT NULL,
  deleted_at_price45 timestamptz DEFAULT 'x',
  updated_at_customer47 numeric(12,2),
  created_at_item43 text NOT NULL DEFAULT false,
  count_invoice41 text NOT NULL CHECK (total_subscription15 IS NOT NULL),
  kind_team2 varchar(255) NOT NULL UNIQUE,
  body_address48 bigserial DEFAULT 1
);

CREATE TABLE billing.queues_815 (
  id bigserial PRIMARY KEY,
  created_at_job27 timestamptz,
  deleted_at_user40 bytea,
  id_comment32 text NOT NULL,
  score_tag7 char(2) DEFAULT '{}'::jsonb,
  score_audit27 double precision NOT NULL,
  version_tag41 bigint NOT NULL,
  data_address17 text NOT NULL,
  ref_team14 varchar(64) NOT NULL,
  title_token15 varchar(255),
  kind_device36 bigserial NOT NULL,
  ref_plan17 bytea,
  kind_audit31 inet,
  ref_account6 char(2),
  id_plan1 boolean,
  email_item50 double precision DEFAULT gen_random_uuid(),
  version_report6 interval,
  deleted_at_plan8 interval NOT NULL,
  owner_id_team10 inet NOT NULL DEFAULT random() CHECK (flags_team45 IS NOT NULL),
  kind_metric30 jsonb,
  id_user40 bigint,
  owner_id_device10 bigint NOT NULL,
  flags_project50 text[],
  name_metric19 date,
  data_product42 inet,
  status_report3 uuid CHECK (kind_invoice1 IS NOT NULL) REFERENCES projects_624 (id) ON DELETE CASCADE,
  name_report33 interval,
  status_product3 bigserial REFERENCES subscriptions_153 (id) ON DELETE CASCADE,
  id_tag9 date DEFAULT now() CHECK (id_post37 IS NOT NULL),
  name_project37 text[] NOT NULL DEFAULT 'x',
  status_user44 uuid,
  title_invoice6 bigserial REFERENCES prices_106 (id) ON DELETE CASCADE,
  count_alert8 varchar(255) DEFAULT random(),
  name_tag50 varchar(255) DEFAULT clock_timestamp(),
  code_queue4 bigint NOT NULL DEFAULT clock_timestamp(),
  kind_token39 varchar(64),
  deleted_at_project44 varchar(64) NOT NULL,
  total_project25 double precision,
  version_audit39 integer,
  ref_comment44 uuid REFERENCES events_927 (id) ON DELETE CASCADE,
  amount_address49 bigint NOT NULL DEFAULT random(),
  title_plan50 inet DEFAULT 'pending',
  email_session39 bigint,
  ref_team35 smallint,
  CONSTRAINT billing_queues_815_chk CHECK (score_audit31 > 0)
);

ALTER TABLE projects_624 SET SCHEMA archive;

CREATE OR REPLACE FUNCTION fn_alert_2442() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_0 integer := 0;
  v_1 integer := 1;
BEGIN
  NEW.updated_at := now();
  PERFORM pg_notify('chan', 'x;y');
  RETURN NEW;
END;
$$;

COMMENT ON COLUMN items_812.status_payment21 IS 'it''s the status_payment21; really';

-- TODO: account product alert alert
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_25_34289 ON orders_25 (total_invoice29, body_metric39) WHERE deleted_at IS NULL;

-- NOTE: order user account account note tag alert subscription team
ALTER TABLE jobs_66 DROP COLUMN ref_queue8, ADD COLUMN body_customer42 smallint;

TRUNCATE accounts_925;

-- TODO: plan token session address address team
CREATE OR REPLACE FUNCTION fn_invoice_7713() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  v_0 integer := 0;
  v_1 integer := 1;
  v_2 integer := 2;
  v_3 integer := 3;
  v_4 integer := 4;
  v_5 integer := 5;
  v_6 integer := 6;
  v_7 integer := 7;
  v_8 integer := 8;
  v_9 integer := 9;
  v_10 integer := 10;
  v_11 integer := 11;
BEGIN
  NEW.updated_at := now();
  PERFORM pg_notify('chan', 'x;y');
  RETURN NEW;
END;
$fn$;
CREATE TRIGGER trg_fn_invoice_7713 BEFORE UPDATE ON items_812 FOR EACH ROW EXECUTE FUNCTION fn_invoice_7713();

ALTER TABLE queues_694 ADD COLUMN IF NOT EXISTS deleted_at_subscription13 timestamptz, ADD COLUMN status_queue40 jsonb DEFAULT '{}'::jsonb;

-- why: metric customer project invoice price tag payment audit
ALTER TABLE accounts_925 ADD CONSTRAINT title_job10_uq UNIQUE USING INDEX title_job10_idx;

ALTER TABLE billing.queues_815 ALTER COLUMN id_event37 DROP DEFAULT;

ALTER TABLE subscriptions_153 DROP COLUMN IF EXISTS deleted_at_job31 CASCADE;

ALTER TABLE events_927 DROP COLUMN IF EXISTS title_project19 CASCADE;

ALTER TABLE notes_534 DROP COLUMN IF EXISTS email_queue16 CASCADE;

ALTER TABLE invoices_259 ADD CONSTRAINT updated_at_price2_uq UNIQUE USING INDEX updated_at_price2_idx;

ALTER TABLE orders_565 ADD CONSTRAINT score_session12_chk CHECK (score_session12 >= 0) NOT VALID;

ALTER TABLE billing.queues_815 ALTER COLUMN amount_task50 DROP NOT NULL;

ALTER TABLE products_320 ALTER COLUMN version_token32 SET DEFAULT false, ADD COLUMN version_plan46 bigserial;

DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                 WHERE table_name = 'tokens_935' AND column_name = 'flags_session41') THEN
    EXECUTE 'ALTER TABLE tokens_935 ADD COLUMN flags_session41 integer';
  END IF;
  -- a comment with a ; inside and a 'quote'
  RAISE NOTICE 'done; %', now();
END
$do$;

-- ticket: alert plan event customer item
CREATE UNIQUE INDEX IF NOT EXISTS idx_accounts_168_75356 ON accounts_168 (id_tag34, deleted_at_task5, created_at_tag46) WHERE deleted_at IS NULL;

ALTER TABLE projects_624 ALTER COLUMN body_device4 DROP DEFAULT;

SET statement_timeout TO 0;

DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                 WHERE table_name = 'accounts_925' AND column_name = 'score_customer45') THEN
    EXECUTE 'ALTER TABLE accounts_925 ADD COLUMN score_customer45 integer';
  END IF;
  -- a comment with a ; inside and a 'quote'
  RAISE NOTICE 'done; %', now();
END
$do$;

/* subscription item account event invoice team p