-- The statements of the sample app's release v1 (samples/app/main.cpp), for `pgstage check-queries`.
INSERT INTO users (name, email) VALUES ($1, $2) RETURNING id;
SELECT name FROM users WHERE id = $1;
SELECT * FROM users ORDER BY id LIMIT 10;
