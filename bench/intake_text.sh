#!/usr/bin/env bash
# Smart intake benchmark (issue #23): the category suggestions' accuracy on the demo's
# history (last month held out, by history size), on texts written by hand apart from the
# demo's templates (bench/heldout_texts.tsv), their calibration at the 12345 import's
# threshold, and the speed of learning (200,000 cases) and suggesting. Address → grid at
# city scale is bench/geocode.sh. Prints Markdown and keeps it in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
out="bench/results/intake-text-$(date -u +%Y%m%dT%H%M%SZ).md"
mkdir -p bench/results
{
  echo "# Category suggestions — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM."
  echo
  cargo bench -q -p shanzhi --bench classify 2>"$out.err"
  echo
  sed 's/^/- /' "$out.err"
} > "$out"
rm -f "$out.err"
cat "$out"
