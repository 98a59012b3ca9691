#!/usr/bin/env bash
# Voter lookups per second from several servers on one database: one `veedor serve` on a data
# folder (SQLite), one on PostgreSQL, and two on the same PostgreSQL (each behind its own wrk,
# half the connections each, their requests added up), in one run, on the real 2024 results and
# a synthetic registry of every registered voter (21,392,464). wrk takes turns between the
# setups ROUNDS times; the table shows each setup's median round. Before that, the same run times
# the imports of the 2024 file and of the registry into SQLite and into PostgreSQL, taking turns
# ROUNDS times (medians and their ratio).
#
#   bash bench/web/servers.sh     # ROUNDS=3 DURATION=10s CONNECTIONS=64 SAMPLE=20000
#
# Needs Debian's wrk and PostgreSQL (apt-get install -y wrk postgresql). Output in bench/out/servers.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/servers
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
SAMPLE=${SAMPLE:-20000}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
rm -rf "$OUT" && mkdir -p "$OUT"
cargo build --release --locked -p veedor --quiet
BIN=$ROOT/target/release/veedor
source bench/postgres.sh
PIDS=()
cleanup_more() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
start_postgres "$OUT/pg"
export VEEDOR_FILES=$OUT/pg-files

# The registry: every registered voter of 2024 (the result file covers 17.7 million of them; the
# rest are spread over its tables), made from a store that holds the file's tables.
"$BIN" --data "$OUT/gen" init --election ve-2024-presidential >/dev/null
"$BIN" --data "$OUT/gen" import results --defines-tables data/ve2024/RESULTADOS_2024_CSV_V1.csv >/dev/null 2>&1 || [ $? -eq 3 ]
"$BIN" --data "$OUT/gen" generate registry --voters 21392464 -o "$OUT/registry.csv"
rm -rf "$OUT/gen"
# The imports, timed (bench/run.py: wall time and peak memory), into a new SQLite folder and a new
# PostgreSQL database each round, the two taking turns, ROUNDS times. Exit 3 is `import results`
# that stored the file and reported findings (the 2024 file has some). The last round's stores are
# the ones served below.
imports=$OUT/imports.txt
echo "load average before the imports: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$imports"
for round in $(seq "$ROUNDS"); do
  rm -rf "$OUT/data" "$VEEDOR_FILES"
  "$pg_bin/psql" -h "$pg_dir" -U veedor -d postgres -q -c "DROP DATABASE IF EXISTS veedor" -c "CREATE DATABASE veedor"
  for setup in "sqlite $OUT/data" "postgres $pg_url"; do
    set -- $setup
    "$BIN" --data "$2" init --election ve-2024-presidential >/dev/null
    bench/run.py "$1: import results (2024 file)" "$BIN" --data "$2" import results --defines-tables data/ve2024/RESULTADOS_2024_CSV_V1.csv 2>/dev/null | tee -a "$imports" || true
    bench/run.py "$1: import registry (21.4M)" "$BIN" --data "$2" import registry --lookup-cost unprotected "$OUT/registry.csv" 2>/dev/null | tee -a "$imports"
  done
done
python3 - "$imports" "$ROUNDS" <<'PY' | tee -a "$imports"
import re, sys
times = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\w+): (.+?)\s+([0-9.]+) s .*\(exit (-?\d+)\)", line)
    if m:
        if m[4] not in ("0", "3"):
            sys.exit(f"an import failed: {line.strip()}")
        times.setdefault((m[1], m[2]), []).append(float(m[3]))
rounds = int(sys.argv[2])
for key, runs in times.items():
    if len(runs) != rounds:
        sys.exit(f"{key}: {len(runs)} of {rounds} rounds finished")
median = {key: sorted(runs)[len(runs) // 2] for key, runs in times.items()}
for (store, step), seconds in sorted(median.items()):
    if store == "sqlite" and ("postgres", step) in median:
        pg = median["postgres", step]
        print(f"{step:<30} median of {len(times[store, step])}: sqlite {seconds:.2f} s, postgres {pg:.2f} s, postgres / sqlite {pg / seconds:.2f}")
PY
total=$(($(wc -l < "$OUT/registry.csv") - 1))
step=$((total / SAMPLE)); [ "$step" -ge 1 ] || step=1
tail -n +2 "$OUT/registry.csv" | awk -F, -v step="$step" -v n="$SAMPLE" 'NR % step == 0 && c < n { print $1; c++ }' > "$OUT/ids.txt"
export IDS=$OUT/ids.txt

serve() { # data port
  "$BIN" --data "$1" serve --listen "127.0.0.1:$2" --lookup-limit 0 > "$OUT/serve-$2.log" 2>&1 &
  PIDS+=($!)
  until grep -q "listening on" "$OUT/serve-$2.log"; do sleep 0.5; done
}
serve "$OUT/data" 18091
serve "$pg_url" 18092
serve "$pg_url" 18093
first=$(head -1 "$IDS")
for port in 18092 18093; do
  # The same answer, but for when each store received the file (the imports ran at different times).
  cmp <(curl -s "http://127.0.0.1:18091/api/v1/lookup/$first" | sed -E 's/"received_at":"[^"]*"//g') \
    <(curl -s "http://127.0.0.1:$port/api/v1/lookup/$first" | sed -E 's/"received_at":"[^"]*"//g') \
    || { echo "the servers answer differently" >&2; exit 1; }
done

wrk_rps() { # port connections -> "rps p99"
  wrk -t1 -c"$2" -d"$DURATION" --latency -s bench/web/lookup.lua "http://127.0.0.1:$1" \
    | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } print f["rps"], f["p99_ms"], f["errors"] }'
}
results=$OUT/results.txt
: > "$results"
DURATION=3s wrk_rps 18091 "$CONNECTIONS" >/dev/null
for round in $(seq "$ROUNDS"); do
  echo "sqlite-one $(wrk_rps 18091 "$CONNECTIONS")" | tee -a "$results"
  echo "postgres-one $(wrk_rps 18092 "$CONNECTIONS")" | tee -a "$results"
  half=$((CONNECTIONS / 2))
  wrk_rps 18092 "$half" > "$OUT/a.txt" & a=$!
  wrk_rps 18093 "$half" > "$OUT/b.txt" & b=$!
  wait "$a" "$b"
  echo "postgres-two $(paste -d' ' "$OUT/a.txt" "$OUT/b.txt" | awk '{ printf "%d %.2f %d", $1 + $4, ($2 > $5 ? $2 : $5), $3 + $6 }')" | tee -a "$results"
done
echo
echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $total voters; wrk, $CONNECTIONS connections in all, $DURATION a round, median of $ROUNDS rounds"
sort -k1,1 -k2,2n "$results" | awk '
  { n[$1]++; r[$1, n[$1]] = $2; p[$1, $2] = $3; e[$1, $2] = $4 }
  END {
    split("sqlite-one postgres-one postgres-two", order, " ")
    for (k = 1; k <= 3; k++) { s = order[k]; m[s] = r[s, int((n[s] + 1) / 2)] }
    printf "%-14s %12s %10s %8s %18s\n", "setup", "lookups/s", "p99 ms", "errors", "ratio to sqlite-one"
    for (k = 1; k <= 3; k++) { s = order[k]; printf "%-14s %12d %10.2f %8d %18.2f\n", s, m[s], p[s, m[s]], e[s, m[s]], m[s] / m["sqlite-one"] }
  }'
