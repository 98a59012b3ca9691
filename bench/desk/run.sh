#!/usr/bin/env bash
# The volunteers' desk under election-night load (BENCHMARKS.md, "Volunteers' desk"): PAGES
# pages without a code wait for people; TYPISTS typists, each on a thread of its own with its
# own session, take and enter them as fast as `veedor serve --volunteers` answers (two agreeing
# entries settle a page into a counted copy); then a witness uploads PHOTOS photos whose code
# reads, and the time until each table's public JSON shows the copy is measured.
#
#   bash bench/desk/run.sh                     # 200 typists, 400 pages, 5 photos
#   TYPISTS=50 PAGES=100 bash bench/desk/run.sh
#
# Every typist signs in from 127.0.0.1, so the per-address sign-in limit is raised
# (--sign-in-limit), as for a counting room behind one NAT. Loopback only; everything goes to bench/out/desk. Release build. Prints the load average
# before and after: the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/desk
TYPISTS=${TYPISTS:-200}
PAGES=${PAGES:-400}
PHOTOS=${PHOTOS:-5}
PORT=${PORT:-18095}
RESULTS=$ROOT/data/ve2024/RESULTADOS_2024_CSV_V1.csv
rm -rf "$OUT"
mkdir -p "$OUT"
cargo build --release --locked -p veedor -p veedor-bench --bin veedor --bin desk
VEEDOR=$ROOT/target/release/veedor
DESK=$ROOT/target/release/desk
DATA=$OUT/data

"$VEEDOR" --data "$DATA" init --election ve-2024-presidential >/dev/null
"$VEEDOR" --data "$DATA" import results --defines-tables "$RESULTS" >/dev/null
# The tables the typists type (the first of the file), and photos of the next ones.
awk -F, 'NR>1 && NR<=401 { printf "%09d.%02d\n", $7, $8 }' "$RESULTS" > "$OUT/tables.txt"
mkdir -p "$OUT/photos"
awk -F, -v n="$PHOTOS" 'NR>401 && NR<=401+n { printf "%09d.%02d\n", $7, $8 }' "$RESULTS" |
  while read -r table; do
    # A real sheet's layout: each candidate's total on their first card; the counts' exact
    # values do not matter to the timing.
    cells=$(python3 -c 'print(",".join(["1"]*38))')
    "$DESK" sheet --out "$OUT/photos/$table.jpg" --payload "$table.1.0001!$cells!0!0"
  done
"$DESK" pages --out "$OUT/pages" --count "$PAGES"
"$VEEDOR" --data "$DATA" ingest "$OUT/pages" >/dev/null
# The accounts: the uploader first, then the typists.
: > "$OUT/codes.txt"
for name in witness $(seq -f "typist-%g" 1 "$TYPISTS"); do
  role=typist
  [ "$name" = witness ] && role=uploader
  code=$("$VEEDOR" --data "$DATA" user add "$name" --role "$role" | awk 'NR==3 { print $1 }')
  echo "$name $code" >> "$OUT/codes.txt"
done

"$VEEDOR" --data "$DATA" serve --volunteers --sign-in-limit 100000 --listen "127.0.0.1:$PORT" > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "^listening" "$OUT/serve.log" && break
  sleep 0.2
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$DESK" run --target "127.0.0.1:$PORT" --codes "$OUT/codes.txt" --typists "$TYPISTS" \
  --tables "$OUT/tables.txt" --photos "$OUT/photos" | tee "$OUT/result.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: $(grep -c . "$OUT/serve.log") log lines; $(nproc) cores; $(uname -r)"
