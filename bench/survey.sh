#!/usr/bin/env bash
# Survey load test: 200 concurrent clients answer one device survey (every answer from a new
# device) through the release server for 60 s, with wrk, on SQLite and on PostgreSQL; then
# checks the survey's stored answer count against the answers wrk saw accepted. Prints
# Markdown for BENCHMARKS.md and keeps a copy in bench/results/.
#
# SZ_DURATION (default 60s), SZ_CONNECTIONS (default 200), SZ_BACKENDS (default "sqlite postgres").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
cargo build --release -q -p shanzhi
duration="${SZ_DURATION:-60s}"
connections="${SZ_CONNECTIONS:-200}"
pg_admin="${SHANZHI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
bin=target/release/shanzhi
port=18382
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
api() { # method path [body]
  curl -fs -X "$1" "http://127.0.0.1:$port$2" -H 'content-type: application/json' -H "authorization: Bearer $tok" ${3:+-d "$3"}
}

mkdir -p bench/results
out="bench/results/survey-$(date -u +%Y%m%dT%H%M%SZ).md"
{
echo "# Survey load test, $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; $(psql --version | head -n1); $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)."
echo "Command: bench/survey.sh (wrk -t2 -c$connections -d$duration --latency, release build, server and wrk on the same 2 cores)"
for backend in ${SZ_BACKENDS:-sqlite postgres}; do
  rm -rf "$work/data"; mkdir -p "$work/data"
  url=""
  if [ "$backend" = postgres ]; then
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS sz_bench_survey WITH (FORCE)" >/dev/null
    psql "$pg_admin" -qc "CREATE DATABASE sz_bench_survey ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0" >/dev/null
    url="${pg_admin%/*}/sz_bench_survey"
  fi
  # Every request comes from 127.0.0.1: lift the per-address limit for the run.
  SHANZHI_SURVEY_ANSWERS_PER_MINUTE=100000000 SHANZHI_ESCALATION_INTERVAL=3600 RUST_LOG=warn \
    "$bin" serve --demo --bind "127.0.0.1:$port" --data-dir "$work/data" ${url:+--database-url "$url"} >>"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  tok=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"username":"sq01","password":"Shanzhi2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  closes=$(date -u -d '+7 days' +%Y-%m-%d)
  id=$(api POST /api/v1/surveys "{\"node\":\"450802001001\",\"title\":\"压测问卷\",\"mode\":\"device\",\"closes\":\"$closes\",\"questions\":[
    {\"kind\":\"single\",\"title\":\"您支持加装电梯吗？\",\"options\":[\"支持\",\"不支持\",\"无所谓\"],\"required\":true},
    {\"kind\":\"multiple\",\"title\":\"您关心哪些问题？\",\"options\":[\"费用分摊\",\"采光\",\"噪音\"]},
    {\"kind\":\"rating\",\"title\":\"出行便利程度\",\"required\":true},
    {\"kind\":\"text\",\"title\":\"其他意见\"}]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["survey"]["id"])')
  SZ_PATH="/api/v1/public/surveys/$id/answers" wrk -t2 -c"$connections" -d"$duration" --latency \
    -s bench/survey.lua "http://127.0.0.1:$port" >"$work/wrk.txt" 2>"$work/wrk.err" || true
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt"); non2xx=${non2xx:-0}
  total=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  stored=$(api GET "/api/v1/surveys/$id/results" | python3 -c 'import json,sys; print(json.load(sys.stdin)["responses"])')
  kill "$server"; wait "$server" 2>/dev/null || true
  echo
  echo "## $backend"
  echo
  echo "| what | throughput | p50 | p99 | stored afterwards |"
  echo "|---|---|---|---|---|"
  echo "| POST /api/v1/public/surveys/{id}/answers, $connections connections, $duration ($total requests, $non2xx not 201) | **$rps answers/s** | $p50 | $p99 | $stored answers, each from its own device (wrk counted $((total - non2xx)) accepted; up to $connections more were in flight when it stopped counting: $([ "$stored" -ge $((total - non2xx)) ] && [ "$stored" -le $((total - non2xx + connections)) ] && echo consistent || echo INCONSISTENT)) |"
done
} | tee "$out"
