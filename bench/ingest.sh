#!/usr/bin/env bash
# End-to-end ingest throughput of `veedor ingest` (bench/scan/RESULTS.md, "Ingest").
#
#   bench/ingest.sh [OUT]            # default OUT: bench/out/ingest
#   SKIP_RENDER=1 bench/ingest.sh    # ingest the sheets rendered before into a fresh data folder
#   BUILD=0 VEEDOR=/path/to/veedor   # another binary, no build; VEEDOR_LOG=veedor=debug for the phases
#
# Renders 1,200 acta sheets weighted as election night would bring them (mostly flatbed
# scans at 150-300 dpi, some turned, skewed, folded or stamped, some phone photos), each
# condition in its own subfolder, from the rows of the real 2024 result file; creates a fresh
# data folder for the shipped election with that result file imported (`veedor generate sheets`
# renders tables that have a result row); then times `veedor ingest` over the sheets with
# /usr/bin/time -v (wall clock, CPU, maximum resident set size). The release build is used.
# Prints the load average before and after: the machine may be shared.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/bench/out/ingest}"
VEEDOR="${VEEDOR:-$ROOT/target/release/veedor}"
RESULTS="$ROOT/data/ve2024/RESULTADOS_2024_CSV_V1.csv"
[ -f "$ROOT/../shared/data/ve2024/RESULTADOS_2024_CSV_V1.csv" ] &&
  RESULTS="$ROOT/../shared/data/ve2024/RESULTADOS_2024_CSV_V1.csv"

# condition:count, 1,200 sheets in all.
MIX="dpi150:200 dpi200:300 dpi300:200 grey:100 colour:100 skewed:60 rot180:40 lowjpeg:40 fold:30 stamp:30 phone:60 combined:20 dimphoto:20"

[ "${BUILD:-1}" = 0 ] || (cd "$ROOT" && cargo build --release --locked -p veedor)

fresh_data() {
  rm -rf "$1"
  "$VEEDOR" --data "$1" init --election "$ROOT/elections/ve-2024-presidential.toml" >/dev/null
  "$VEEDOR" --data "$1" import results --defines-tables "$RESULTS" >/dev/null
}

if [ -z "${SKIP_RENDER:-}" ]; then
  rm -rf "$OUT/sheets"
  fresh_data "$OUT/render-data"
  echo "rendering: $(uptime)"
  render() {
    local seed=1 pair
    for pair in $MIX; do
      "$VEEDOR" --data "$OUT/render-data" generate sheets --count "${pair##*:}" --condition "${pair%%:*}" \
        --seed $((seed * 100000)) -o "$OUT/sheets/${pair%%:*}" >/dev/null
      seed=$((seed + 1))
    done
  }
  # real = wall clock, user + sys = CPU time of every rendering process.
  time render
  echo "rendered $(find "$OUT/sheets" -name '*.jpg' | wc -l) sheets ($(du -sh "$OUT/sheets" | cut -f1)); $(uptime)"
fi

fresh_data "$OUT/data"
sync
echo "ingesting: $(uptime)"
/usr/bin/time -v "$VEEDOR" --data "$OUT/data" ingest "$OUT/sheets" 2>"$OUT/time.txt" | tee "$OUT/ingest.txt" || echo "ingest exit status $?"
grep -E "Elapsed|Maximum resident|User time|System time|Percent of CPU|File system outputs" "$OUT/time.txt"
echo "after: $(uptime)"
