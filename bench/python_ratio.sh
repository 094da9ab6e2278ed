#!/usr/bin/env bash
# Issue 16: CPU time of `analyze` against a plain numpy/scipy reference (bench/python_reference.py) computing the
# same national statistics with the same replicate counts, measured side by side, and a check that both give the
# same statistics.
#
#   input   what                                                           stations
#   ve      Venezuela 2024 tally sheets (../shared/data/ve2024-actas)      24,532 (skipped with a message if absent)
#   s100k   analyze simulate --seed 1 --stations 100000 --candidates 10 --regions 24 --districts-per-region 40
#
# For each input: `analyze --tests last_digit,turnout_distribution,integer_percentages,fingerprint,
# benford_second_digit --replicates R --region-depth 1` (1 is the smallest depth the tool accepts: it cannot be
# restricted to national findings, so it also computes the top-level regions; the reference does national only),
# then the reference on the station table that run wrote (OUT/<dataset>/stations.parquet, so both analyse the same
# rows). Wall, user and sys from GNU time (`/usr/bin/time`, installed with apt-get when missing and running as
# root) for the whole process of each side: the tool's includes reading the CSV and writing its report, charts and
# parquet; the reference's includes starting Python, importing numpy/scipy and reading the parquet (its own load
# and compute CPU are printed beside it). Each side runs REPEAT times; the minimum of each measure is kept (the
# development machine is shared with builds). CPU (user + sys) is the comparable measure on a shared machine.
#
# Check: every national finding of those tests in OUT/<dataset>/results.json against the reference's rows.
# Observed statistics (chi-square, dip, corner share, moments, digit and integer counts, n, applicability) must
# agree to 1e-9 relative; Monte Carlo quantities (calibrated and empirical p-values, the simulated mean and SD of
# the digit chi2 and of the integer-percentage count, that count's z) within 4 standard errors of a difference of
# two independent estimates: |dp| <= 4 sqrt(p(1 - p) / R) + 0.01, |dz| <= 4 sqrt(2 (1 + z^2 / 2) / R), means
# 4 sqrt(2) SD / sqrt(R), SDs 4 sqrt(2 (kurtosis - 1) / (4 R)) relative (kurtosis 3 + 12/9 for the chi2, 3 for the
# count: 4 / sqrt(R - 1) used). The tool's digit nulls are exact by default (`digits::exact`): their mean and SD
# are then held to 4 SEs of the reference's estimate alone (no sqrt(2)), and the tool reports no empirical p.
# Exit 1 when any disagrees or a finding has no counterpart.
#
# Usage: bench/python_ratio.sh [ve] [s100k]        (default: both)
#   env: ANALYZE=path   binary (default: this checkout's release build)   REPEAT=N runs per side (default 3)
#        REPLICATES=N   (default 1000)   SEED=N the tool's --seed (default 20240728)   OUT=file also write the output
#        BENCH_DIR=dir  generated inputs and outputs (default /tmp/ef-python-ratio)   DATA=dir (../shared/data)
#        PYREF_VENV=dir venv with numpy, scipy, pyarrow, diptest (default ~/.cache/python-reference-venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ANALYZE=${ANALYZE:-${CARGO_TARGET_DIR:-$root/target}/release/analyze}
[ -x "$ANALYZE" ] || cargo build --release --quiet --manifest-path "$root/Cargo.toml"
[ -x "$ANALYZE" ] || { echo "error: no analyze binary at $ANALYZE (set ANALYZE=...)" >&2; exit 2; }
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q time >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }; fi
  [ -x /usr/bin/time ] || { echo "error: /usr/bin/time (GNU time) is missing: apt-get install time" >&2; exit 2; }
fi
REPEAT=${REPEAT:-3}
REPLICATES=${REPLICATES:-1000}
SEED=${SEED:-20240728}
TESTS=last_digit,turnout_distribution,integer_percentages,fingerprint,benford_second_digit
work=${BENCH_DIR:-/tmp/ef-python-ratio}
data=${DATA:-$root/../shared/data}
mkdir -p "$work"
inputs=("$@")
[ ${#inputs[@]} -gt 0 ] || inputs=(ve s100k)

venv=${PYREF_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/python-reference-venv}
if ! "$venv/bin/python" -c 'import numpy, scipy, pyarrow, diptest' 2>/dev/null; then
  echo "creating a venv for numpy, scipy, pyarrow and diptest in $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy scipy pyarrow diptest
fi
PY=$venv/bin/python

out() { echo "$*"; [ -z "${OUT:-}" ] || echo "$*" >>"$OUT"; }
[ -z "${OUT:-}" ] || : >"$OUT"

# timed NAME CMD...: REPEAT runs under GNU time; sets best_wall / best_cpu (minimum of each), last run's output kept
timed() {
  local name=$1 i wall user sys; shift
  best_wall="" best_cpu=""
  for i in $(seq 1 "$REPEAT"); do
    /usr/bin/time -o "$work/time-$name" -f "%e %U %S" "$@" >"$work/stdout-$name" 2>"$work/err-$name" \
      || { echo "$name failed (see $work/err-$name)" >&2; tail -5 "$work/err-$name" >&2; exit 1; }
    read -r wall user sys < <(tail -1 "$work/time-$name")
    local cpu; cpu=$(echo "$user + $sys" | bc)
    if [ -z "$best_wall" ] || (( $(echo "$wall < $best_wall" | bc) )); then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || (( $(echo "$cpu < $best_cpu" | bc) )); then best_cpu=$cpu; fi
  done
}

rows=()
checks=()
for input in "${inputs[@]}"; do
  case $input in
    ve) dir=$data/ve2024-actas
        [ -d "$dir" ] || { out "ve: skipped ($dir absent)"; continue; } ;;
    s100k) dir=$work/in-100000
        if [ ! -f "$dir/e.csv" ]; then
          mkdir -p "$dir"
          "$ANALYZE" simulate --output "$dir/e.csv" --seed 1 --stations 100000 --candidates 10 --regions 24 \
            --districts-per-region 40 >/dev/null 2>&1
        fi ;;
    *) echo "unknown input $input (ve s100k)" >&2; exit 2 ;;
  esac
  res=$work/out-$input
  rm -rf "$res"
  timed "rust-$input" "$ANALYZE" --input "$dir" --output "$res" --quiet --tests "$TESTS" --replicates "$REPLICATES" \
    --seed "$SEED" --region-depth 1
  rust_wall=$best_wall rust_cpu=$best_cpu
  results=$(find "$res" -mindepth 2 -maxdepth 2 -name results.json | head -1)
  stations=$work/stations-$input.parquet
  cp "$(dirname "$results")/stations.parquet" "$stations"
  timed "py-$input" "$PY" "$root/bench/python_reference.py" "$stations" --replicates "$REPLICATES" --seed "$SEED" \
    --tests "$TESTS"
  cp "$work/stdout-py-$input" "$work/python-$input.json"
  rows+=("$input $rust_wall $rust_cpu $best_wall $best_cpu $work/python-$input.json")
  checks+=("$input $results $work/python-$input.json")
done
[ ${#rows[@]} -gt 0 ] || { out "nothing measured"; exit 0; }

out "binary: $ANALYZE ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
out "reference: $("$PY" -c 'import sys, numpy, scipy, diptest; print("python %s, numpy %s, scipy %s, diptest %s" % (sys.version.split()[0], numpy.__version__, scipy.__version__, diptest.__version__))')"
out "tests: $TESTS; --replicates $REPLICATES"
out "work: the tool at --region-depth 1 (its minimum: national + every top-level region, sharing one digit null per"
out "  subject that accumulates all 13 digit statistics, also for subjects applicable only in regions) and writing its"
out "  report, charts and parquet; the reference: only the national statistics compared below"
out "minimum of $REPEAT runs per side; CPU = user + sys of the whole process"
out ""
table=$("$PY" - "${rows[@]}" <<'EOF'
import json, sys
print("%-6s %9s %8s %8s %8s %8s %13s %9s %9s" % ("input", "stations", "rust wl", "rust cpu", "py wall", "py cpu",
                                                "py load/comp", "cpu ratio", "wall ratio"))
for arg in sys.argv[1:]:
    name, rw, rc, pw, pc, path = arg.split()
    d = json.load(open(path))
    t = d["timing"]
    print("%-6s %9d %8.2f %8.2f %8.2f %8.2f %6.2f/%6.2f %8.2fx %8.2fx" % (
        name, d["stations"], float(rw), float(rc), float(pw), float(pc), t["load_cpu_s"], t["compute_cpu_s"],
        float(pc) / float(rc), float(pw) / float(rw)))
print("(wall and CPU in seconds; ratio = python / rust; py load/comp = the reference's own CPU, last run, for reading"
      " the table and for the statistics; by step: " + "; ".join(
          "%s %s" % (a.split()[0], ", ".join("%s %.2f" % kv for kv in json.load(open(a.split()[5]))["timing"]["cpu_s_by_step"].items()))
          for a in sys.argv[1:]) + ")")
EOF
)
out "$table"
out ""
set +e
check=$("$PY" - "$REPLICATES" "${checks[@]}" <<'EOF'
import json, math, sys
R = int(sys.argv[1])
bad = 0
print("%-6s %-21s %-18s %-26s %22s %22s  %s" % ("input", "test", "subject", "statistic", "rust", "python", "check"))
for arg in sys.argv[2:]:
    name, results, pyjson = arg.split()
    tests = set(json.load(open(results))["options"]["tests"])
    rust = {(f["test_id"], f["subject"]): f for f in json.load(open(results))["findings"]
            if f["region"] is None and f["test_id"] in tests}
    rows = json.load(open(pyjson))["rows"]
    seen = set()
    for r in rows:
        key = (r["test"], r["subject"])
        f = rust.get(key)
        stat = r["statistic"] or "applicable"
        primary = not stat.startswith("details.")
        if primary:
            seen.add(key)

        def show(a, b, verdict):
            global bad
            ok = verdict.startswith("ok")
            bad += not ok
            fmt = lambda v: v if isinstance(v, str) else ("%.15g" % v if isinstance(v, float) else str(v))
            print("%-6s %-21s %-18s %-26s %22s %22s  %s" % (name, r["test"], r["subject"][:18], stat, fmt(a), fmt(b),
                                                             verdict if ok else verdict + "  <-- DIFFERS"))
        if f is None:
            show("missing", "present", "no such finding in results.json")
            continue
        if r.get("not_applicable"):
            show(f["verdict"], "not_applicable", "ok" if f["verdict"] == "not_applicable" else "applicability differs")
            continue
        if f["verdict"] == "not_applicable":
            show("not_applicable", "applicable", "applicability differs")
            continue
        if stat.startswith("details."):
            value = f
            for part in stat[len("details."):].split("."):
                value = value[part]
        else:
            value = f["statistic"]["value"]
            if f["statistic"]["name"] != stat:
                show(f["statistic"]["name"], stat, "statistic name differs")
        mc = r["test"] == "integer_percentages" and stat in ("z", "details.expected", "details.sd")
        mc_chi = stat in ("details.simulated_mean", "details.simulated_sd")  # of the digit chi2 under the null
        a, b = value, r["value"]
        # The tool's digit nulls are exact by default: its null moments carry no Monte Carlo error, so only the
        # reference's estimate does (one estimate's SE, not a difference's), and it has no empirical p-value.
        exact = "exact" in (f.get("p_value_source") or "")
        two = 1.0 if exact else math.sqrt(2)
        if stat == "details.p_value_empirical" and a is None and exact:
            show("null (exact)", b, "ok (exact null moments: no empirical p)")
        elif isinstance(a, list) or isinstance(b, list):
            show(str(a)[:22], str(b)[:22], "ok exact" if a == b else "differs")
        elif mc and stat == "z":
            tol = 4 * math.sqrt(2 * (1 + a * a / 2) / R)
            show(a, b, ("ok |dz| %.3f <= %.3f" if abs(a - b) <= tol else "MC |dz| %.3f > %.3f") % (abs(a - b), tol))
        elif stat == "details.p_value_empirical":
            p = (a + b) / 2
            tol = 4 * math.sqrt(p * (1 - p) / R) + 0.01
            show(a, b, ("ok |dp| %.3f <= %.3f" if abs(a - b) <= tol else "MC |dp| %.3f > %.3f") % (abs(a - b), tol))
        elif mc_chi and stat == "details.simulated_mean":
            tol = 4 * two * f["simulated_sd"] / math.sqrt(R)
            show(a, b, ("ok |d| %.2f <= %.2f" if abs(a - b) <= tol else "MC |d| %.2f > %.2f") % (abs(a - b), tol))
        elif mc_chi:  # the SD of an SD estimate: sqrt((kurtosis - 1) / (4 R)) relative, kurtosis 3 + 12/9 for chi2_9
            rel, tol = abs(a - b) / a, 4 * two * math.sqrt((2 + 12 / 9) / (4 * R))
            show(a, b, ("ok rel %.3f <= %.3f" if rel <= tol else "MC rel %.3f > %.3f") % (rel, tol))
        elif mc and stat == "details.expected":
            tol = 4 * math.sqrt(2) * f["sd"] / math.sqrt(R)
            show(a, b, ("ok |d| %.1f <= %.1f" if abs(a - b) <= tol else "MC |d| %.1f > %.1f") % (abs(a - b), tol))
        elif mc and stat == "details.sd":
            rel, tol = abs(a - b) / a, 4 / math.sqrt(R - 1)
            show(a, b, ("ok rel %.3f <= %.3f" if rel <= tol else "MC rel %.3f > %.3f") % (rel, tol))
        else:
            rel = abs(a - b) / max(abs(a), abs(b), 1e-300) if a != b else 0.0
            show(a, b, "ok exact" if rel == 0 else ("ok rel %.0e" % rel if rel <= 1e-9 else "differs (rel %.1e)" % rel))
        if primary:
            stat = "n"
            show(f["n"], r["n"], "ok exact" if f["n"] == r["n"] else "differs")
        if primary and (r["p_value"] is not None or f["p_value"] is not None):
            stat = "p_value"
            a, b = f["p_value"], r["p_value"]
            if a is None or b is None:
                show(str(a), str(b), "p-value missing")
            elif r["test"] == "turnout_distribution":  # deterministic: the dithered dip and its table
                rel = abs(a - b) / max(abs(a), 1e-300)
                show(a, b, "ok exact" if rel <= 1e-9 else "differs (rel %.1e)" % rel)
            else:
                p = (a + b) / 2
                tol = 4 * math.sqrt(p * (1 - p) / R) + 0.01
                show(a, b, ("ok |dp| %.3f <= %.3f" if abs(a - b) <= tol else "MC |dp| %.3f > %.3f") % (abs(a - b), tol))
    for key in sorted(set(rust) - seen):
        bad += 1
        print("%-6s %-21s %-18s %-26s %22s %22s  %s" % (name, key[0], key[1][:18], "-", "present", "missing",
                                                         "no python row  <-- DIFFERS"))
print("%d comparisons differ" % bad if bad else "all observed statistics agree; Monte Carlo quantities within tolerance")
sys.exit(1 if bad else 0)
EOF
)
status=$?
set -e
out "$check"
exit $status
