#!/usr/bin/env bash
# Recovery and interval coverage of anomaly_mixture end to end: for several true shares of incremental and extreme
# manipulation, generate elections with `analyze simulate` (regional and district heterogeneity, Klimek stuffing and
# stealing, x = |N(0, 0.15)| and 1 - |N(0, 0.075)|; the planted truth beside the data as e.planted.csv, which the tool
# ignores), run `analyze --tests anomaly_mixture` and compare the national estimates of manipulated stations,
# manufactured votes (ballots_delta) and stolen votes (leader_delta - ballots_delta) with the truth: mean ratio
# estimate / truth, coverage of the 95 % intervals, and how often the verdict deviates.
# Usage: bench/mixture_recovery.sh [seeds=50] [stations=10000]
#   env: CELLS="fi fe;fi fe;..." (default "0 0;0.05 0.01;0.1 0.02;0.3 0.03"), JOBS=2, ANALYZE=path
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seeds=${1:-50}; stations=${2:-10000}
bin=${ANALYZE:-${CARGO_TARGET_DIR:-$root/target}/release/analyze}
[ -x "$bin" ] || cargo build --release --quiet --manifest-path "$root/Cargo.toml"
JOBS=${JOBS:-2}
CELLS=${CELLS:-"0 0;0.05 0.01;0.1 0.02;0.3 0.03"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
one() { # fi fe seed
  local d="$work/in/$1-$2/$3"
  mkdir -p "$d"
  "$bin" simulate --output "$d/e.csv" --truth "$d/e.planted.csv" --seed "$3" --stations "$stations" \
    --incremental-fraud "$1" --extreme-fraud "$2" 2>/dev/null
  "$bin" --input "$d" --output "$work/out/$1-$2/$3" --seed "$3" --tests anomaly_mixture -q
}
export -f one; export bin work stations
IFS=';' read -ra cells <<<"$CELLS"
for cell in "${cells[@]}"; do
  set -- $cell
  for seed in $(seq 1 "$seeds"); do echo "$1 $2 $seed"; done
done | xargs -P "$JOBS" -L 1 bash -c 'one $0 $1 $2'
python3 - "$work" <<'PY'
import csv, json, pathlib, sys, statistics as st
work = pathlib.Path(sys.argv[1])
print(f"{'f_i':>5} {'f_e':>5} {'runs':>4} | {'stations true':>13} {'est/true':>8} {'cover':>5} | "
      f"{'manuf. true':>11} {'est/true':>8} {'cover':>5} | {'stolen true':>11} {'est/true':>8} {'cover':>5} | {'deviates':>8}")
cells = sorted((work / 'out').iterdir(), key=lambda p: [float(x) for x in p.name.split('-')])
for cell in cells:
    fi, fe = (float(x) for x in cell.name.split('-'))
    rows = []
    for res in sorted(cell.glob('*/*/results.json')):
        seed = res.parent.parent.name
        truth = work / 'in' / cell.name / seed / 'e.planted.csv'
        k = man = sto = 0
        for r in csv.DictReader(truth.open()):
            if r['fraud'] not in ('none', 'clean', ''):
                k += 1
            b, l = int(r['ballots_delta']), int(r['leader_delta'])
            man += b; sto += l - b
        for f in json.loads(res.read_text())['findings']:
            if f['test_id'] == 'anomaly_mixture' and f['region'] is None and f['verdict'] != 'not_applicable':
                rows.append((k, man, sto, f))
    if not rows:
        continue
    def summary(true_of, key):
        t = [true_of(r) for r in rows]
        e = [r[3][key] for r in rows]
        iv = [r[3][key + '_interval'] for r in rows]
        ratio = st.mean(e) / st.mean(t) if st.mean(t) > 0 else float('nan')
        cover = sum(lo - 1e-9 <= x <= hi + 1e-9 for x, (lo, hi) in zip(t, iv)) / len(rows)
        return st.mean(t), (ratio if st.mean(t) > 0 else st.mean(e)), cover
    s = summary(lambda r: r[0], 'stations_anomalous')
    m = summary(lambda r: r[1], 'votes_manufactured')
    o = summary(lambda r: r[2], 'votes_stolen')
    dev = sum(r[3]['verdict'] == 'deviates' for r in rows) / len(rows)
    print(f"{fi:5.2f} {fe:5.2f} {len(rows):4d} | {s[0]:13.0f} {s[1]:8.2f} {s[2]:5.2f} | {m[0]:11.0f} {m[1]:8.2f} {m[2]:5.2f} | "
          f"{o[0]:11.0f} {o[1]:8.2f} {o[2]:5.2f} | {dev:8.2f}")
print("(est/true: mean estimate over mean truth; where the truth is 0 the mean estimate itself)")
PY
