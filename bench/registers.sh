#!/usr/bin/env bash
# Residents register benchmark (issue #4): import SZ_ROWS residents (default 1,000,000) from CSV
# with `shanzhi import` (validation, ID checksum, sealing, blind index, one transaction) on
# SQLite and PostgreSQL, with peak RSS from /usr/bin/time; an xlsx of SZ_XLSX_ROWS rows on
# SQLite; the baseline of SQLite's own `.import` of the same plaintext CSV; then search through
# the HTTP API on a SQLite database of SZ_SEARCH_ROWS residents (default 5,000,000, a city;
# imported with the same command): exact ID number and name prefix within a community,
# SZ_QUERIES (default 2,000) each, p50/p99. Prints Markdown and keeps it in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
cargo build --release -q -p shanzhi
rows="${SZ_ROWS:-1000000}"
xlsx_rows="${SZ_XLSX_ROWS:-1000000}"
queries="${SZ_QUERIES:-2000}"
search_rows="${SZ_SEARCH_ROWS:-5000000}"
pg_admin="${SHANZHI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
bin="$PWD/target/release/shanzhi"
port=18381
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
out="bench/results/registers-$(date -u +%Y%m%dT%H%M%SZ).md"
mkdir -p bench/results

"$bin" demo --out "$work/demo.json"
# One community's grids: its community officer (sq01) keeps and imports the register;
# administrators and the command centre may not write it.
community=450802001001
python3 bench/residents_sheet.py "$work/demo.json" "$rows" "$work/residents.csv" "$work/queries.txt" $community
python3 bench/residents_sheet.py "$work/demo.json" "$xlsx_rows" "$work/residents.xlsx" /dev/null $community

# A database with the demo district (regions and accounts), then the import as sq01.
prepare() { # data-dir [database-url]
  SHANZHI_ESCALATION_INTERVAL=3600 RUST_LOG=warn "$bin" serve --demo --bind "127.0.0.1:$port" \
    --data-dir "$1" ${2:+--database-url "$2"} >>"$work/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
import() { # label file data-dir [database-url]
  /usr/bin/time -v -o "$work/time.txt" "$bin" --data-dir "$3" ${4:+--database-url "$4"} \
    import residents --file "$2" --as sq01 >"$work/import.txt" 2>"$work/import.err" \
    || { cat "$work/import.err" | tail -20; exit 1; }
  local line rss
  line=$(tail -1 "$work/import.txt")
  rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/time.txt")
  echo "| $1 | $line | $rss MB |" | tee -a "$work/table.md"
}

{
  echo "# Residents register import and search — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; rows: $rows (CSV), $xlsx_rows (xlsx)."
  echo
  echo "| run | outcome | peak RSS |"
  echo "|---|---|---|"
} > "$out"

prepare "$work/sqlite"
import "SQLite, CSV" "$work/residents.csv" "$work/sqlite"
prepare "$work/sqlite-x"
import "SQLite, xlsx" "$work/residents.xlsx" "$work/sqlite-x"
psql "$pg_admin" -qc "DROP DATABASE IF EXISTS shanzhi_bench_registers" >/dev/null
psql "$pg_admin" -qc "CREATE DATABASE shanzhi_bench_registers ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8' TEMPLATE template0" >/dev/null
pg_url="${pg_admin%/*}/shanzhi_bench_registers"
prepare "$work/pg" "$pg_url"
import "PostgreSQL, CSV" "$work/residents.csv" "$work/pg" "$pg_url"
cat "$work/table.md" >> "$out"

# Baseline: the same file loaded as plaintext by SQLite's own .import (no checks, no sealing).
start=$(date +%s.%N)
sqlite3 "$work/baseline.db" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
.import --csv $work/residents.csv residents
SQL
end=$(date +%s.%N)
python3 - "$start" "$end" "$rows" >> "$out" <<'PY'
import sys
s, e, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"\nBaseline: `sqlite3 .import --csv` of the same plaintext file: {n} rows in {e - s:.1f} s, {n / (e - s):,.0f} rows/s.\n")
PY

# Search over HTTP on a city-sized SQLite register.
search_dir="$work/sqlite"
search_queries="$work/queries.txt"
if [ "$search_rows" != "$rows" ]; then
  rm -rf "$work/sqlite-x" "$work/pg" "$work/residents.xlsx" "$work/baseline.db"
  python3 bench/residents_sheet.py "$work/demo.json" "$search_rows" "$work/city.csv" "$work/city-queries.txt" $community
  prepare "$work/city"
  : > "$work/table.md"
  import "SQLite, CSV, the city searched below" "$work/city.csv" "$work/city"
  cat "$work/table.md" >> "$out"
  rm -f "$work/city.csv"
  search_dir="$work/city"
  search_queries="$work/city-queries.txt"
fi
echo -e "\nSearch over $search_rows residents:\n" >> "$out"
SHANZHI_ESCALATION_INTERVAL=3600 RUST_LOG=warn "$bin" serve --bind "127.0.0.1:$port" --data-dir "$search_dir" >>"$work/server.log" 2>&1 &
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
python3 bench/residents_search.py "http://127.0.0.1:$port" "$search_queries" "$queries" >> "$out"
cat "$out"
echo "kept in $out"
