-- The release running during the deploy still reads legacy_flag.
-- pgstage plan: DROP NOT NULL now (the new release stops writing it), DROP COLUMN in contract.
ALTER TABLE users DROP COLUMN legacy_flag;
