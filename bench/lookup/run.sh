#!/usr/bin/env bash
# What one citizen's lookup costs in headless Chromium, against what rebuilding the registry
# from a mirror costs natively, at each lookup cost, in one run (docs/mirror.md has the figures).
#
#   bash bench/lookup/run.sh       # COSTS="protective strong" VOTERS=12 TRIES=7 KEYS=20
#
# For each cost: a store with 400 tables of the real 2024 results and a registry of VOTERS
# made-up voters keyed at that cost, exported as a compact site without scans, served by
# `python3 -m http.server` on loopback; bench/lookup/chromium.mjs times TRIES lookups from
# Search to the voter's page. Then the native cost of one key on one core (the
# `lookup_cost` example), which times the id space is the attacker's. Needs Chromium and the
# test's node modules (scripts/install-test-deps). Everything goes to bench/out/lookup.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/lookup
COSTS=${COSTS:-"protective strong"}
VOTERS=${VOTERS:-12}
TRIES=${TRIES:-7}
KEYS=${KEYS:-20}
PORT=${PORT:-18090}
mkdir -p "$OUT"
cargo build --release --locked -p veedor
cargo build --release --locked -p veedor-formats --example lookup_cost
BIN=$ROOT/target/release/veedor
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"

head -n 401 data/ve2024/RESULTADOS_2024_CSV_V1.csv > "$OUT/results.csv"
# Waits (up to two minutes) for the machine to be quiet: a build or an import just before
# would otherwise share the cores with the browser.
quiet() {
  for _ in $(seq 24); do
    awk '{ exit !($1 < 0.5) }' /proc/loadavg && return
    sleep 5
  done
}
cleanup() { [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null || true; }
trap cleanup EXIT
for cost in $COSTS; do
  data=$OUT/data-$cost
  rm -rf "$data" "$OUT/site-$cost"
  "$BIN" --data "$data" init --election ve-2024-presidential >/dev/null
  "$BIN" --data "$data" import results --defines-tables "$OUT/results.csv" >/dev/null || [ $? -eq 3 ]
  "$BIN" --data "$data" generate registry --voters "$VOTERS" -o "$OUT/registry-$cost.csv" >/dev/null
  "$BIN" --data "$data" import registry --lookup-cost "$cost" "$OUT/registry-$cost.csv" | grep lookup
  "$BIN" --data "$data" export site --profile compact --no-scans "$OUT/site-$cost" >/dev/null
  tail -n +2 "$OUT/registry-$cost.csv" | cut -d, -f1 > "$OUT/ids-$cost.txt"
  python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$OUT/site-$cost" >/dev/null 2>&1 &
  SERVER=$!
  until python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" 2>/dev/null; do sleep 0.2; done
  quiet
  echo "== $cost: one citizen's lookup in headless Chromium (load average $(cut -d' ' -f1 /proc/loadavg))"
  node bench/lookup/chromium.mjs "http://127.0.0.1:$PORT/es/lookup.html" "$OUT/ids-$cost.txt" "$TRIES"
  quiet
  echo "== $cost: the same, the browser held to one core (taskset -c 0; load average $(cut -d' ' -f1 /proc/loadavg))"
  taskset -c 0 node bench/lookup/chromium.mjs "http://127.0.0.1:$PORT/es/lookup.html" "$OUT/ids-$cost.txt" "$TRIES"
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
  quiet
  echo "== $cost: one key natively, one core (load average $(cut -d' ' -f1 /proc/loadavg))"
  /usr/bin/time -f "%U s user, %M KB peak" target/release/examples/lookup_cost "$cost" "$KEYS"
done
