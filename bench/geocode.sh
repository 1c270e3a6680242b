#!/usr/bin/env bash
# Address → grid benchmark (issue #23): the gazetteer of a generated city (33,000 grids,
# 990,000 buildings with their addresses) built, then 200,000 addresses read on one thread.
# Prints Markdown and keeps it in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
out="bench/results/geocode-$(date -u +%Y%m%dT%H%M%SZ).md"
mkdir -p bench/results
{
  echo "# Address → grid at city scale — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM."
  echo
  echo "| what | rate or time | latency or memory | note |"
  echo "|---|---|---|---|"
  cargo bench -q -p shanzhi --bench geocode_city 2>"$out.err"
  sed 's/^/- /' "$out.err"
} > "$out"
rm -f "$out.err"
cat "$out"
