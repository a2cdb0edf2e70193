-- SET NOT NULL scans the table under ACCESS EXCLUSIVE, and the old release may still write NULL.
-- pgstage plan: batched UPDATE, then a catch-up, CHECK NOT VALID, VALIDATE, SET NOT NULL in contract.
UPDATE users SET email = '' WHERE email IS NULL;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
