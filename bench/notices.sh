#!/usr/bin/env bash
# Warning benchmark (issue #22): the generated city (SZ_GRIDS 33,000 grids) with SZ_HOUSEHOLDS
# (1,350,000) households, about one in ten vulnerable and one in four with a phone opted in,
# added to the demo database on SQLite and on PostgreSQL; then a 预警 for the whole city written
# as the server writes it (notice, grids, 叫应 calls and texts in one transaction), and the 叫应
# progress per grid of the city and of a street, warm. Prints Markdown and keeps it in
# bench/results/. SZ_BACKENDS picks (default "sqlite postgres").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
cargo build --release -q -p shanzhi
pg_admin="${SHANZHI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
bin="$PWD/target/release/shanzhi"
port=18383
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
out="bench/results/notices-$(date -u +%Y%m%dT%H%M%SZ).md"
mkdir -p bench/results

seed() { # data-dir [database-url]: the demo, then the server stops
  RUST_LOG=warn "$bin" serve --demo --bind "127.0.0.1:$port" --data-dir "$1" \
    ${2:+--database-url "$2"} >>"$work/server.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
  kill "$server"; wait "$server" 2>/dev/null || true
}
run() { # label data-dir db [database-url]
  seed "$2" "${4:-}"
  echo -e "\n### $1\n" >> "$out"
  SHANZHI_BENCH_DB="$3" cargo bench -q -p shanzhi --bench notice_city 2>"$work/gen.err" >"$work/rows.md" \
    || { grep -v "^ *[0-9]*: \| at " "$work/gen.err" | tail -20; exit 1; }
  sed 's/^/- generated: /' "$work/gen.err" >> "$out"
  echo >> "$out"
  echo "| what | rounds | p50 (or time) | p95 |" >> "$out"
  echo "|---|---|---|---|" >> "$out"
  cat "$work/rows.md" >> "$out"
}

{
  echo "# Warnings at city scale — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM."
} > "$out"

backends="${SZ_BACKENDS:-sqlite postgres}"
if [[ " $backends " == *" sqlite "* ]]; then
  mkdir -p "$work/sqlite"
  run "SQLite" "$work/sqlite" "$work/sqlite/shanzhi.db"
  rm -rf "$work/sqlite"
fi
if [[ " $backends " == *" postgres "* ]]; then
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS shanzhi_bench_notices" >/dev/null
  psql "$pg_admin" -qc "CREATE DATABASE shanzhi_bench_notices ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8' TEMPLATE template0" >/dev/null
  pg_url="${pg_admin%/*}/shanzhi_bench_notices"
  mkdir -p "$work/pg"
  run "PostgreSQL" "$work/pg" "$pg_url" "$pg_url"
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS shanzhi_bench_notices" >/dev/null
fi
cat "$out"
