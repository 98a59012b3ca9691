#!/usr/bin/env bash
# Rendering pages: how long the site's biggest pages take to render, and the size of the release
# `veedor` binary, for two commits side by side (BENCHMARKS.md, "Rendering pages").
#
#   bash bench/web/pages.sh [BEFORE [AFTER]]    # RUNS=10 ROUNDS=5000
#
# By default BEFORE is dced5c1 (the pages written with write! and an escaping helper) and AFTER
# is 0e686ce (the same pages with maud). Each commit is exported with `git archive` to
# bench/out/pages/<commit>, paths of the same length (they end up in the binary), and built in
# release (CARGO_TARGET_DIR, default bench/out/pages/target, shared by both). The 2024 results
# are imported once; then the two commits' `page_render` take turns RUNS times, ROUNDS rounds
# each, and the summary gives each page's median over the runs of the per-run medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$(pwd)/bench/out/pages
BEFORE=$(git rev-parse --short=12 "${1:-dced5c1}")
AFTER=$(git rev-parse --short=12 "${2:-0e686ce}")
RUNS=${RUNS:-10}
ROUNDS=${ROUNDS:-5000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$OUT/target}
mkdir -p "$OUT/bin"

for commit in "$BEFORE" "$AFTER"; do
  rm -rf "${OUT:?}/$commit" && mkdir -p "$OUT/$commit"
  git archive "$commit" | tar -x -C "$OUT/$commit"
  (cd "$OUT/$commit" && cargo build --release --locked -p veedor -p veedor-bench --quiet)
  cp "$CARGO_TARGET_DIR/release/veedor" "$OUT/bin/veedor-$commit"
  cp "$CARGO_TARGET_DIR/release/page_render" "$OUT/bin/page_render-$commit"
  strip -o "$OUT/bin/veedor-$commit.stripped" "$OUT/bin/veedor-$commit"
done

data=$OUT/data
rm -rf "$data"
"$OUT/bin/veedor-$AFTER" --data "$data" init --election ve-2024-presidential >/dev/null
"$OUT/bin/veedor-$AFTER" --data "$data" import results --defines-tables data/ve2024/RESULTADOS_2024_CSV_V1.csv >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for commit in "$BEFORE" "$AFTER"; do
  echo "veedor $commit: $(stat -c %s "$OUT/bin/veedor-$commit") bytes, $(stat -c %s "$OUT/bin/veedor-$commit.stripped") stripped"
done
log=$OUT/runs.txt
: >"$log"
for run in $(seq "$RUNS"); do
  for commit in "$BEFORE" "$AFTER"; do
    echo "== $commit run $run, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
    "$OUT/bin/page_render-$commit" "$data" "$ROUNDS" | tail -n +3 >>"$log"
  done
done
python3 - "$log" <<'PY'
import re, statistics, sys
runs = {}
commit = None
for line in open(sys.argv[1]):
    heading = re.match(r"== (\S+) run", line)
    if heading:
        commit = heading.group(1)
    elif len(line.split()) == 5:
        page, size, p10, median, _p90 = line.split()
        runs.setdefault((page, size), {}).setdefault(commit, []).append((float(median), float(p10)))
commits = list(next(iter(runs.values())))
print("microseconds per page: median over the runs of each run's median, and of each run's p10")
print(f"{'page':<28} {'bytes':>6}  " + "  ".join(f"{c:>16}" for c in commits))
for (page, size), by_commit in runs.items():
    cells = []
    for c in commits:
        medians, p10s = zip(*by_commit[c])
        cells.append(f"{statistics.median(medians):6.1f} ({statistics.median(p10s):5.1f})".rjust(16))
    print(f"{page:<28} {size:>6}  " + "  ".join(cells))
PY
