-- NOT NULL without a default: the old release's INSERTs fail, and so does the ALTER on a non-empty table.
-- The annotation says what existing rows (and rows the old release writes) get:
-- pgstage:fill 'free'
ALTER TABLE users ADD COLUMN plan text NOT NULL;
