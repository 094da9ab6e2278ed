#!/usr/bin/env bash
# Clean panel: how often the battery flags HONEST elections whose structure the tool's own generator does not make.
# For every regime x seed, bench/clean_panel.py generates an honest election (numpy; every count a random draw, no
# manipulation) into a folder of its own, `analyze` runs the battery on it with --seed = seed, and the summariser
# reads each results.json: datasets with any 'deviates' verdict, which tests flag (by subject kind: registered
# voters / candidate votes / turnout-type subjects, and scope: national / regional), the share of applicable
# findings with raw p < 0.05 per test (nominal 0.05), and the strongest false flags. The regimes (narrow_sizes,
# mid_sizes, lognormal_sizes, lognormal_unclipped (its control: no pile-up at the clip values), table_cap,
# allocated_rolls, overdispersed, partial_candidacy, polarized_regions, urban_rural, small_regions, big) and why
# each resembles real files are described in the docstring of bench/clean_panel.py.
# `wisconsin` is a real clean reference: the six Wisconsin elections 2012-2022 by reporting unit (county = region,
# candidates dem / rep / other, valid = total, no registered voters), read from ../shared/data (never copied into
# the repository); included by default when the file exists, skipped with a message otherwise.
#
# Usage: bench/clean_panel.sh [seeds=20] [stations=3000]
#   env: SEEDS, STATIONS           same as the arguments
#        REGIMES=a,b,...           regimes to run (default: all but big, plus wisconsin when its data exist)
#        BIG=1                     add `big` (1,000,000 stations, 10 candidates) with BIG_SEEDS seeds (default 2)
#        BIG_STATIONS=N            stations of `big` (default 1000000)
#        REPLICATES=N              --replicates (default: the tool's default)
#        TESTS=a,b                 --tests (default: the whole battery)
#        EXTRA="--correction holm" further options passed to analyze
#        JOBS=2                    analyze processes at a time
#        OUT=FILE                  also write the full output to FILE
#        TABLE_SPLIT=fill|even     how table_cap cuts a centre's roll (default fill: blocks of 600)
#        ANALYZE=path              binary (default: the release build of this checkout, built when missing)
#        WI_DATA=path              Wisconsin file (default ../shared/data/us-wi-reporting-units/...)
#        KEEP=1                    keep the temporary folder (inputs and outputs) and print its path
# Example: OUT=bench/clean-panel-before.txt bench/clean_panel.sh 20
#          REGIMES=big BIG_SEEDS=1 bench/clean_panel.sh
# numpy: used from python3 if importable, else from a venv in ${CLEAN_PANEL_VENV:-~/.cache/clean-panel-venv}
# (created on first use, numpy from PyPI).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SEEDS=${1:-${SEEDS:-20}}
STATIONS=${2:-${STATIONS:-3000}}
root=$(cd "$(dirname "$0")/.." && pwd)
ANALYZE=${ANALYZE:-${CARGO_TARGET_DIR:-$root/target}/release/analyze}
[ -x "$ANALYZE" ] || cargo build --release --quiet --manifest-path "$root/Cargo.toml"
JOBS=${JOBS:-2}
BIG_SEEDS=${BIG_SEEDS:-2}
WI_DATA=${WI_DATA:-$root/../shared/data/us-wi-reporting-units/OriginalWEC_Pres-GOV_2012-2022_ReportingUnits.csv}
[ -x "$ANALYZE" ] || { echo "error: no analyze binary at $ANALYZE (set ANALYZE=...)" >&2; exit 2; }

if python3 -c 'import numpy' 2>/dev/null; then
  PY=python3
else
  venv=${CLEAN_PANEL_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/clean-panel-venv}
  if ! "$venv/bin/python" -c 'import numpy' 2>/dev/null; then
    echo "creating a venv for numpy in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q numpy
  fi
  PY=$venv/bin/python
fi

if [ -n "${REGIMES:-}" ]; then
  regimes=${REGIMES//,/ }
else
  regimes="narrow_sizes mid_sizes lognormal_sizes lognormal_unclipped table_cap allocated_rolls overdispersed partial_candidacy polarized_regions urban_rural small_regions"
  [ -f "$WI_DATA" ] && regimes="$regimes wisconsin"
fi
[ "${BIG:-0}" = 1 ] && [[ " $regimes " != *" big "* ]] && regimes="$regimes big"

work=$(mktemp -d "${TMPDIR:-/tmp}/clean-panel.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
opts=(-q)
[ -n "${REPLICATES:-}" ] && opts+=(--replicates "$REPLICATES")
[ -n "${TESTS:-}" ] && opts+=(--tests "$TESTS")
# shellcheck disable=SC2206
[ -n "${EXTRA:-}" ] && opts+=($EXTRA)

# One dataset: analyze <in>/<seed> into <out>/<seed>, stderr and exit code in <out>/<seed>.log; only results.json
# and report.md are kept.
run_one() {
  local seed=$1 in=$2 out=$3; shift 3
  local rc=0
  "$ANALYZE" --input "$in/$seed" --output "$out/$seed" --seed "$seed" "$@" 2>"$out/$seed.log" || rc=$?
  [ "$rc" = 0 ] || echo "exit code $rc" >>"$out/$seed.log"
  find "$out/$seed" -mindepth 2 ! -name results.json ! -name report.md ! -type d -delete 2>/dev/null || true
  find "$out/$seed" -mindepth 2 -type d -empty -delete 2>/dev/null || true
  rm -rf "$in/$seed"
}
export -f run_one
export ANALYZE

results=$work/summary.txt
{
  echo "# clean panel — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "# command: SEEDS=$SEEDS STATIONS=$STATIONS REGIMES=\"${regimes}\" BIG_SEEDS=$BIG_SEEDS REPLICATES=${REPLICATES:-default} TESTS=${TESTS:-all} EXTRA=\"${EXTRA:-}\" TABLE_SPLIT=${TABLE_SPLIT:-fill} JOBS=$JOBS bench/clean_panel.sh"
  echo "# binary: $ANALYZE ($("$ANALYZE" --version 2>/dev/null || echo '?'))"
  echo "# machine: $(nproc) cores"
} | tee "$results"
: >"$work/times"
if [ -z "${REGIMES:-}" ] && [ ! -f "$WI_DATA" ]; then echo "# wisconsin: skipped, no data at $WI_DATA" | tee -a "$results"; fi
for regime in $regimes; do
  in=$work/in/$regime; out=$work/out/$regime
  mkdir -p "$in" "$out"
  t0=$(date +%s.%N)
  case $regime in
    wisconsin)
      if [ ! -f "$WI_DATA" ]; then echo "# wisconsin: skipped, no data at $WI_DATA" | tee -a "$results"; continue; fi
      "$PY" "$root/bench/clean_panel.py" wisconsin --src "$WI_DATA" --dir "$in" 2>/dev/null ;;
    big)
      "$PY" "$root/bench/clean_panel.py" generate --regime big --seeds "1-$BIG_SEEDS" --dir "$in" ;;
    *)
      "$PY" "$root/bench/clean_panel.py" generate --regime "$regime" --seeds "1-$SEEDS" --stations "$STATIONS" --dir "$in" ;;
  esac
  t1=$(date +%s.%N)
  n=$(find "$in" -mindepth 1 -maxdepth 1 -type d | wc -l)
  find "$in" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -n |
    xargs -P "$JOBS" -I{} bash -c 'run_one "$@"' _ {} "$in" "$out" "${opts[@]}" || true
  t2=$(date +%s.%N)
  line=$(awk -v g="$t1" -v s="$t0" -v e="$t2" -v n="$n" -v j="$JOBS" \
    'BEGIN{printf "%.0fs (generate %.1fs, analyze %.0fs for %d datasets, %d at a time)", e-s, g-s, e-g, n, j}')
  echo "$regime $line" >>"$work/times"
  echo "# $regime: $line" | tee -a "$results" >&2
done
echo | tee -a "$results"
"$PY" "$root/bench/clean_panel.py" summarise --out "$work/out" --times "$work/times" --results "$results"
[ -n "${OUT:-}" ] && cp "$results" "$OUT"
[ "${KEEP:-0}" = 1 ] && echo "kept $work" >&2
exit 0
