#!/usr/bin/env bash
# The public site under attack, before and after the server limits: for each scenario, each
# binary in turn is started on the same data, attacked on loopback while citizens look up voter
# ids (bench/attack/attack.rs), and sent SIGTERM with the attack still going (how long it takes
# to end is measured too).
#
#   bash bench/attack/run.sh                      # everything, about 20 minutes
#   SCENARIOS="baseline idle+slowloris" SECONDS_EACH=20 WARMUP=10 bash bench/attack/run.sh
#   BEFORE=5b9f451 bash bench/attack/run.sh       # the commit "before" is built from
#   LABELS="before after before-raised"           # the default
#
# Each server starts as a service manager starts it: a soft limit of 1,024 open files
# (SOFT_FILES) under this shell's hard limit, as systemd gives a service by default. "after"
# raises its own soft limit to the hard one; "before" cannot, and "before-raised" is the same
# binary started with the soft limit already raised, to show what the limit alone changes.
#
# Loopback only, bounded in time: each run is WARMUP + SECONDS_EACH seconds of attack, and a
# server that does not end within 60 s of SIGTERM is killed (the table says so). Needs the
# data of bench/web/run.sh (made here if missing: the 2024 results and a synthetic registry of
# 17.7 million voters). Everything goes to bench/out/attack.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/attack
WEB=$ROOT/bench/out/web
BEFORE=${BEFORE:-5b9f451}
SCENARIOS=${SCENARIOS:-baseline idle slowloris idle+slowloris expensive scrape}
SECONDS_EACH=${SECONDS_EACH:-20}
WARMUP=${WARMUP:-10}
IDLE=${IDLE:-20000}
SLOWLORIS=${SLOWLORIS:-500}
PORT=${PORT:-18090}
LABELS=${LABELS:-before after before-raised}
SOFT_FILES=${SOFT_FILES:-1024}
mkdir -p "$OUT"
# 20,000 idle sockets need descriptors: the server raises its own limit; the harness's
# children inherit this one.
ulimit -n "$(ulimit -Hn)"

cargo build --release --locked -p veedor -p veedor-bench --bin veedor --bin attack
AFTER_BIN=$ROOT/target/release/veedor
ATTACK=$ROOT/target/release/attack
cp "$AFTER_BIN" "$OUT/veedor-after"
# The binary before: the commit's tree exported and built in this target folder (the
# dependencies are shared), then copied aside.
if [ ! -x "$OUT/veedor-before" ] || [ "$(cat "$OUT/before-commit" 2>/dev/null)" != "$BEFORE" ]; then
  rm -rf "$OUT/before-src"
  mkdir -p "$OUT/before-src"
  git archive "$BEFORE" | tar -x -C "$OUT/before-src"
  (cd "$OUT/before-src" && CARGO_TARGET_DIR=$ROOT/target cargo build --release --locked -p veedor)
  cp "$ROOT/target/release/veedor" "$OUT/veedor-before"
  echo "$BEFORE" > "$OUT/before-commit"
  # Put the current binary back for whoever uses target/release next.
  cp "$OUT/veedor-after" "$ROOT/target/release/veedor"
fi

# The data: the same as bench/web/run.sh's.
DATA=$WEB/data
if [ ! -f "$DATA/veedor.db" ] || [ ! -f "$WEB/registry.csv" ]; then
  mkdir -p "$WEB"
  rm -rf "$DATA"
  "$AFTER_BIN" --data "$DATA" init --election ve-2024-presidential >/dev/null
  "$AFTER_BIN" --data "$DATA" import results --defines-tables data/ve2024/RESULTADOS_2024_CSV_V1.csv >/dev/null || [ $? -eq 3 ]
  "$AFTER_BIN" --data "$DATA" generate registry -o "$WEB/registry.csv"
  "$AFTER_BIN" --data "$DATA" import registry --lookup-cost unprotected "$WEB/registry.csv" >/dev/null
fi
if [ ! -s "$OUT/ids.txt" ]; then
  total=$(($(wc -l < "$WEB/registry.csv") - 1))
  step=$((total / 20000)); [ "$step" -ge 1 ] || step=1
  tail -n +2 "$WEB/registry.csv" | awk -F, -v step="$step" 'NR % step == 0 && c < 20000 { print $1; c++ }' > "$OUT/ids.txt"
fi

SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT

results=${RESULTS:-$OUT/results.txt}
: > "$results"
echo "machine: $(nproc) cores, $(uname -r); started $(date -u +%FT%TZ); load: $(uptime | sed 's/.*load average: //')" | tee -a "$results"
for scenario in $SCENARIOS; do
  for label in $LABELS; do
    log=$OUT/$label-$scenario.log
    soft=$SOFT_FILES
    [ "${label%-raised}" != "$label" ] && soft=$(ulimit -Hn)
    # The server as deployed: default limits (lookup limits included).
    (ulimit -Sn "$soft"; exec "$OUT/veedor-${label%-raised}" --data "$DATA" serve --listen "127.0.0.1:$PORT") > "$log" 2>&1 &
    SERVER_PID=$!
    until grep -q "stop with Ctrl-C" "$log"; do
      kill -0 "$SERVER_PID" || { cat "$log"; exit 1; }
      sleep 0.2
    done
    load=$(uptime | sed 's/.*load average: //')
    # The harness sends SIGTERM at the end of the window, the attack still going, and waits up
    # to 60 s for the server to end.
    line=$(timeout $((WARMUP + SECONDS_EACH + 120)) "$ATTACK" run --target "127.0.0.1:$PORT" \
      --ids "$OUT/ids.txt" --scenario "$scenario" --server-pid "$SERVER_PID" --label "$label" \
      --seconds "$SECONDS_EACH" --warmup "$WARMUP" --idle "$IDLE" --slowloris "$SLOWLORIS" \
      | tr '\n' ' ' || echo "RESULT label=$label scenario=$scenario failed")
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    echo "$line load=\"$load\"" | tee -a "$results"
  done
done
echo "ended $(date -u +%FT%TZ); load: $(uptime | sed 's/.*load average: //')" | tee -a "$results"
python3 bench/attack/table.py "$results"
