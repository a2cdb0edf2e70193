#!/usr/bin/env python3
"""Writes N realistic Postgres migration files, deterministically from a seed.

  bench/gen_corpus.py --count 5000 --seed 1 --out bench/work/corpus

The mix: CREATE TABLE with many columns, ALTER TABLE of every common kind, indexes, DO blocks and
functions with dollar quotes, triggers, data migrations, comments (line and block), SET/BEGIN/COMMIT,
short and long files, and about 1% of files with a syntax error. Same seed, same bytes.
"""
import argparse
import os
import random

TYPES = ["integer", "bigint", "smallint", "text", "varchar(255)", "varchar(64)", "boolean", "timestamptz",
         "timestamp", "date", "numeric(12,2)", "jsonb", "uuid", "bytea", "double precision", "inet", "text[]",
         "interval", "char(2)", "serial", "bigserial"]
DEFAULTS = ["0", "''", "false", "true", "now()", "CURRENT_TIMESTAMP", "gen_random_uuid()", "'{}'::jsonb",
            "'pending'", "random()", "clock_timestamp()", "1", "'x'"]
WORDS = ["user", "account", "order", "invoice", "payment", "item", "product", "customer", "event", "session",
         "audit", "tag", "comment", "post", "team", "project", "task", "note", "address", "shipment", "price",
         "plan", "subscription", "token", "device", "report", "metric", "alert", "job", "queue"]
SUFFIX = ["id", "name", "status", "created_at", "updated_at", "amount", "count", "email", "code", "kind",
          "flags", "data", "ref", "total", "deleted_at", "owner_id", "score", "title", "body", "version"]


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.tables = []

    def ident(self):
        return self.r.choice(WORDS) + "_" + self.r.choice(SUFFIX) + ("_%d" % self.r.randint(1, 99) if self.r.random() < 0.5 else "")

    def table(self):
        if self.tables and self.r.random() < 0.8:
            return self.r.choice(self.tables)
        t = self.r.choice(WORDS) + "s" + ("_%d" % self.r.randint(1, 999))
        if self.r.random() < 0.2:
            t = self.r.choice(["public", "app", "billing"]) + "." + t
        self.tables.append(t)
        return t

    def col(self):
        return self.r.choice(SUFFIX) + "_" + self.r.choice(WORDS) + ("%d" % self.r.randint(1, 50))

    def coldef(self):
        s = "%s %s" % (self.col(), self.r.choice(TYPES))
        if self.r.random() < 0.3:
            s += " NOT NULL"
        if self.r.random() < 0.3:
            s += " DEFAULT " + self.r.choice(DEFAULTS)
        if self.r.random() < 0.05:
            s += " UNIQUE"
        if self.r.random() < 0.05:
            s += " CHECK (%s IS NOT NULL)" % self.col()
        if self.r.random() < 0.05:
            s += " REFERENCES %s (id) ON DELETE CASCADE" % self.table()
        return s

    def comment(self):
        if self.r.random() < 0.7:
            return "-- %s: %s\n" % (self.r.choice(["TODO", "NOTE", "why", "ticket"]),
                                   " ".join(self.r.choice(WORDS) for _ in range(self.r.randint(3, 15))))
        return "/* %s\n   %s */\n" % (" ".join(self.r.choice(WORDS) for _ in range(8)),
                                    " ".join(self.r.choice(SUFFIX) for _ in range(10)))

    def create_table(self):
        t = self.table()
        cols = ["id bigserial PRIMARY KEY"] + [self.coldef() for _ in range(self.r.randint(3, 60))]
        extra = ""
        if self.r.random() < 0.3:
            extra = ",\n  CONSTRAINT %s_chk CHECK (%s > 0)" % (t.replace(".", "_"), self.col())
        ine = "IF NOT EXISTS " if self.r.random() < 0.3 else ""
        return "CREATE TABLE %s%s (\n  %s%s\n);" % (ine, t, ",\n  ".join(cols), extra)

    def alter(self):
        t = self.table()
        c = self.col()
        k = self.r.randrange(20)
        a = [
            lambda: "ADD COLUMN %s" % self.coldef(),
            lambda: "ADD COLUMN IF NOT EXISTS %s %s" % (c, self.r.choice(TYPES)),
            lambda: "DROP COLUMN %s" % c,
            lambda: "DROP COLUMN IF EXISTS %s CASCADE" % c,
            lambda: "ALTER COLUMN %s TYPE %s" % (c, self.r.choice(TYPES)),
            lambda: "ALTER COLUMN %s TYPE %s USING %s::%s" % (c, "bigint", c, "bigint"),
            lambda: "ALTER COLUMN %s SET NOT NULL" % c,
            lambda: "ALTER COLUMN %s DROP NOT NULL" % c,
            lambda: "ALTER COLUMN %s SET DEFAULT %s" % (c, self.r.choice(DEFAULTS)),
            lambda: "ALTER COLUMN %s DROP DEFAULT" % c,
            lambda: "ADD CONSTRAINT %s_fk FOREIGN KEY (%s) REFERENCES %s (id)%s" % (
                c, c, self.table(), " NOT VALID" if self.r.random() < 0.5 else ""),
            lambda: "ADD CONSTRAINT %s_chk CHECK (%s >= 0)%s" % (c, c, " NOT VALID" if self.r.random() < 0.5 else ""),
            lambda: "VALIDATE CONSTRAINT %s_chk" % c,
            lambda: "ADD CONSTRAINT %s_uq UNIQUE (%s)" % (c, c),
            lambda: "ADD CONSTRAINT %s_uq UNIQUE USING INDEX %s_idx" % (c, c),
            lambda: "DROP CONSTRAINT IF EXISTS %s_chk" % c,
            lambda: "RENAME COLUMN %s TO %s" % (c, self.col()),
            lambda: "RENAME TO %s" % (self.r.choice(WORDS) + "s_new"),
            lambda: "SET SCHEMA archive",
            lambda: "ADD PRIMARY KEY USING INDEX %s_pkey_idx" % c,
        ][k]
        if k in (0, 1, 2, 4, 6, 8) and self.r.random() < 0.3:
            return "ALTER TABLE %s %s, %s;" % (t, a(), "ADD COLUMN %s" % self.coldef())
        return "ALTER TABLE %s %s;" % (t, a())

    def index(self):
        t = self.table()
        name = "idx_%s_%d" % (t.replace(".", "_"), self.r.randint(1, 99999))
        cols = ", ".join(self.col() for _ in range(self.r.randint(1, 3)))
        k = self.r.randrange(6)
        conc = "CONCURRENTLY " if self.r.random() < 0.5 else ""
        if k == 0:
            return "CREATE INDEX %s%s ON %s (%s);" % (conc, name, t, cols)
        if k == 1:
            return "CREATE UNIQUE INDEX %sIF NOT EXISTS %s ON %s (%s) WHERE deleted_at IS NULL;" % (conc, name, t, cols)
        if k == 2:
            return "CREATE INDEX %s%s ON %s USING gin (%s jsonb_path_ops);" % (conc, name, t, self.col())
        if k == 3:
            return "CREATE INDEX %s ON %s (lower(%s), (%s->>'k'));" % (name, t, self.col(), self.col())
        if k == 4:
            return "DROP INDEX %sIF EXISTS %s;" % (conc, name)
        return "REINDEX INDEX %s%s;" % (conc, name)

    def do_block(self):
        t = self.table()
        c = self.col()
        tag = self.r.choice(["$$", "$do$", "$body$"])
        body = """BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                 WHERE table_name = '%s' AND column_name = '%s') THEN
    EXECUTE 'ALTER TABLE %s ADD COLUMN %s integer';
  END IF;
  -- a comment with a ; inside and a 'quote'
  RAISE NOTICE 'done; %%', now();
END""" % (t, c, t, c)
        return "DO %s\n%s\n%s;" % (tag, body, tag)

    def function(self):
        name = "fn_%s_%d" % (self.r.choice(WORDS), self.r.randint(1, 9999))
        tag = self.r.choice(["$$", "$fn$", "$function$"])
        lines = ["  v_%d integer := %d;" % (i, i) for i in range(self.r.randint(1, 20))]
        body = "DECLARE\n%s\nBEGIN\n  NEW.updated_at := now();\n  PERFORM pg_notify('chan', 'x;y');\n  RETURN NEW;\nEND;" % "\n".join(lines)
        s = "CREATE OR REPLACE FUNCTION %s() RETURNS trigger\nLANGUAGE plpgsql AS %s\n%s\n%s;" % (name, tag, body, tag)
        if self.r.random() < 0.5:
            s += "\nCREATE TRIGGER trg_%s BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s();" % (
                name, self.table(), name)
        return s

    def data(self):
        t = self.table()
        c = self.col()
        k = self.r.randrange(5)
        if k == 0:
            return "UPDATE %s SET %s = 0 WHERE %s IS NULL;" % (t, c, c)
        if k == 1:
            return "INSERT INTO %s (%s) VALUES %s;" % (t, c, ", ".join("('v%d')" % i for i in range(self.r.randint(1, 40))))
        if k == 2:
            return "DELETE FROM %s WHERE created_at < now() - interval '90 days';" % t
        if k == 3:
            return "UPDATE %s SET %s = lower(%s) WHERE id IN (SELECT id FROM %s LIMIT 1000);" % (t, c, c, t)
        return "COMMENT ON COLUMN %s.%s IS 'it''s the %s; really';" % (t, c, c)

    def misc(self):
        return self.r.choice([
            "SET lock_timeout = '5s';", "SET statement_timeout TO 0;", "CREATE EXTENSION IF NOT EXISTS pgcrypto;",
            "CREATE TYPE mood_%d AS ENUM ('sad', 'ok', 'happy');" % self.r.randint(1, 999),
            "ALTER TYPE mood_%d ADD VALUE 'great';" % self.r.randint(1, 999),
            "CREATE SCHEMA IF NOT EXISTS archive;", "DROP TABLE IF EXISTS %s;" % self.table(),
            "TRUNCATE %s;" % self.table(), "VACUUM ANALYZE %s;" % self.table(),
            "CREATE VIEW v_%d AS SELECT * FROM %s WHERE id > 10;" % (self.r.randint(1, 999), self.table()),
            "GRANT SELECT ON %s TO reporting;" % self.table(),
            "CREATE SEQUENCE seq_%d START 100;" % self.r.randint(1, 999),
        ])

    def statement(self):
        x = self.r.random()
        if x < 0.15: return self.create_table()
        if x < 0.55: return self.alter()
        if x < 0.70: return self.index()
        if x < 0.75: return self.do_block()
        if x < 0.80: return self.function()
        if x < 0.92: return self.data()
        return self.misc()

    def broken(self):
        return self.r.choice([
            "ALTER TABLE %s ADD COLUMN;" % self.table(),
            "CREATE TABLE %s (id int,, name text);" % self.table(),
            "SELEC 1;",
            "CREATE INDEX ON %s (;" % self.table(),
            "UPDATE %s SET x = WHERE id = 1;" % self.table(),
        ])

    def file(self):
        x = self.r.random()
        n = self.r.randint(1, 4) if x < 0.6 else self.r.randint(5, 30) if x < 0.95 else self.r.randint(100, 400)
        out = []
        if self.r.random() < 0.3:
            out.append(self.comment())
        tx = self.r.random() < 0.2
        if tx:
            out.append("BEGIN;\n")
        broken_at = self.r.randrange(n) if self.r.random() < 0.01 else -1
        for i in range(n):
            if self.r.random() < 0.15:
                out.append(self.comment())
            out.append((self.broken() if i == broken_at else self.statement()) + "\n\n")
        if tx:
            out.append("COMMIT;\n")
        return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work", "corpus"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for f in os.listdir(a.out):
        if f.endswith(".sql"):
            os.remove(os.path.join(a.out, f))
    g = Gen(random.Random(a.seed))
    total = 0
    for i in range(a.count):
        text = g.file()
        name = "%06d_%s.sql" % (i + 1, g.r.choice(WORDS))
        with open(os.path.join(a.out, name), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        total += len(text.encode())
    print("wrote %d files, %.1f MB, to %s (seed %d)" % (a.count, total / 1e6, a.out, a.seed))


if __name__ == "__main__":
    main()
