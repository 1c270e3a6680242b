#!/usr/bin/env bash
# Point location (city 33,000 grids, province 400,000 grids) beside PostGIS ST_Contains with a
# GiST index on the same polygons and points, and subtree listing under a 400,000-node tree, in
# one run. Installs PostGIS for the machine's PostgreSQL if missing; prints Markdown for
# BENCHMARKS.md and keeps a copy under bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env
if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "postgresql-${version}-postgis-3" >/dev/null
fi
export SHANZHI_BENCH_PG_URL="${SHANZHI_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
mkdir -p bench/results
out="bench/results/locate-$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "# locate benchmark, $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; $(psql --version | head -n1); PostGIS $(psql "$SHANZHI_BENCH_PG_URL" -tAc "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'")."
  echo "Command: bench/locate.sh (cargo bench -p shanzhi --bench locate)"
  echo
  cargo bench -q -p shanzhi --bench locate 2>/dev/null
} | tee "$out"
