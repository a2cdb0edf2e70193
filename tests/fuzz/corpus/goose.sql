-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
-- +goose StatementEnd
ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;
-- +goose Down
DROP TABLE t;
