#!/usr/bin/env bash
# Several processes on one PostgreSQL: report intake with wrk through the real nginx against
# one server process and against two (round robin), on the same database and the same cores;
# then how long a boundary redrawn through one process takes to be applied by the other
# (PATCH answered → the other process locates by the new boundary), over 40 redraws. Two
# processes run with the default 4 intake writers each, with them shared out (2 each: the
# same 4 in all as the single process) and with one each (as the README advises for two
# processes on one machine), the cores shared out too in the last two (TOKIO_WORKER_THREADS).
# Prints Markdown for BENCHMARKS.md and keeps a copy in bench/results/.
#
# SZ_DURATION (default 30s), SZ_CONNECTIONS (default 64). SZ_PROFILE=1 also samples every
# process on the machine with `perf record -a` for 15 s in the middle of each load and prints
# where the CPU went, by program (a report by function over the whole machine takes longer
# than these 2 cores can spare, so it is left out).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
cargo build --release -q -p shanzhi
duration="${SZ_DURATION:-30s}"
connections="${SZ_CONNECTIONS:-64}"
pg_admin="${SHANZHI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
bin="$PWD/target/release/shanzhi"
work=$(mktemp -d)
chmod 777 "$work" # nginx's workers write their temporary files here
# Every process started is noted here, to be stopped whatever happens.
stop_all() {
  [ -f "$work/pids" ] && kill $(cat "$work/pids") 2>/dev/null || true
  for _ in $(seq 1 50); do
    [ -f "$work/pids" ] && kill -0 $(cat "$work/pids") 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$work/pids"
}
trap 'stop_all; rm -rf "$work"' EXIT
url="${pg_admin%/*}/sz_bench_cluster"
front=18390
ports=(18391 18392)

"$bin" demo --out "$work/demo.json"
python3 bench/grid_points.py "$work/demo.json" > "$work/points.lua"

fresh_db() {
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS sz_bench_cluster WITH (FORCE)" >/dev/null
  psql "$pg_admin" -qc "CREATE DATABASE sz_bench_cluster ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0" >/dev/null
}
serve() { # index (0 or 1)
  mkdir -p "$work/data$1"
  TOKIO_WORKER_THREADS="${threads:-$(nproc)}" SHANZHI_INTAKE_WRITERS="${writers:-4}" SHANZHI_ESCALATION_INTERVAL=3600 RUST_LOG=warn "$bin" serve --demo --bind "127.0.0.1:${ports[$1]}" \
    --data-dir "$work/data$1" --key-file "$work/keys.txt" --database-url "$url" \
    --trusted-proxy 127.0.0.1 >>"$work/server$1.log" 2>&1 &
  echo $! >>"$work/pids"
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:${ports[$1]}/healthz" >/dev/null && return 0; sleep 0.2; done
  echo "server $1 did not start"; cat "$work/server$1.log"; exit 1
}
proxy() { # upstream servers…
  local upstream=""
  for s in "$@"; do upstream+="server 127.0.0.1:$s;"; done
  cat >"$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off; client_body_temp_path $work/body; proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  upstream shanzhi { $upstream keepalive 64; }
  server {
    listen 127.0.0.1:$front;
    location / {
      proxy_pass http://shanzhi; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host \$http_host; proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
  /usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
  echo $! >>"$work/pids"
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$front/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "nginx did not start"; cat "$work/nginx.err"; exit 1
}
token() { # port
  curl -fs -X POST "http://127.0.0.1:$1/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"username":"zhzx","password":"Shanzhi2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
load() { # label
  local sampler=""
  if [ -n "${SZ_PROFILE:-}" ]; then
    (sleep 5; perf record -a -F 199 -o "$work/perf.data" -- sleep 15 >/dev/null 2>&1) &
    sampler=$!
  fi
  SZ_TOKEN=$(token "$front") SZ_POINTS="$work/points.lua" wrk -t2 -c"$connections" -d"$duration" --latency \
    -s bench/intake.lua "http://127.0.0.1:$front" >"$work/wrk.txt" 2>"$work/wrk.err" || true
  if [ -n "$sampler" ]; then
    wait "$sampler" || true
    # Thread names tell the programs apart: postgres, nginx, wrk, and the server's tokio-rt-worker.
    perf report -i "$work/perf.data" --no-children -g none --sort comm --stdio 2>/dev/null \
      | awk '/%/ && !/^#/ {print "    " $0}' | head -12 >"$work/profile.txt"
    { echo "## $1"; cat "$work/profile.txt"; echo; } >>"$work/profiles.md"
  fi
  local rps p50 p99 total non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
  total=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt"); non2xx=${non2xx:-0}
  echo "| $1 | $total ($non2xx not 201) | $rps reports/s | $p50 | $p99 |"
}

mkdir -p bench/results
out="bench/results/cluster-$(date -u +%Y%m%dT%H%M%SZ).md"
{
echo "# Several processes on one PostgreSQL, $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; $(psql --version | head -n1); $(/usr/sbin/nginx -v 2>&1); $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)."
echo "Command: bench/cluster.sh (wrk -t2 -c$connections -d$duration --latency through nginx; server processes, nginx, wrk and PostgreSQL on the same $(nproc) cores; release build)"
echo
echo "| layout | requests | throughput | p50 | p99 |"
echo "|---|---|---|---|---|"
fresh_db; serve 0; proxy "${ports[0]}"
load "nginx → 1 process"
stop_all
fresh_db; serve 0; serve 1; proxy "${ports[@]}"
load "nginx → 2 processes (round robin), 4 intake writers each"
stop_all
# The intake writers and the cores shared out, for processes on one
# database and on one machine.
writers=2; threads=$(( $(nproc) / 2 ))
fresh_db; serve 0; serve 1; proxy "${ports[@]}"
load "nginx → 2 processes (round robin), 2 intake writers and $threads worker thread(s) each"
stop_all
# One writer each: every commit gathers all its process's waiting reports, as the single
# process's turn-taking writers do, and the two processes' commits overlap each other.
writers=1
fresh_db; serve 0; serve 1; proxy "${ports[@]}"
load "nginx → 2 processes (round robin), 1 intake writer and $threads worker thread(s) each"
echo
python3 - "${ports[0]}" "${ports[1]}" "$(token "${ports[0]}")" "$work/demo.json" <<'PY'
# A grid redrawn through A, alternately to a small square around a point and away from it; the
# delay is from A's answer to the first answer of B's locate that reflects the new boundary.
import http.client, json, sys, time
a, b, token, demo = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
features = json.load(open(demo))["features"]
codes = {f["properties"]["code"] for f in features}
# A leaf: a micro-grid, or a grid without any (locate answers the deepest node).
grid = next(f for f in features
            if len(f["properties"]["code"]) >= 15 and f["properties"].get("class", "comprehensive") == "comprehensive"
            and not any(c.startswith(f["properties"]["code"]) and c != f["properties"]["code"] for c in codes))
code = grid["properties"]["code"]
ring = grid["geometry"]["coordinates"][0][:-1]
x, y = sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
def square(cx, cy, r):
    return {"type": "Polygon", "coordinates": [[[cx - r, cy - r], [cx + r, cy - r], [cx + r, cy + r], [cx - r, cy + r], [cx - r, cy - r]]]}
head = {"authorization": "Bearer " + token, "content-type": "application/json"}
ca, cb = http.client.HTTPConnection("127.0.0.1", a), http.client.HTTPConnection("127.0.0.1", b)
def locate():
    cb.request("GET", f"/api/v1/locate?lon={x:.7f}&lat={y:.7f}", headers=head)
    r = cb.getresponse(); body = r.read()
    return json.loads(body)["node"]["code"] == code if r.status == 200 else False
delays = []
for i in range(40):
    inside = i % 2 == 0
    shape = square(x, y, 0.0005) if inside else square(x + 0.01, y + 0.01, 0.0005)
    ca.request("PATCH", f"/api/v1/regions/{code}", body=json.dumps({"boundary": shape}), headers=head)
    r = ca.getresponse(); r.read()
    assert r.status == 200, r.status
    t0 = time.perf_counter()
    while locate() != inside:
        if time.perf_counter() - t0 > 10:
            sys.exit("B never applied the redraw")
    delays.append((time.perf_counter() - t0) * 1000)
delays.sort()
pick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]
print(f"Boundary redrawn through one process, applied by the other ({len(delays)} redraws, idle): "
      f"p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {delays[-1]:.1f} ms.")
PY
stop_all
} | tee "$out"
if [ -f "$work/profiles.md" ]; then
  { echo; echo "Where the CPU went (perf record -a, 15 s in the middle of each load):"; echo; cat "$work/profiles.md"; } | tee -a "$out"
fi
