#!/usr/bin/env bash
# Recovery and interval coverage of the anomalous-vote estimates (clean_core_excess, and klimek_model's
# implied votes with TESTS=clean_core_excess,klimek_model) on synthetic elections with known Klimek stuffing.
# For every setting x seed, `analyze simulate` writes an election with incremental (f_i) and extreme (f_e)
# stuffing and vote stealing for the leader and its per-station truth (`--truth`: leader_delta = the leader's
# votes added); `analyze` runs the estimators; the summary gives, per setting and estimator, the true votes
# added (mean), the estimate (mean, and mean ratio to the truth), the share of seeds whose 95 % interval covers
# the truth, and for the clean setting the share whose interval covers 0.
#
# Usage: bench/anomalous_votes.sh [seeds=50] [stations=10000]
#   env: SETTINGS="fi,fe;fi,fe;..."   (default "0,0;0.05,0;0.1,0.02;0,0.05;0.2,0.05")
#        TESTS=a,b                    (default clean_core_excess)
#        ALPHA=1 THETA=0.15           Klimek stealing shape and incremental intensity
#        JOBS=2                       analyze processes at a time
#        ANALYZE=path                 binary (default: the release build of this checkout, built when missing)
# Example: bench/anomalous_votes.sh 50 10000
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SEEDS=${1:-50}
STATIONS=${2:-10000}
SETTINGS=${SETTINGS:-"0,0;0.05,0;0.1,0.02;0,0.05;0.2,0.05"}
TESTS=${TESTS:-clean_core_excess}
ALPHA=${ALPHA:-1}
THETA=${THETA:-0.15}
JOBS=${JOBS:-2}
ANALYZE=${ANALYZE:-${CARGO_TARGET_DIR:-$root/target}/release/analyze}
[ -x "$ANALYZE" ] || cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=$(mktemp -d /tmp/anomalous-votes.XXXXXX)
trap 'rm -rf "$work"' EXIT

one() { # setting-index fi fe seed
  local d="$work/$1/$4"
  mkdir -p "$d/in"
  "$ANALYZE" simulate --output "$d/in/e.csv" --truth "$d/truth.csv" --stations "$STATIONS" --seed "$4" \
    --incremental-fraud "$2" --extreme-fraud "$3" --fraud-alpha "$ALPHA" --fraud-theta "$THETA" >/dev/null 2>&1
  "$ANALYZE" --input "$d/in" --output "$d/out" --seed "$4" --tests "$TESTS" >/dev/null 2>"$d/log" || true
}
export -f one
export work ANALYZE STATIONS ALPHA THETA TESTS
start=$(date +%s)
i=0
IFS=';' read -ra sets <<<"$SETTINGS"
for s in "${sets[@]}"; do
  fi_=${s%,*}; fe_=${s#*,}
  for seed in $(seq 1 "$SEEDS"); do echo "$i $fi_ $fe_ $seed"; done
  i=$((i + 1))
done | xargs -P "$JOBS" -L 1 bash -c 'one "$@"' _
echo "settings: $SETTINGS; $SEEDS seeds x $STATIONS stations; alpha $ALPHA, theta $THETA; $(( $(date +%s) - start )) s"

python3 - "$work" "$SETTINGS" "$SEEDS" <<'EOF'
import csv, json, pathlib, sys
work, settings, seeds = pathlib.Path(sys.argv[1]), sys.argv[2].split(";"), int(sys.argv[3])
print(f"{'f_i':>5} {'f_e':>5} {'estimator':<18} {'true votes':>11} {'estimate':>11} {'ratio':>6} {'covers truth':>12} {'covers 0':>9} {'runs':>5}")
for k, s in enumerate(settings):
    fi, fe = s.split(",")
    rows = {}
    for seed in range(1, seeds + 1):
        d = work / str(k) / str(seed)
        truth = sum(int(r["leader_delta"]) for r in csv.DictReader(open(d / "truth.csv")))
        res = next((d / "out").glob("*/results.json"), None)
        if res is None:
            continue
        for f in json.load(open(res))["findings"]:
            if f["region"] is None and "anomalous_votes" in f:
                lo, hi = f["anomalous_interval"]
                rows.setdefault(f["test_id"], []).append((truth, f["anomalous_votes"], lo, hi))
    for test, r in rows.items():
        n = len(r)
        t = sum(x[0] for x in r) / n
        e = sum(x[1] for x in r) / n
        ratios = [x[1] / x[0] for x in r if x[0] > 0]
        ratio = f"{sum(ratios) / len(ratios):.2f}" if ratios else "-"
        cov = sum(1 for x in r if x[2] <= x[0] <= x[3]) / n
        zero = sum(1 for x in r if x[2] <= 0.0) / n
        print(f"{fi:>5} {fe:>5} {test:<18} {t:>11,.0f} {e:>11,.0f} {ratio:>6} {cov:>12.2f} {zero:>9.2f} {n:>5}")
EOF
