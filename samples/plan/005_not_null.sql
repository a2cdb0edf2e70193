-- SET NOT NULL scans the table under ACCESS EXCLUSIVE, and the old release may still write NULL.
-- pgstage plan: the UPDATE runs as written (lint finds nothing wrong with it), then in contract it runs
-- again in batches for the NULLs the old release wrote since, and CHECK NOT VALID, VALIDATE, SET NOT NULL.
UPDATE users SET email = '' WHERE email IS NULL;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
