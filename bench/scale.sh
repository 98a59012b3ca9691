#!/usr/bin/env bash
# The scale run: a synthetic election the size of Indonesia's (820,000 tables, 204 million
# registered voters; `veedor generate election`) through import, tally, registry, the site's
# snapshot and export, on SQLite and on PostgreSQL (a throwaway server in WORK_DIR, durable:
# fsync on). Each step's wall time and peak memory (bench/run.py).
# Usage: bench/scale.sh [WORK_DIR] [TABLES] [VOTERS] [BACKENDS]
#   defaults: bench/out/scale 820000 204000000 "sqlite postgres"; needs about 40 GB of disk.
#   SITE=0 leaves out `export site` (15 minutes at full size).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "${1:-bench/out/scale}")
tables=${2:-820000}
voters=${3:-204000000}
backends=${4:-sqlite postgres}
cargo build --release --locked -p veedor --quiet
veedor=$PWD/target/release/veedor
run=$PWD/bench/run.py
rm -rf "$work" && mkdir -p "$work"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
$run "generate election ($tables tables)" $veedor generate election --tables "$tables" --voters "$voters" -o "$work/country"
ls -l "$work/country/results.csv" | awk '{printf "results CSV: %.0f bytes\n", $5}'

source bench/postgres.sh

# Starts `veedor serve` on DATA and stops it once it listens: the time to load the snapshot and
# the server's peak memory then.
snapshot() {
  python3 - "$1" "$veedor" "$2" <<'EOF'
import os, signal, subprocess, sys, time
label, veedor, data = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
server = subprocess.Popen([veedor, "--data", data, "serve", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
for line in server.stdout:
    if line.startswith("listening on"):
        break
seconds = time.perf_counter() - start
peak = next(int(l.split()[1]) * 1024 for l in open(f"/proc/{server.pid}/status") if l.startswith("VmHWM"))
server.send_signal(signal.SIGTERM)
server.wait()
print(f"{label:<40} {seconds:8.2f} s  {peak:>14,} bytes peak RSS  (until listening)", flush=True)
EOF
}

for backend in $backends; do
  echo "== $backend"
  case $backend in
    sqlite) data="$work/data" ;;
    postgres) start_postgres "$work/pg"; data="$pg_url"; export VEEDOR_FILES="$work/pg-files" ;;
  esac
  $veedor --data "$data" init --election "$work/country/election.toml" >/dev/null
  $run "import results, defining tables" $veedor --data "$data" import results --defines-tables "$work/country/results.csv"
  $run "tally (national)" $veedor --data "$data" tally
  $run "tally (every village)" $veedor --data "$data" tally --level village
  if [ ! -f "$work/registry.csv" ]; then
    $run "generate registry CSV" $veedor --data "$data" generate registry -o "$work/registry.csv"
    ls -l "$work/registry.csv" | awk '{printf "registry CSV: %.0f bytes\n", $5}'
  fi
  $run "import registry" $veedor --data "$data" import registry --lookup-cost unprotected "$work/registry.csv"
  voter=$(sed -n 2p "$work/registry.csv" | cut -d, -f1)
  $run "lookup (one, cold process)" $veedor --data "$data" lookup "$voter"
  snapshot "site snapshot (serve, until listening)" "$data"
  $run "export data" $veedor --data "$data" export data "$work/export-$backend"
  if [ "${SITE:-1}" != 0 ]; then
    $run "export site (compact, no scans)" $veedor --data "$data" export site "$work/site-$backend" --profile compact --no-scans
    du -sb "$work/site-$backend" | awk '{printf "site: %.0f bytes, ", $1}'; find "$work/site-$backend" -type f | wc -l | awk '{print $1 " files"}'
  fi
  rm -rf "$work/site-$backend" "$work/export-$backend"
  case $backend in
    sqlite) du -sb "$work/data" "$work/data"/* | awk -v v="$voters" '{printf "%s: %.0f bytes (%.1f a voter)\n", $2, $1, $1 / v}' ;;
    postgres) "$pg_bin/psql" -h "$work/pg" -U veedor -d veedor -Atc \
      "SELECT 'registry_chunks: ' || pg_total_relation_size('registry_chunks') || ' bytes (' || round(pg_total_relation_size('registry_chunks')::numeric / $voters, 2) || ' a voter); database: ' || pg_database_size('veedor') || ' bytes'" ;;
  esac
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
