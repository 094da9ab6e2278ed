#!/usr/bin/env bash
# report.html in a real browser: screenshots and checks with headless Chromium.
# For each report: (1) static checks with bench/check_html.py (standard-library Python): ids unique, every
# href="#x" has an element id="x", every relative link names a file next to the report, every <img> is a PNG
# that decodes (signature, CRCs, IHDR size > 0, pixel data inflates), no caption printed twice, a table of
# contents; (2) the same page with eager images and an inline script, loaded by `chromium --dump-dom`: every
# #-link resolves with getElementById, every image has naturalWidth > 0, no `.num` number lies on two lines,
# the page does not scroll sideways; (3) screenshots at 1280 px wide: the first screen (1280x900) and the
# whole page (window as tall as the page, capped at MAX_HEIGHT; SCALE shrinks it for viewing).
# The report itself is never changed (the probe is a copy in the temporary folder).
#
# Usage: bench/check_html.sh [report.html ...]
#   no argument: runs the release `analyze` of this checkout (built first) on data/ into a temporary folder
#   and checks every dataset's report.html.
#   env: SHOTS=dir         where the screenshots go (default: <temporary folder>/shots; kept, path printed)
#        CHROMIUM=path     browser (default: chromium, chromium-browser or google-chrome on PATH)
#        NO_BROWSER=1      static checks only (no screenshots)
#        MAX_HEIGHT=N      tallest full-page screenshot in CSS px (default 60000; taller pages are cut)
#        SCALE=f           device scale factor of the full-page screenshot (default 0.5)
#        ANALYZE=path      binary for the no-argument run (default: this checkout's release build)
# Exit status: 0 when every check of every report passes, 1 otherwise, 2 on a usage or setup error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_html.XXXXXX")
# The temporary folder keeps the outputs of a no-argument run, the screenshots and chromium.log.
cleanup() { rm -rf "$tmp/profile" "$tmp/probe"; }
trap cleanup EXIT

reports=("$@")
if [[ ${#reports[@]} -eq 0 ]]; then
  if [[ -z ${ANALYZE:-} ]]; then
    # Always (re)build: an up-to-date build is a no-op, and a stale binary would check old HTML.
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
    ANALYZE=${CARGO_TARGET_DIR:-$root/target}/release/analyze
  fi
  [[ -x $ANALYZE ]] || { echo "error: no analyze binary at $ANALYZE" >&2; exit 2; }
  "$ANALYZE" --input "$root/data" --output "$tmp/out" -q
  while IFS= read -r r; do reports+=("$r"); done < <(find "$tmp/out" -mindepth 2 -maxdepth 2 -name report.html | sort)
  [[ ${#reports[@]} -gt 0 ]] || { echo "error: no report.html under $tmp/out" >&2; exit 2; }
  echo "reports written to $tmp/out"
fi

browser=
if [[ -z ${NO_BROWSER:-} ]]; then
  for b in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
    if [[ -n $b ]] && command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
  done
  if [[ -z $browser ]]; then
    echo "error: no Chromium (Debian: apt-get install chromium; or set CHROMIUM=..., or NO_BROWSER=1)" >&2
    exit 2
  fi
fi
shots=${SHOTS:-$tmp/shots}
mkdir -p "$shots" "$tmp/probe"
max_height=${MAX_HEIGHT:-60000}
scale=${SCALE:-0.5}

chrome() {
  local flags=(--headless --disable-gpu --hide-scrollbars --no-first-run --no-default-browser-check
    --disable-extensions --mute-audio "--user-data-dir=$tmp/profile")
  # Chromium refuses to run as root with its sandbox.
  [[ $(id -u) != 0 ]] || flags+=(--no-sandbox)
  timeout 180 "$browser" "${flags[@]}" "$@" 2>>"$tmp/chromium.log"
}

failed=0
n=0
for report in "${reports[@]}"; do
  n=$((n + 1))
  [[ -f $report ]] || { echo "$report: no such file"; failed=1; continue; }
  python3 "$here/check_html.py" static "$report" || failed=1
  [[ -n $browser ]] || continue
  name=$(basename "$(dirname "$(realpath "$report")")")
  probe="$tmp/probe/$n.html"
  python3 "$here/check_html.py" probe "$report" "$probe" || { failed=1; continue; }
  dom="$tmp/probe/$n.dom.html"
  chrome --window-size=1280,900 --virtual-time-budget=20000 --dump-dom "file://$probe" >"$dom" || true
  verdict=0
  result=$(python3 "$here/check_html.py" verify "$dom" "$report") || verdict=1
  sed '/^height=/d' <<<"$result"
  [[ $verdict == 0 ]] || failed=1
  height=$(sed -n 's/^height=//p' <<<"$result")
  first="$shots/$name.first.png"
  full="$shots/$name.full.png"
  chrome --window-size=1280,900 "--screenshot=$first" "file://$(realpath "$report")" >/dev/null || true
  note=
  if [[ -n $height ]]; then
    if ((height > max_height)); then
      note=" (page is $height px; cut at $max_height)"
      height=$max_height
    fi
    chrome --window-size=1280,"$height" --force-device-scale-factor="$scale" --virtual-time-budget=20000 \
      "--screenshot=$full" "file://$probe" >/dev/null || true
  fi
  for s in "$first" "$full"; do
    if [[ -s $s ]] && head -c 8 "$s" | od -An -tx1 | grep -q '89 50 4e 47'; then
      echo "  screenshot $s"
    else
      echo "  screenshot $s: NOT WRITTEN (see $tmp/chromium.log)"
      failed=1
    fi
  done
  [[ -z $note ]] || echo "  full page$note"
done
[[ -z $browser ]] || echo "screenshots in $shots"
if [[ $failed != 0 ]]; then
  echo "check_html: FAILED"
  exit 1
fi
echo "check_html: all ${#reports[@]} reports OK"
