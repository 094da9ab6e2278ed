#!/usr/bin/env bash
# Regenerate docs/case-study-venezuela-2024.md (and its -figures/ folder) from a fresh run on the
# Venezuela 2024 tally sheets. The data are not shipped: they are read from ../shared/data beside the
# checkout (or VE_DATA=path/to/RESULTADOS_2024_CSV_V1.csv). Takes ~10-20 min on 2 cores (release
# build; the calibration dominates). Usage: docs/case-study-venezuela-2024.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
data=${VE_DATA:-../shared/data/ve2024-actas/RESULTADOS_2024_CSV_V1.csv}
if [ ! -f "$data" ]; then
  echo "error: $data not found; set VE_DATA to the Venezuela 2024 tally-sheet CSV" >&2
  exit 2
fi
bin=${ANALYZE:-${CARGO_TARGET_DIR:-$root/target}/release/analyze}
[ -x "$bin" ] || cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" --input "$data" --mapping tests/mappings/ve2024.mapping.toml \
  --announced tests/mappings/ve2024.announced.toml --output "$out" -q \
  --calibrate --calibration-replicates 10 --calibration-strengths 0.01,0.05,0.2 \
  --calibration-inner-replicates 100
"$bin" case-study --run "$out/ve2024" --output docs/case-study-venezuela-2024.md \
  --title "Case study: Venezuela, presidential election of 28 July 2024" \
  --intro docs/case-study-venezuela-2024.intro.txt
