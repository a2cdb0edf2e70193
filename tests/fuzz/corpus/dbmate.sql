-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY i ON t (a);
-- migrate:down
DROP INDEX i;
