CREATE VIEW v_951 AS SELECT * FROM events_927 WHERE id > 10;

ALTER TABLE items_372 RENAME COLUMN status_metric20 TO amount_invoice42;

CREATE UNIQUE INDEX IF NOT EXISTS idx_tasks_910_82720 ON tasks_910 (score_session33) WHERE deleted_at IS NULL;

ALTER TABLE items_372 ADD COLUMN IF NOT EXISTS created_at_tag37 integer;

