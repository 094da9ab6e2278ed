#!/usr/bin/env bash
# Coverage of the klimek_model intervals end to end: for several true (f_i, f_e), generate elections with
# `analyze simulate` (regional heterogeneity, Klimek stuffing and stealing), run `analyze --tests klimek_model`
# and count how often the reported national interval contains the truth.
# Usage: bench/klimek_coverage.sh [seeds=50] [stations=10000]      (prints a table; results in bench/klimek-coverage.txt)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seeds=${1:-50}; stations=${2:-10000}
bin=${ANALYZE:-${CARGO_TARGET_DIR:-$root/target}/release/analyze}
[ -x "$bin" ] || cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=$(mktemp -d)
for truth in "0 0" "0.05 0.01" "0.1 0.02" "0.3 0.03" "0.6 0.05"; do
  set -- $truth
  for seed in $(seq 1 "$seeds"); do
    d="$work/in/$1-$2/$seed"; mkdir -p "$d"
    "$bin" simulate --output "$d/e.csv" --seed "$seed" --stations "$stations" \
      --incremental-fraud "$1" --extreme-fraud "$2" 2>/dev/null
    "$bin" --input "$d" --output "$work/out/$1-$2/$seed" --seed "$seed" --tests klimek_model -q
  done
done
python3 - "$work/out" <<'PY'
import json, pathlib, sys, statistics
root = pathlib.Path(sys.argv[1])
print(f"{'true f_i':>8} {'true f_e':>8} {'runs':>5} {'f_i covered':>11} {'f_e covered':>11} {'mean f_i':>9} {'mean f_e':>9}")
for cell in sorted(root.iterdir(), key=lambda p: [float(x) for x in p.name.split('-')]):
    fi, fe = (float(x) for x in cell.name.split('-'))
    cov_i = cov_e = n = 0; est_i = []; est_e = []
    for res in cell.glob('*/*/results.json'):
        for f in json.loads(res.read_text())['findings']:
            if f['test_id'] == 'klimek_model' and f['region'] is None and f['verdict'] != 'not_applicable':
                n += 1
                lo, hi = f['f_i_interval']; cov_i += lo - 1e-12 <= fi <= hi + 1e-12
                lo, hi = f['f_e_interval']; cov_e += lo - 1e-12 <= fe <= hi + 1e-12
                est_i.append(f['f_i']); est_e.append(f['f_e'])
    if n:
        print(f"{fi:8.2f} {fe:8.2f} {n:5d} {cov_i/n:11.2f} {cov_e/n:11.2f} {statistics.mean(est_i):9.3f} {statistics.mean(est_e):9.3f}")
PY
rm -rf "$work"
