-- int -> bigint rewrites the table under ACCESS EXCLUSIVE.
-- pgstage plan: shadow column kept equal by a trigger, batched conversion, swap in contract.
ALTER TABLE users ALTER COLUMN visits TYPE bigint;
