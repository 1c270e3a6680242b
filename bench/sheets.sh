#!/usr/bin/env bash
# Sheets as communities send them (issue #19), on SQLite with `shanzhi import residents`: the
# same residents from UTF-8 CSV (the figure BENCHMARKS.md records, ≥ 50,000 rows/s), from GBK
# CSV with CRLF line ends under a title row (Excel or WPS on a Chinese Windows), and from .xls
# (Excel 97–2003, at most 65,536 rows a sheet); then the register sent again as a refresh
# (--update) with one row in ten changed: the preview (--check-only) and the write. Each run
# starts from the demo district; peak RSS from /usr/bin/time. Prints Markdown and keeps it in
# bench/results/.
#
# SZ_ROWS (default 200000), SZ_XLS_ROWS (default 60000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
cargo build --release -q -p shanzhi
rows="${SZ_ROWS:-200000}"
xls_rows="${SZ_XLS_ROWS:-60000}"
bin="$PWD/target/release/shanzhi"
port=18386
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
out="bench/results/sheets-$(date -u +%Y%m%dT%H%M%SZ).md"
mkdir -p bench/results
# xlwt writes .xls; it lives in a venv of the repo's own.
venv=target/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import xlwt' 2>/dev/null || "$venv/bin/pip" install -q xlwt==1.3.0

"$bin" demo --out "$work/demo.json"
# One community's grids: a community officer (sq01) keeps its register; administrators do not.
python3 bench/residents_sheet.py "$work/demo.json" "$rows" "$work/utf8.csv" /dev/null 450802001001
python3 bench/residents_sheet.py "$work/demo.json" "$xls_rows" "$work/small.csv" /dev/null 450802001001
"$venv/bin/python" - "$work" <<'PY'
import csv, sys, xlwt
work = sys.argv[1]
lines = open(f"{work}/utf8.csv", encoding="utf-8").read().splitlines()
# GBK with CRLF, a title row and a blank row above the headers.
with open(f"{work}/gbk.csv", "wb") as f:
    f.write(("荷城社区居民信息册\r\n\r\n" + "\r\n".join(lines) + "\r\n").encode("gbk"))
# The refresh: every tenth person has a new phone, every twentieth now lives here (常住).
rows = list(csv.reader(lines))
for i, r in enumerate(rows[1:]):
    if i % 10 == 0:
        r[9] = f"139{i:08d}"
    if i % 20 == 0:
        r[11] = "常住"
with open(f"{work}/changed.csv", "w", encoding="utf-8", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
book = xlwt.Workbook(encoding="utf-8")
sheet = book.add_sheet("居民信息")
for y, r in enumerate(csv.reader(open(f"{work}/small.csv", encoding="utf-8"))):
    for x, v in enumerate(r):
        sheet.write(y, x, v)
book.save(f"{work}/residents.xls")
PY

prepare() { # data-dir
  rm -rf "$1"
  SHANZHI_ESCALATION_INTERVAL=3600 RUST_LOG=warn "$bin" serve --demo --bind "127.0.0.1:$port" \
    --data-dir "$1" >>"$work/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
import() { # label rows file data-dir [flags…]
  local label=$1 n=$2 file=$3 dir=$4
  shift 4
  /usr/bin/time -v -o "$work/time.txt" "$bin" --data-dir "$dir" import residents --file "$file" \
    --as sq01 "$@" >"$work/import.txt" 2>"$work/import.err" \
    || { tail -20 "$work/import.err"; exit 1; }
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/time.txt")
  rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/time.txt")
  local said
  said=$(grep -E "^(已导入|检查通过|新增)" "$work/import.txt" | tr '\n' ' ')
  python3 - "$label" "$n" "$secs" "$rss" "$said" <<'PY' | tee -a "$work/table.md"
import sys
label, n, secs, rss, said = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
print(f"| {label} | {n:,} | {n / secs:,.0f} ({secs:.1f} s) | {rss} MB | {said.strip()} |")
PY
}

{
  echo "# Register sheets in their real forms — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; SQLite; release build; commit $(git rev-parse --short HEAD)."
  echo "Command: bench/sheets.sh (SZ_ROWS=$rows, SZ_XLS_ROWS=$xls_rows); wall time of the whole command as the community officer sq01 (one community's 8 grids), database holding the demo district."
  echo
  echo "| run | rows | rows/s | peak RSS | what the command said |"
  echo "|---|---|---|---|---|"
} > "$out"

prepare "$work/a"
import "UTF-8 CSV (baseline)" "$rows" "$work/utf8.csv" "$work/a"
import "refresh, preview (--update --check-only), 1 in 10 changed" "$rows" "$work/changed.csv" "$work/a" --update --check-only
import "refresh, written (--update)" "$rows" "$work/changed.csv" "$work/a" --update
prepare "$work/b"
import "GBK CSV, CRLF, title row" "$rows" "$work/gbk.csv" "$work/b"
prepare "$work/c"
import "UTF-8 CSV, $xls_rows rows (for the .xls beside it)" "$xls_rows" "$work/small.csv" "$work/c"
prepare "$work/d"
import ".xls (Excel 97–2003)" "$xls_rows" "$work/residents.xls" "$work/d"
cat "$work/table.md" >> "$out"
cat "$out"
