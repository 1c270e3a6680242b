#!/usr/bin/env bash
# A long steady run on SQLite: reports at a steady pace (half the measured maximum by default)
# with bench/soak_mix.py beside them (the wall screen's dashboard, a grid worker's patrol
# uploads, cases carried through the loop). Every minute: the reports' rate, p50 and p99 (one
# wrk run per minute), the server's RSS, and the database and WAL sizes; then the mix's own
# figures per minute. Prints Markdown for BENCHMARKS.md and keeps a copy in bench/results/.
#
# SZ_MINUTES (default 30), SZ_RATE (reports/s, default 1300: half of the 2,667/s bench/intake.sh
# measured on SQLite in issue #25), SZ_CONNECTIONS (default 32).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
cargo build --release -q -p shanzhi
minutes="${SZ_MINUTES:-30}"
rate="${SZ_RATE:-1300}"
connections="${SZ_CONNECTIONS:-32}"
bin=target/release/shanzhi
port=18385
base="http://127.0.0.1:$port"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" demo --out "$work/demo.json"
python3 bench/grid_points.py "$work/demo.json" > "$work/points.lua"
mkdir -p "$work/data"
SHANZHI_ESCALATION_INTERVAL=3600 RUST_LOG=warn "$bin" serve --demo --bind "127.0.0.1:$port" \
  --data-dir "$work/data" >>"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done
token=$(curl -fs -X POST "$base/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"username":"zhzx","password":"Shanzhi2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# Each connection's pause after an answer, for the rate asked: the time between two reports of
# a connection less the answer's own time (the last minute's median; 2 ms to begin with).
pace() { python3 -c "print(max(0, round($connections * 1000 / $rate - $1)))"; }
pause=$(pace 2)
python3 bench/soak_mix.py "$base" "$minutes" >"$work/mix.tsv" 2>"$work/mix.err" &
mix=$!

mkdir -p bench/results
out="bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ).md"
mib() { awk -v b="${1:-0}" 'BEGIN { printf "%.1f", b / 1048576 }'; }
{
echo "# Soak, $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)."
echo "Command: SZ_MINUTES=$minutes SZ_RATE=$rate SZ_CONNECTIONS=$connections bench/soak.sh (SQLite, release build, $connections connections pausing after each answer for about $((connections * 1000 / rate)) ms less the answer's median time, and bench/soak_mix.py beside them; all on the same 2 cores)"
echo
echo "| minute | reports/s | p50 | p99 | not 201 | server RSS | database | WAL |"
echo "|---|---|---|---|---|---|---|---|"
for m in $(seq 1 "$minutes"); do
  SZ_TOKEN="$token" SZ_POINTS="$work/points.lua" SZ_DELAY_MS="$pause" wrk -t1 -c"$connections" -d60s --latency \
    -s bench/intake.lua "$base" >"$work/wrk.txt" 2>&1 || true
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt")
  rss=$(awk '/VmRSS/ {print $2 * 1024}' "/proc/$server/status")
  db=$(stat -c %s "$work/data/shanzhi.db")
  wal=$(stat -c %s "$work/data/shanzhi.db-wal" 2>/dev/null || echo 0)
  echo "| $m | $rps | $p50 | $p99 | ${non2xx:-0} | $(mib "$rss") MiB | $(mib "$db") MiB | $(mib "$wal") MiB |"
  pause=$(pace "$(awk '$1 == "50%" { v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000; print v }' "$work/wrk.txt")")
done
while kill -0 "$mix" 2>/dev/null; do sleep 1; done
echo
echo "Beside the reports (bench/soak_mix.py), per minute:"
echo
echo "| minute | what | requests | failed | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|"
awk -F'\t' '{print "| " $1 " | " $2 " | " $3 " | " $4 " | " $5 " | " $6 " |"}' "$work/mix.tsv"
if [ -s "$work/mix.err" ]; then
  echo
  echo "Failures (first 5):"; echo; head -n 5 "$work/mix.err" | sed 's/^/    /'
fi
} | tee "$out"
