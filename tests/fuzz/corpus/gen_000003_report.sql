CREATE TABLE prices_106 (
  id bigserial PRIMARY KEY,
  total_order42 bigint,
  status_event40 smallint NOT NULL,
  updated_at_post30 serial DEFAULT 'pending',
  kind_session18 char(2) NOT NULL DEFAULT now(),
  updated_at_session38 boolean,
  created_at_price30 bigint NOT NULL,
  name_job19 timestamptz NOT NULL DEFAULT random(),
  amount_team39 timestamp UNIQUE,
  data_product3 jsonb DEFAULT now() UNIQUE,
  id_metric21 bytea DEFAULT now() CHECK (owner_id_note31 IS NOT NULL),
  created_at_report26 interval NOT NULL,
  kind_plan20 bytea,
  data_price13 uuid DEFAULT 0,
  status_comment37 jsonb DEFAULT 0,
  ref_order37 serial,
  amount_queue5 text,
  name_queue31 numeric(12,2) NOT NULL,
  amount_price15 serial
);

CREATE TABLE prices_106 (
  id bigserial PRIMARY KEY,
  title_metric49 bigint,
  kind_price27 date,
  id_user40 inet,
  owner_id_comment7 smallint NOT NULL,
  name_account41 varchar(255) NOT NULL
);

