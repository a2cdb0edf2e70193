#!/usr/bin/env bash
# Lint benchmark: pgstage vs Squawk vs a floor (bare libpg_query parsing), on the same generated
# files, alternating tools within each round. Prints wall time, files/s, MB/s and peak RSS of each
# (median over rounds) and the ratios pgstage/squawk and pgstage/floor.
#   bench/run.sh [--count N] [--seed S] [--rounds R] [--build DIR]
# Needs: a built tree (default ./build: pgstage and pgstage_bench_floor), python3, npm (Squawk is
# installed into bench/node_modules on first use), /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
count=5000 seed=1 rounds=3 build=build
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "usage: bench/run.sh [--count N] [--seed S] [--rounds R] [--build DIR]" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "bench/run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
ninja -C "$build" pgstage pgstage_bench_floor >/dev/null
pgstage="$build/cli/pgstage"
floor="$build/bench/pgstage_bench_floor"
squawk=bench/node_modules/@squawk-cli/linux-x64/bin/squawk
if [ ! -x "$squawk" ]; then
  (cd bench && npm install --no-save --no-package-lock --silent squawk-cli >/dev/null)
fi
[ -x "$squawk" ] || { echo "bench/run.sh: Squawk's native binary not found at $squawk" >&2; exit 2; }

work=bench/work
corpus="$work/corpus"
python3 bench/gen_corpus.py --count "$count" --seed "$seed" --out "$corpus"
bytes=$(cat "$corpus"/*.sql | wc -c)
out="$work/out"
mkdir -p "$out"

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (before)"
echo "versions: $("$pgstage" --version), $("$squawk" --version)"

run() {  # run NAME CMD... -> appends "wall_s rss_kb" to $out/NAME.times
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time1" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || true
  tail -1 "$out/$name.time1" >>"$out/$name.times"
}
rm -f "$out"/*.times
for r in $(seq "$rounds"); do
  run pgstage "$pgstage" lint --format json "$corpus"
  run squawk "$squawk" --reporter json "$corpus/*.sql"
  run floor "$floor" "$corpus"
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) (after)"

python3 - "$out" "$count" "$bytes" "$rounds" <<'PY'
import statistics, sys, os
out, count, size, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
res = {}
for name in ("pgstage", "squawk", "floor"):
    rows = [l.split() for l in open(os.path.join(out, name + ".times")) if l.strip()]
    wall = statistics.median(float(r[0]) for r in rows)
    rss = statistics.median(int(r[1]) for r in rows)
    res[name] = (wall, rss)
print("%d files, %.1f MB, median of %d rounds" % (count, size / 1e6, rounds))
print("%-8s %9s %10s %8s %12s" % ("tool", "wall s", "files/s", "MB/s", "peak RSS MB"))
for name, (wall, rss) in res.items():
    print("%-8s %9.2f %10.0f %8.2f %12.1f" % (name, wall, count / wall, size / 1e6 / wall, rss / 1024))
p, s, f = res["pgstage"], res["squawk"], res["floor"]
print("pgstage/squawk: wall %.2f, RSS %.2f" % (p[0] / s[0], p[1] / s[1]))
print("pgstage/floor:  wall %.2f, RSS %.2f" % (p[0] / f[0], p[1] / f[1]))
PY
