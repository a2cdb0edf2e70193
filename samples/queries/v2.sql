-- The statements of the sample app's release v2, which reads users.full_name.
INSERT INTO users (full_name, email) VALUES ($1, $2) RETURNING id;
SELECT full_name FROM users WHERE id = $1;
