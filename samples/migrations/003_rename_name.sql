-- Renaming a column breaks the release that still reads users.name during the deploy.
ALTER TABLE users RENAME COLUMN name TO full_name;
