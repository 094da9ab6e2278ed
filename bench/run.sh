#!/usr/bin/env bash
# Benchmark: load, validate and run the battery on a generated 1,000,000-station, 10-candidate election.
# Release build; prints the tool's own stage timings (--timings) and wall time / peak memory.
# Usage: bench/run.sh [stations] [candidates]     (targets on 2 cores: load+validate < 5 s, peak < 2 GB)
# TESTS=a,b,c limits the battery (e.g. the turnout battery: TESTS=turnout_distribution,vote_share_distribution,
# turnout_share_relation,fingerprint,integer_percentages,extreme_stations,klimek_model).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stations=${1:-1000000}
candidates=${2:-10}
work=${BENCH_DIR:-$(mktemp -d)}
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/analyze
mkdir -p "$work/in"
echo "generating $stations stations x $candidates candidates in $work/in"
/usr/bin/time -f "simulate: %e s wall, %M KB peak" \
  "$bin" simulate --output "$work/in/bench.csv" --seed 1 --stations "$stations" --candidates "$candidates" \
  --regions 24 --districts-per-region 40 --incremental-fraud 0.05 --extreme-fraud 0.01 --fabricate-region 3
ls -l "$work/in/bench.csv"
/usr/bin/time -f "analyze: %e s wall, %U s user, %M KB peak" \
  "$bin" --input "$work/in" --output "$work/out" --timings -q ${TESTS:+--tests "$TESTS"}
echo "outputs in $work/out"
