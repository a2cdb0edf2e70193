-- Release v2 reads and writes users.full_name. Written as a plain rename; pgstage apply stages it:
-- expand + backfill before v2 starts (v1 keeps working), contract before v3.
ALTER TABLE users RENAME COLUMN name TO full_name;
