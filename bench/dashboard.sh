#!/usr/bin/env bash
# Dashboard benchmark (issue #5): a generated city (SZ_GRIDS 33,000 grids, SZ_CASES 2,000,000
# cases over a year, SZ_POINTS 10,000,000 patrol points) added to the demo database on SQLite
# and on PostgreSQL; then, warm, one client: the dashboard API for one month (the last full
# one) of a street and of the whole city, and beside it the baseline — the straightforward
# GROUP BY over the raw case table for the same month and areas. Prints Markdown and keeps it
# in bench/results/. SZ_BACKENDS picks (default "sqlite postgres").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
cargo build --release -q -p shanzhi
rounds="${SZ_ROUNDS:-200}"
month="${SZ_MONTH:-$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)}"
pg_admin="${SHANZHI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
bin="$PWD/target/release/shanzhi"
port=18382
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
out="bench/results/dashboard-$(date -u +%Y%m%dT%H%M%SZ).md"
mkdir -p bench/results

serve() { # data-dir [database-url] [--demo]
  SHANZHI_ESCALATION_INTERVAL=3600 RUST_LOG=warn "$bin" serve ${3:-} --bind "127.0.0.1:$port" \
    --data-dir "$1" ${2:+--database-url "$2"} >>"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.5; done
  echo "server did not start"; tail -20 "$work/server.log"; exit 1
}
run() { # label data-dir db [database-url]
  serve "$2" "${4:-}" --demo
  kill "$server"; wait "$server" 2>/dev/null || true
  local start=$(date +%s)
  SHANZHI_BENCH_DB="$3" SZ_MONTH="$month" \
    cargo bench -q -p shanzhi --bench dashboard_city 2>"$work/gen.err" >"$work/baseline.md" \
    || { tail -20 "$work/gen.err"; exit 1; }
  local street
  street=$(awk '/^street / {print $2}' "$work/gen.err")
  echo -e "\n### $1\n" >> "$out"
  grep -v '^street ' "$work/gen.err" | sed 's/^/- generated: /' >> "$out"
  echo "- generation and tallies took $(( $(date +%s) - start )) s" >> "$out"
  echo >> "$out"
  echo "| query (warm, one client) | rounds | cases received | p50 | p95 |" >> "$out"
  echo "|---|---|---|---|---|" >> "$out"
  # The city's command centre reads the figures (administrators see none).
  echo Shanzhi2026 | "$bin" --data-dir "$2" ${4:+--database-url "$4"} user add --username cc4509 \
    --name 市综治中心 --role command_centre --node 4509 >>"$work/server.log" 2>&1
  serve "$2" "${4:-}"
  sleep 30 # let start-up work (the first escalation pass) finish: the figures are for warm use
  python3 bench/dashboard_client.py "http://127.0.0.1:$port" "$month" "$street" "$rounds" >> "$out"
  cat "$work/baseline.md" >> "$out"
  kill "$server"; wait "$server" 2>/dev/null || true
}

{
  echo "# Dashboard at city scale — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; month $month; $rounds rounds each."
} > "$out"

backends="${SZ_BACKENDS:-sqlite postgres}"
if [[ " $backends " == *" sqlite "* ]]; then
mkdir -p "$work/sqlite"
run "SQLite" "$work/sqlite" "$work/sqlite/shanzhi.db"
ls -la "$work/sqlite" | awk '/shanzhi.db$/ {printf "- database file %.1f GB\n", $5/1e9}' >> "$out"
rm -rf "$work/sqlite"
fi
if [[ " $backends " == *" postgres "* ]]; then
psql "$pg_admin" -qc "DROP DATABASE IF EXISTS shanzhi_bench_dashboard" >/dev/null
psql "$pg_admin" -qc "CREATE DATABASE shanzhi_bench_dashboard ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8' TEMPLATE template0" >/dev/null
pg_url="${pg_admin%/*}/shanzhi_bench_dashboard"
mkdir -p "$work/pg"
run "PostgreSQL" "$work/pg" "$pg_url" "$pg_url"
psql "$pg_admin" -Atqc "SELECT '- database size ' || pg_size_pretty(pg_database_size('shanzhi_bench_dashboard'))" >> "$out"
fi
cat "$out"
echo "kept in $out"
