#!/usr/bin/env bash
# 爱心超市 race: 64 clients redeem from one shelf of limited stock through the release server
# until it is empty, on SQLite and on PostgreSQL; then proves stock and balances are exact.
# Prints Markdown for BENCHMARKS.md and keeps a copy in bench/results/.
#
# SZ_CLIENTS (default 64), SZ_STOCK (default 1000), SZ_BACKENDS (default "sqlite postgres").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
cargo build --release -q -p shanzhi
clients="${SZ_CLIENTS:-64}"
stock="${SZ_STOCK:-1000}"
pg_admin="${SHANZHI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
bin=target/release/shanzhi
port=18381
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p bench/results
out="bench/results/redemptions-$(date -u +%Y%m%dT%H%M%SZ).md"
{
echo "# 爱心超市 redemption race, $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; $(psql --version | head -n1)."
echo "Command: bench/redemptions.sh (release build; server and the Python client threads on the same machine)"
for backend in ${SZ_BACKENDS:-sqlite postgres}; do
  rm -rf "$work/data"; mkdir -p "$work/data"
  url=""
  if [ "$backend" = postgres ]; then
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS sz_bench_redeem WITH (FORCE)" >/dev/null
    psql "$pg_admin" -qc "CREATE DATABASE sz_bench_redeem ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0" >/dev/null
    url="${pg_admin%/*}/sz_bench_redeem"
  fi
  SHANZHI_ESCALATION_INTERVAL=3600 RUST_LOG=warn "$bin" serve --demo --bind "127.0.0.1:$port" \
    --data-dir "$work/data" ${url:+--database-url "$url"} >>"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  echo
  echo "## $backend"
  echo
  echo "| race | requests | outcomes | throughput | p50 | p99 | books afterwards |"
  echo "|---|---|---|---|---|---|---|"
  python3 bench/redemptions_client.py "http://127.0.0.1:$port" "$clients" "$stock"
  kill "$server"; wait "$server" 2>/dev/null || true
done
} | tee "$out"
