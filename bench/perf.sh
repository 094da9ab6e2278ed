#!/usr/bin/env bash
# Performance targets of issue 16, measured end to end on the release build: wall time, CPU (user + sys) and
# peak resident memory of each target, from GNU time (`/usr/bin/time`, the same numbers `-v` prints as "Elapsed",
# "User time", "System time" and "Maximum resident set size"; install it with `apt-get install time` when missing).
#
#   target     input                                                    options                        goal
#   ve         Venezuela 2024 tally sheets (../shared/data/ve2024-actas) defaults                       <= 1.0 s wall
#   m1         1,000,000 stations x 10 candidates (analyze simulate)     --replicates 1000 (no budget)  <= 20 s, <= 2 GB
#   m10        10,000,000 stations x 10 candidates                       defaults                       <= 3 GB
#   cal_ve     Venezuela                                                 --calibrate (defaults)         <= 60 s wall
#   cal_100k   100,000 stations x 10 candidates                          --calibrate (defaults)         <= 300 s wall
#   data       the repository's sample data (data/)                      defaults                       (reference)
#
# Each target runs REPEAT times (default 3; 1 for m10 and the calibrations) and the MINIMUM of each measure is
# printed: the development machine is shared with other builds, and the minimum is the least disturbed run. Real
# data that are absent are skipped with a message. Synthetic inputs are generated once into $BENCH_DIR (default
# /tmp/ef-perf) and reused.
#
# Usage: bench/perf.sh [target ...]          (default: data ve m1 cal_ve cal_100k; m10 only when named)
#   env: ANALYZE=path   binary to measure (default: this checkout's release build, built first)
#        REPEAT=N       runs per target     BENCH_DIR=folder   generated inputs and outputs
#        DATA=folder    real data (default ../shared/data)     TESTS=a,b  limit the battery (--tests)
#        OUT=file       also append the table to this file
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${ANALYZE:-}" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  ANALYZE=${CARGO_TARGET_DIR:-$root/target}/release/analyze
fi
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time (GNU time) is missing: sudo apt-get install time" >&2; exit 2; }
work=${BENCH_DIR:-/tmp/ef-perf}
data=${DATA:-$root/../shared/data}
REPEAT=${REPEAT:-3}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(data ve m1 cal_ve cal_100k)
mkdir -p "$work"

synth() { # stations -> folder with one generated election (10 candidates), made once
  local n=$1 dir="$work/in-$1"
  if [ ! -f "$dir/e.csv" ]; then
    mkdir -p "$dir"
    "$ANALYZE" simulate --output "$dir/e.csv" --seed 1 --stations "$n" --candidates 10 \
      --regions 24 --districts-per-region 40 >/dev/null 2>&1
  fi
  echo "$dir"
}

# run NAME REPEAT ARGS...: REPEAT timed runs, prints the minimum wall, CPU and peak RSS
run() {
  local name=$1 reps=$2; shift 2
  local best_wall="" best_cpu="" best_rss="" i
  for i in $(seq 1 "$reps"); do
    rm -rf "$work/out-$name"
    local wall="" user sys rss
    /usr/bin/time -o "$work/time-$name" -f "%e %U %S %M" "$ANALYZE" "$@" --output "$work/out-$name" -q \
      ${TESTS:+--tests "$TESTS"} >/dev/null 2>"$work/err-$name" || true
    read -r wall user sys rss < <(tail -1 "$work/time-$name") || true
    [ -n "${wall:-}" ] || { echo "$name: failed (see $work/err-$name)"; return; }
    local cpu; cpu=$(echo "$user + $sys" | bc)
    if [ -z "$best_wall" ] || (( $(echo "$wall < $best_wall" | bc) )); then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || (( $(echo "$cpu < $best_cpu" | bc) )); then best_cpu=$cpu; fi
    if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
  done
  local line
  line=$(printf "%-10s %9.2f %9.2f %9.0f %5d" "$name" "$best_wall" "$best_cpu" "$((best_rss / 1024))" "$reps")
  echo "$line"
  [ -z "${OUT:-}" ] || echo "$line" >>"$OUT"
}

echo "binary: $ANALYZE ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf "%-10s %9s %9s %9s %5s\n" target "wall s" "cpu s" "peak MB" runs
[ -z "${OUT:-}" ] || printf "%-10s %9s %9s %9s %5s   %s\n" target "wall s" "cpu s" "peak MB" runs "$ANALYZE" >>"$OUT"
ve=$data/ve2024-actas
for t in "${targets[@]}"; do
  case $t in
    data) run data "$REPEAT" --input "$root/data" ;;
    ve) if [ -d "$ve" ]; then run ve "$REPEAT" --input "$ve"; else echo "ve: skipped ($ve absent)"; fi ;;
    m1) run m1 "$REPEAT" --input "$(synth 1000000)" --replicates 1000 --max-station-draws 0 ;;
    m10) run m10 1 --input "$(synth 10000000)" ;;
    cal_ve) if [ -d "$ve" ]; then run cal_ve 1 --input "$ve" --calibrate; else echo "cal_ve: skipped ($ve absent)"; fi ;;
    cal_100k) run cal_100k 1 --input "$(synth 100000)" --calibrate ;;
    *) echo "unknown target $t (data ve m1 m10 cal_ve cal_100k)" >&2; exit 2 ;;
  esac
done
