#!/usr/bin/env bash
# `veedor analyze` on 30,000 synthetic tables (the national analysis: coverage, bound, official
# checks, the projection with 1,000 bootstrap replicates, the forensic tests with theirs), as the
# issue asks: under a second. Then the analysis alone, in process, apart from loading the store.
# Usage: bench/analyze.sh [WORK_DIR] [TABLES]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench/out/analyze}
tables=${2:-30000}
cargo build --release --locked -p veedor -p veedor-bench --quiet
veedor=target/release/veedor
rm -rf "$work" && mkdir -p "$work"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load: $(uptime)"
target/release/analyze_bench csv "$tables" "$work/results.csv"
$veedor --data "$work/data" init --election ve-2024-presidential >/dev/null
$veedor --data "$work/data" import results --defines-tables "$work/results.csv" >/dev/null
echo "== veedor analyze on $tables tables, 1,000 replicates, 5 runs"
for run in 1 2 3 4 5; do
  bench/run.py "veedor analyze --format json (run $run)" $veedor --data "$work/data" analyze --format json
done
bench/run.py "veedor analyze (text)" $veedor --data "$work/data" analyze
bench/run.py "veedor tally (loading alone, for scale)" $veedor --data "$work/data" tally
echo "== in process"
target/release/analyze_bench time "$work/data" 3
echo "load: $(uptime)"
