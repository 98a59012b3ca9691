#!/usr/bin/env bash
# The spine's benchmarks: importing the real 2024 result file, and a synthetic registry of the
# official 21,392,464 voters (import time, memory per voter, lookups per second).
# Usage: bench/spine.sh [WORK_DIR]      (needs about 2 GB of disk in WORK_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench/out/spine}
voters=21392464
cargo build --release --locked -p veedor -p veedor-bench --quiet
veedor=target/release/veedor
rm -rf "$work" && mkdir -p "$work"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== import of RESULTADOS_2024_CSV_V1.csv (24,532 rows), 5 runs into fresh data folders"
for run in 1 2 3 4 5; do
  $veedor --data "$work/v1-$run" init --election ve-2024-presidential >/dev/null
  bench/run.py "import results (run $run)" $veedor --data "$work/v1-$run" import results --defines-tables data/ve2024/RESULTADOS_2024_CSV_V1.csv
done

echo "== registry of $voters voters"
data="$work/registry"
$veedor --data "$data" init --election ve-2024-presidential >/dev/null
$veedor --data "$data" import results --defines-tables data/ve2024/RESULTADOS_2024_CSV_V1.csv >/dev/null
bench/run.py "generate registry CSV" $veedor --data "$data" generate registry --voters $voters -o "$work/registry.csv"
ls -l "$work/registry.csv" | awk '{printf "registry CSV: %d bytes\n", $5}'
bench/run.py "import registry (cold)" $veedor --data "$data" import registry --lookup-cost unprotected "$work/registry.csv"
# The same again is recognised by its hash and not imported twice: change the seed to re-import.
$veedor --data "$data" generate registry --voters $voters --seed 7 -o "$work/registry-2.csv"
bench/run.py "import registry (second, replaces)" $veedor --data "$data" import registry --lookup-cost unprotected "$work/registry-2.csv"
target/release/registry_lookup "$data" 5000000
