#!/usr/bin/env bash
# Voter lookups per second and p99 latency: `veedor serve` against nginx serving the very same
# answers as precomputed static JSON files, with wrk at 64 and 256 connections, in one run.
#
#   bash bench/web/run.sh     # ROUNDS=3 DURATION=10s SAMPLE=20000 VOTERS=(all, 17.7 million)
#
# The two servers take turns, ROUNDS times at each number of connections, and the table shows
# each one's median round: on a shared machine the load of other work comes and goes, and
# alternating gives both the same share of it.
#
# Needs Debian's nginx and wrk (apt-get install -y nginx wrk). Everything goes to bench/out/web.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/web
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
SAMPLE=${SAMPLE:-20000}
THREADS=${THREADS:-2}
VEEDOR_PORT=${VEEDOR_PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}
mkdir -p "$OUT"
# Both servers hold many sockets (and nginx its open files): use all the descriptors allowed.
ulimit -n "$(ulimit -Hn)"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is missing: apt-get install -y nginx" >&2; exit 1; }

cargo build --release --locked -p veedor
BIN=$ROOT/target/release/veedor
DATA=$OUT/data

# The demo's data: the real 2024 results and a synthetic registry of every registered voter.
if [ ! -f "$DATA/veedor.db" ] || [ ! -f "$OUT/registry.csv" ]; then
  rm -rf "$DATA"
  "$BIN" --data "$DATA" init --election ve-2024-presidential >/dev/null
  "$BIN" --data "$DATA" import results --defines-tables data/ve2024/RESULTADOS_2024_CSV_V1.csv >/dev/null || [ $? -eq 3 ]
  "$BIN" --data "$DATA" generate registry ${VOTERS:+--voters $VOTERS} -o "$OUT/registry.csv"
  "$BIN" --data "$DATA" import registry --lookup-cost unprotected "$OUT/registry.csv" >/dev/null
fi
# Voter ids spread over the whole registry.
total=$(($(wc -l < "$OUT/registry.csv") - 1))
step=$((total / SAMPLE)); [ "$step" -ge 1 ] || step=1
tail -n +2 "$OUT/registry.csv" | awk -F, -v step="$step" -v n="$SAMPLE" 'NR % step == 0 && c < n { print $1; c++ }' > "$OUT/ids.txt"
echo "registry: $total voters; $(wc -l < "$OUT/ids.txt") ids sampled"

cleanup() {
  [ -n "${VEEDOR_PID:-}" ] && kill "$VEEDOR_PID" 2>/dev/null || true
  [ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

"$BIN" --data "$DATA" serve --listen "127.0.0.1:$VEEDOR_PORT" --lookup-limit 0 > "$OUT/veedor.log" 2>&1 &
VEEDOR_PID=$!
until grep -q "listening on" "$OUT/veedor.log"; do
  kill -0 "$VEEDOR_PID" || { cat "$OUT/veedor.log"; exit 1; }
  sleep 0.5
done

# The same answers, as files, for nginx.
rm -rf "$OUT/static"
python3 bench/web/fetch.py "127.0.0.1:$VEEDOR_PORT" "$OUT/ids.txt" "$OUT/static"
mkdir -p "$OUT/nginx/tmp"
sed -e "s#@ROOT@#$OUT/static#" -e "s#@PREFIX@#$OUT/nginx#" -e "s#@PORT@#$NGINX_PORT#" \
  bench/web/nginx.conf.in > "$OUT/nginx/nginx.conf"
nginx -c "$OUT/nginx/nginx.conf" -p "$OUT/nginx" &
NGINX_PID=$!
sleep 1
first=$(head -1 "$OUT/ids.txt")
cmp <(curl -s "http://127.0.0.1:$VEEDOR_PORT/api/v1/lookup/$first") \
    <(curl -s "http://127.0.0.1:$NGINX_PORT/api/v1/lookup/$first") \
  || { echo "veedor and nginx answer differently" >&2; exit 1; }

export IDS=$OUT/ids.txt
results=$OUT/results.txt
: > "$results"
run() { # name port connections
  local line
  line=$(wrk -t"$THREADS" -c"$3" -d"$DURATION" --latency -s bench/web/lookup.lua "http://127.0.0.1:$2" | grep '^RESULT')
  echo "$1 $3 $line" | tee -a "$results"
}
# A short warm-up of both, then the measured runs.
DURATION=3s run warmup-veedor "$VEEDOR_PORT" 64 >/dev/null
DURATION=3s run warmup-nginx "$NGINX_PORT" 64 >/dev/null
: > "$results"
for connections in 64 256; do
  for round in $(seq "$ROUNDS"); do
    run veedor "$VEEDOR_PORT" "$connections"
    run nginx "$NGINX_PORT" "$connections"
  done
done
echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; wrk -t$THREADS -d$DURATION; $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); $(nginx -v 2>&1)"
echo "each: the median of $ROUNDS rounds by requests/s (its p99 is that round's)"
sort -k1,1 -k2,2n "$results" | awk '
  { for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    key = $1 " " $2; n[key]++; rps[key, n[key]] = f["rps"]; p99[key, f["rps"]] = f["p99_ms"]; conns[$2] = 1 }
  function median(key,   i, j, t, m, a) {
    m = n[key]; for (i = 1; i <= m; i++) a[i] = rps[key, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int((m + 1) / 2)]
  }
  END {
    printf "%-12s %14s %10s %14s %10s %8s\n", "connections", "veedor req/s", "p99 ms", "nginx req/s", "p99 ms", "ratio"
    for (c in conns) {
      v = median("veedor " c); g = median("nginx " c)
      printf "%-12s %14d %10.2f %14d %10.2f %8.2f\n", c, v, p99["veedor " c, v], g, p99["nginx " c, g], v / g
    }
  }' | sort -n
