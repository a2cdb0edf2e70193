BEGIN;
SET lock_timeout = 1;
DO $do$ BEGIN EXECUTE $$ALTER TABLE t ADD COLUMN x int$$; END $do$;
COMMIT;
-- pgstage:ignore adding-required-column -- reason
ALTER TABLE t ADD COLUMN y int NOT NULL;
CREATE TYPE e AS ENUM ('a'); ALTER TYPE e ADD VALUE 'b';
