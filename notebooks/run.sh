#!/usr/bin/env bash
# Reproduces the notebooks from a clean clone: builds `analyze`, analyses the sample data (and the
# Venezuela 2024 tally sheets when ../shared/data/ve2024-actas exists), then executes every notebook
# headless and fails on any cell error.
#
# Environment:
#   EF_OUTPUT   where the runs go and the notebooks read them (default: output/ in the repository)
#   ANALYZE     an `analyze` binary to use instead of building one (e.g. target/release/analyze)
#   EF_PROFILE  `release` builds and uses the release binary (faster analysis, slower build);
#               default `debug` (what `cargo test` already built)
#   EF_REUSE    1 = keep existing runs in EF_OUTPUT instead of re-analysing (for editing notebooks)
#   EF_ALL_DATA 1 = analyse every dataset of data/ (default: the two the notebooks read, clean and
#               tampered, which keeps the CI step short)
#   EF_VENV     the Python virtual environment (default: notebooks/.venv, git-ignored)
#   PYTHON      the Python 3 that creates the venv (default: python3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${EF_OUTPUT:-$root/output}
mkdir -p "$out"
out=$(cd "$out" && pwd)
venv=${EF_VENV:-$root/notebooks/.venv}
python=${PYTHON:-python3}
ve_data="$root/../shared/data/ve2024-actas"
say() { printf '== %s (%ss)\n' "$1" "$SECONDS"; }

# --- Python environment -------------------------------------------------------------------------
say "python environment in $venv"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found; install Python 3.10 or later (Debian/Ubuntu: apt-get install python3 python3-venv)" >&2
  exit 1
fi
stamp="$venv/.requirements.sha256"
want=$(sha256sum notebooks/requirements.txt | cut -d' ' -f1)
if [[ ! -x "$venv/bin/python" ]]; then
  if ! "$python" -m venv "$venv"; then
    rm -rf "$venv"
    echo "error: '$python -m venv' failed; install the venv module (Debian/Ubuntu: apt-get install python3-venv)" >&2
    exit 1
  fi
fi
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r notebooks/requirements.txt
  echo "$want" >"$stamp"
fi

# --- The tool -----------------------------------------------------------------------------------
if [[ -n "${ANALYZE:-}" ]]; then
  analyze=$ANALYZE
else
  profile=${EF_PROFILE:-debug}
  say "cargo build ($profile)"
  if [[ "$profile" == release ]]; then cargo build --locked --release --quiet; else cargo build --locked --quiet; fi
  target=${CARGO_TARGET_DIR:-$root/target}
  [[ "$target" == /* ]] || target="$root/$target"
  analyze="$target/$profile/analyze"
fi
[[ -x "$analyze" ]] || { echo "error: no analyze binary at $analyze" >&2; exit 1; }

# --- Runs (default seed and options, as the report) ---------------------------------------------
if [[ "${EF_REUSE:-0}" == 1 && -f "$out/clean/results.json" ]]; then
  say "reusing the runs in $out (EF_REUSE=1)"
else
  if [[ "${EF_ALL_DATA:-0}" == 1 ]]; then
    say "analyze --input data/ --output $out"
    "$analyze" --input data/ --output "$out" -q
  else
    # Each file with its mapping (and announcement) beside it, as in `analyze --input data/`.
    for f in data/clean.csv data/tampered.csv.gz; do
      say "analyze --input $f --output $out"
      "$analyze" --input "$f" --output "$out" -q
    done
  fi
  if [[ -d "$ve_data" ]]; then
    say "analyze Venezuela 2024 ($ve_data)"
    "$analyze" --input "$ve_data/RESULTADOS_2024_CSV_V1.csv" \
      --mapping tests/mappings/ve2024.mapping.toml \
      --announced tests/mappings/ve2024.announced.toml --output "$out" -q
  else
    say "no $ve_data: venezuela_2024.ipynb will say so and skip its cells"
  fi
fi

# --- Notebooks ----------------------------------------------------------------------------------
say "executing the notebooks"
cd notebooks
EF_OUTPUT="$out" "$venv/bin/python" execute.py sample_data.ipynb venezuela_2024.ipynb
say "done: executed notebooks in $out/notebooks, figures in $out/notebook-figures"
