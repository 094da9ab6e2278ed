#!/usr/bin/env bash
# False-positive rate of every test on clean synthetic elections (and detection on tampered ones).
# For each seed: generate a clean election (and, with TAMPER=1, the same election with digits invented
# in half of region 2), run the battery, and count findings with a calibrated p < 0.05 (nominal 5 %)
# and datasets with any 'deviates' verdict after Benjamini–Hochberg (nominal <= 5 %).
# Usage: bench/fpr.sh [seeds=200] [stations=3000] [replicates=200]; EXTRA="--correction holm" adds options.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seeds=${1:-200}; stations=${2:-3000}; replicates=${3:-200}
bin=${ANALYZE:-${CARGO_TARGET_DIR:-$root/target}/release/analyze}
[ -x "$bin" ] || cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=$(mktemp -d)
for seed in $(seq 1 "$seeds"); do
  mkdir -p "$work/in/$seed"
  "$bin" simulate --output "$work/in/$seed/clean.csv" --seed "$seed" --stations "$stations" 2>/dev/null
  if [ "${TAMPER:-0}" = 1 ]; then
    "$bin" simulate --output "$work/in/$seed/tampered.csv" --seed "$seed" --stations "$stations" \
      --fabricate-region 2 --fabricate-share 0.5 2>/dev/null
  fi
  # The descriptive tests (fingerprint, klimek_model) never enter the adjustment: left out for speed.
  "$bin" --input "$work/in/$seed" --output "$work/out/$seed" --seed "$seed" --replicates "$replicates" -q \
    --tests "$("$bin" list-tests | awk '{print $1}' | grep -v -e '^fingerprint$' -e '^klimek_model$' | paste -sd,)" ${EXTRA:-}
done
python3 "$root/bench/fpr.py" "$work/out"
rm -rf "$work"
