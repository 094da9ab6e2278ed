#!/usr/bin/env bash
# Resource bounds: a 10,000,000-row election is analysed within the memory target, and a 20,000,000-row file and
# a 2.5 GB file are refused naming the limit (--max-rows, --max-input-bytes). Prints wall time, CPU and peak memory
# (/usr/bin/time -v). Needs ~6 GB of disk in the work folder; nothing is written into the repository.
# Usage: bench/big_input.sh [stations]      (BENCH_DIR=folder keeps the files; TESTS=... picks the battery)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stations=${1:-10000000}
work=${BENCH_DIR:-$(mktemp -d)}
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/analyze
measure() { /usr/bin/time -v "$@" 2>&1 | grep -E "^error|timings|User time|System time|Elapsed|Maximum resident" || true; }
mkdir -p "$work/in" "$work/big"
echo "== generating $stations stations x 10 candidates"
measure "$bin" simulate --output "$work/in/big.csv" --seed 1 --stations "$stations" --candidates 10 \
  --regions 24 --districts-per-region 40
ls -l "$work/in/big.csv"
echo "== analysing it (tests: ${TESTS:-turnout_distribution})"
measure "$bin" --input "$work/in" --output "$work/out" --timings -q --tests "${TESTS:-turnout_distribution}"
echo "== twice the rows: refused by --max-rows"
head -1 "$work/in/big.csv" > "$work/big/rows.csv"
tail -n +2 "$work/in/big.csv" >> "$work/big/rows.csv"
tail -n +2 "$work/in/big.csv" >> "$work/big/rows.csv"
ls -l "$work/big/rows.csv"
measure "$bin" --input "$work/big/rows.csv" --mapping "$work/in/big.mapping.toml" --output "$work/out2" -q
echo "== a 2.5 GB file: refused by --max-input-bytes"
cat "$work/big/rows.csv" "$work/in/big.csv" > "$work/big/huge.csv"
ls -l "$work/big/huge.csv"
measure "$bin" --input "$work/big/huge.csv" --mapping "$work/in/big.mapping.toml" --output "$work/out3" -q
rm -f "$work/big/rows.csv" "$work/big/huge.csv"
echo "files in $work"
