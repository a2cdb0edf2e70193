#!/usr/bin/env bash
# Backfill benchmark: pgstage's keyset-batched backfill vs one plain UPDATE of the same table, each
# while an application load (pgbench: single-row UPDATEs by primary key) runs, sampling the longest
# time any application query waited on a lock (pg_stat_activity, every 50ms).
#   bench/backfill.sh [ROWS] [BATCH_SIZE]        (defaults 200000 and 1000)
# Needs the built binary (build/cli/pgstage) and the Postgres 15 server binaries. Starts a private
# cluster in a temporary directory and removes it at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-200000}
BATCH=${2:-1000}
PGSTAGE=${PGSTAGE:-build/cli/pgstage}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
[ -x "$PGSTAGE" ] || { echo "bench: build pgstage first ($PGSTAGE missing)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/pgstage-bench-XXXXXX)
PORT=$((20000 + RANDOM % 20000))
AS=""
if [ "$(id -u)" = 0 ]; then chown postgres "$WORK"; AS="runuser -u postgres --"; fi
cleanup() {
  [ -n "${LOAD_PID:-}" ] && kill "$LOAD_PID" 2>/dev/null || true
  $AS "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
$AS "$PGBIN/initdb" -D "$WORK/data" -A trust -U postgres >/dev/null
$AS "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w -t 60 \
  -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50" start >/dev/null
URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
psql_() { "$PGBIN/psql" -X -q -t -A -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"; }

mkdir -p "$WORK/migrations"
chmod 777 "$WORK/migrations"
cat > "$WORK/migrations/001_bench.sql" <<SQL
CREATE TABLE bench (id bigint PRIMARY KEY, a int NOT NULL, note text);
INSERT INTO bench (id, a) SELECT g, g % 1000 FROM generate_series(1, $ROWS) g;
CREATE TABLE plain (id bigint PRIMARY KEY, a int NOT NULL, note text);
INSERT INTO plain (id, a) SELECT g, g % 1000 FROM generate_series(1, $ROWS) g;
ANALYZE bench;
ANALYZE plain;
SQL
"$PGSTAGE" apply "$WORK/migrations" --database-url "$URL" --release base >/dev/null

# Application load: single-row updates by primary key on TABLE, 4 clients, until killed.
start_load() {
  cat > "$WORK/load_$1.sql" <<SQL
\set id random(1, $ROWS)
UPDATE $1 SET a = a + 1 WHERE id = :id;
SQL
  "$PGBIN/pgbench" -n -c 4 -j 2 -T 3600 -f "$WORK/load_$1.sql" -h 127.0.0.1 -p "$PORT" -U postgres postgres \
    >"$WORK/pgbench_$1.log" 2>&1 &
  LOAD_PID=$!
  sleep 1
}
stop_load() { kill -TERM "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; LOAD_PID=""; }

# Longest lock wait of an application query, sampled while the file $WORK/sampling exists.
sample_lock_waits() {
  local max=0 v
  while [ -e "$WORK/sampling" ]; do
    v=$(psql_ -c "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - query_start) * 1000), 0)::int
                  FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'pgbench'")
    [ "$v" -gt "$max" ] && max=$v
    sleep 0.05
  done
  echo "$max"
}

now_ms() { date +%s%3N; }

# 1. pgstage: ADD COLUMN ... NOT NULL staged; the backfill fills it in keyset batches.
cat > "$WORK/migrations/002_note.sql" <<'SQL'
-- pgstage:fill 'n' || a
ALTER TABLE bench ADD COLUMN label text NOT NULL;
SQL
start_load bench
touch "$WORK/sampling"
sample_lock_waits > "$WORK/wait_pgstage" &
SAMPLER=$!
t0=$(now_ms)
"$PGSTAGE" apply "$WORK/migrations" --database-url "$URL" --release r1 --batch-size "$BATCH" > "$WORK/apply.log"
t1=$(now_ms)
rm "$WORK/sampling"; wait "$SAMPLER"
stop_load
filled=$(psql_ -c "SELECT count(*) FROM bench WHERE label IS NOT NULL")
backfill_rows=$(psql_ -c "SELECT rows_done FROM pgstage.backfills")
backfill_ms=$(psql_ -c "SELECT (extract(epoch FROM max(finished_at) FILTER (WHERE phase = 'backfill')
                               - max(finished_at) FILTER (WHERE phase = 'expand')) * 1000)::int
                        FROM pgstage.steps WHERE migration = '002_note.sql'")

# 2. The same fill as one plain UPDATE (what a hand-written migration does).
psql_ -c "ALTER TABLE plain ADD COLUMN label text"
start_load plain
touch "$WORK/sampling"
sample_lock_waits > "$WORK/wait_plain" &
SAMPLER=$!
t2=$(now_ms)
psql_ -c "UPDATE plain SET label = 'n' || a" >/dev/null
t3=$(now_ms)
rm "$WORK/sampling"; wait "$SAMPLER"
stop_load

apply_ms=$((t1 - t0)); plain_ms=$((t3 - t2))
echo "rows: $ROWS, batch size: $BATCH, app load: pgbench 4 clients of single-row UPDATEs"
echo "pgstage apply (expand + backfill): ${apply_ms} ms total, backfill step ${backfill_ms} ms, $backfill_rows rows backfilled ($filled filled)"
echo "pgstage backfill throughput: $(( backfill_rows * 1000 / (backfill_ms > 0 ? backfill_ms : 1) )) rows/s"
echo "plain UPDATE: ${plain_ms} ms, $(( ROWS * 1000 / (plain_ms > 0 ? plain_ms : 1) )) rows/s"
echo "longest app lock wait during pgstage backfill: $(cat "$WORK/wait_pgstage") ms"
echo "longest app lock wait during plain UPDATE: $(cat "$WORK/wait_plain") ms"
