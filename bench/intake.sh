#!/usr/bin/env bash
# Intake load test: 64 concurrent connections POST full reports (grid locate, durable commit)
# to the release server for 60 s, with wrk, on SQLite and on PostgreSQL; then the baseline of
# plain single-row autocommit INSERTs into the same database; then a kill -9 check that an
# answered report survives. Prints Markdown for BENCHMARKS.md and keeps a copy in bench/results/.
#
# SZ_DURATION (default 60s), SZ_CONNECTIONS (default 64), SZ_BACKENDS (default "sqlite postgres").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
cargo build --release -q -p shanzhi
cargo bench -q -p shanzhi --bench intake_baseline --no-run 2>/dev/null
duration="${SZ_DURATION:-60s}"
connections="${SZ_CONNECTIONS:-64}"
pg_admin="${SHANZHI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
bin=target/release/shanzhi
port=18380
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Points inside the demo district's grids (the mean of each grid's vertices).
"$bin" demo --out "$work/demo.json"
python3 bench/grid_points.py "$work/demo.json" > "$work/points.lua"

start_server() { # backend database-url
  SHANZHI_ESCALATION_INTERVAL=3600 RUST_LOG=warn "$bin" serve --demo --bind "127.0.0.1:$port" \
    --data-dir "$work/data" ${2:+--database-url "$2"} >>"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && return 0; sleep 0.2; done
  echo "server did not start"; cat "$work/server.log"; exit 1
}
token() {
  curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"username":"zhzx","password":"Shanzhi2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

mkdir -p bench/results
out="bench/results/intake-$(date -u +%Y%m%dT%H%M%SZ).md"
{
echo "# Intake load test, $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; $(psql --version | head -n1); $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)."
echo "Command: bench/intake.sh (wrk -t2 -c$connections -d$duration --latency, release build, server and wrk on the same 2 cores)"
for backend in ${SZ_BACKENDS:-sqlite postgres}; do
  rm -rf "$work/data"; mkdir -p "$work/data"
  url=""; db="$work/data/shanzhi.db"
  if [ "$backend" = postgres ]; then
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS sz_bench_intake WITH (FORCE)" >/dev/null
    psql "$pg_admin" -qc "CREATE DATABASE sz_bench_intake ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0" >/dev/null
    url="${pg_admin%/*}/sz_bench_intake"; db="$url"
  fi
  start_server "$backend" "$url"
  # The WAL's largest size during the load, sampled twice a second.
  ( peak=0; while sleep 0.5; do
      n=$(stat -c %s "$work/data/shanzhi.db-wal" 2>/dev/null || echo 0)
      [ "$n" -gt "$peak" ] && peak=$n && echo "$peak" >"$work/wal_peak"
    done ) & sampler=$!
  SZ_TOKEN=$(token) SZ_POINTS="$work/points.lua" wrk -t2 -c"$connections" -d"$duration" --latency \
    -s bench/intake.lua "http://127.0.0.1:$port" >"$work/wrk.txt" 2>"$work/wrk.err" || true
  kill "$sampler" 2>/dev/null || true
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt"); non2xx=${non2xx:-0}
  total=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  # SQLite's WAL just after the load and after three quiet seconds (the server empties it).
  wal() { [ "$backend" = sqlite ] && stat -c %s "$work/data/shanzhi.db-wal" 2>/dev/null || echo 0; }
  wal_loaded=$(wal); sleep 3; wal_quiet=$(wal)
  # Durability: answer one report, kill -9 at once, restart, and look for it.
  tok=$(token)
  id=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/cases" -H 'content-type: application/json' -H "authorization: Bearer $tok" \
    -d '{"category":"03","title":"kill -9 之前的最后一件","description":"持久性检查","node_code":"450802001001001"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  kill -9 "$server"; wait "$server" 2>/dev/null || true
  start_server "$backend" "$url"
  survived=$(curl -fs -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/cases/$id" -H "authorization: Bearer $(token)")
  kill "$server"; wait "$server" 2>/dev/null || true
  echo
  echo "## $backend"
  echo
  echo "| what | throughput | p50 | p99 |"
  echo "|---|---|---|---|"
  echo "| POST /api/v1/cases, $connections connections, $duration ($total requests, $non2xx not 201) | $rps reports/s | $p50 | $p99 |"
  SHANZHI_BENCH_DB="$db" SHANZHI_BENCH_SECONDS=20 cargo bench -q -p shanzhi --bench intake_baseline 2>/dev/null
  echo
  echo "Report answered, then kill -9 and restart: GET /api/v1/cases/$id → $survived."
  if [ "$backend" = sqlite ]; then
    echo
    echo "WAL file: at most $(( $(cat "$work/wal_peak" 2>/dev/null || echo 0) / 1048576 )) MiB during the load, $((wal_loaded / 1048576)) MiB at the end of the load, $((wal_quiet / 1048576)) MiB ($wal_quiet bytes) three seconds later."
  fi
done
} | tee "$out"
