#!/usr/bin/env bash
# Several processes on one PostgreSQL: report intake with wrk through the real nginx against
# one server process and against two (round robin), on the same database and the same cores;
# then how long a boundary redrawn through one process takes to be applied by the other
# (PATCH answered → the other process locates by the new boundary), over 40 redraws.
# Prints Markdown for BENCHMARKS.md and keeps a copy in bench/results/.
#
# SZ_DURATION (default 30s), SZ_CONNECTIONS (default 64).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
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
  SHANZHI_ESCALATION_INTERVAL=3600 RUST_LOG=warn "$bin" serve --demo --bind "127.0.0.1:${ports[$1]}" \
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
  SZ_TOKEN=$(token "$front") SZ_POINTS="$work/points.lua" wrk -t2 -c"$connections" -d"$duration" --latency \
    -s bench/intake.lua "http://127.0.0.1:$front" >"$work/wrk.txt" 2>"$work/wrk.err" || true
  local rps p50 p99 total non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
  total=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt"); non2xx=${non2xx:-0}
  echo "| $1 | $total ($non2xx not 201) | $rps reports/s | $p50 | $p99 |"
}


fresh_db; serve 0; serve 1; proxy "${ports[@]}"
( for i in $(seq 1 40); do sleep 0.5; psql "$url" -Atc "select coalesce(wait_event_type,'-')||':'||coalesce(wait_event,'-')||':'||state, count(*) from pg_stat_activity where datname='sz_bench_cluster' and pid<>pg_backend_pid() group by 1" ; done > /tmp/waits.txt ) &
( sleep 8; top -b -n 3 -d 3 | grep -A12 "PID USER" > /tmp/top.txt ) &
load "2 processes"
wait
stop_all
