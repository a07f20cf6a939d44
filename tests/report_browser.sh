#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make test-report-browser: headless Chromium opens reports made by `platsa report` with
# all network lookups blocked, and checks that every image loaded (naturalWidth > 0), that
# the page is long enough to hold maps and tables, and that its screenshot is not blank.
#
# usage: tests/report_browser.sh PLATSA SAMPLE_PROGRAM [GPKG...]
# Without GPKG: every demo-output/*.gpkg plus a sample written through the writer.
# Reports and screenshots go to build/test-report-browser/.
set -u
PLATSA=$1
SAMPLE=$2
shift 2
OUT=build/test-report-browser
rm -rf "$OUT"
mkdir -p "$OUT"
OUT_ABS=$(cd "$OUT" && pwd)
MIN_HEIGHT=1500
passed=0
failed=0

result() {  # result OK|FAIL MESSAGE
  if [ "$1" = OK ]; then
    passed=$((passed + 1))
    echo "PASS $2"
  else
    failed=$((failed + 1))
    echo "FAIL $2"
  fi
}

browser() {  # browser PROFILE ARGS...: chromium headless, offline
  profile=$1
  shift
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --disable-sync --user-data-dir="$profile" \
    --host-resolver-rules="MAP * ~NOTFOUND" "$@" 2>>"$OUT/chromium.log"
}

if [ "$#" -eq 0 ]; then
  for f in demo-output/*.gpkg; do
    [ -f "$f" ] && set -- "$@" "$f"
  done
  "$SAMPLE" "$OUT/sample.gpkg" || { echo "cannot write the sample"; echo "0 passed, 1 failed"; exit 1; }
  set -- "$@" "$OUT/sample.gpkg"
fi

for gpkg in "$@"; do
  stem=$(basename "$gpkg" .gpkg)
  rep="$OUT_ABS/$stem"
  if ! "$PLATSA" -q report "$gpkg" -o "$rep" --overwrite; then
    result FAIL "$stem: platsa report failed"
    continue
  fi
  # A copy of the page with a probe that writes what loaded into the DOM after 'load'.
  probe="$OUT_ABS/$stem-probe"
  rm -rf "$probe"
  cp -r "$rep" "$probe"
  # The probe also reads what the page says: every share in the summary paragraph must be a
  # cell of a table on the page (unmatched), and in every table with a "beyond the goal"
  # column the total row must equal the sum of the kommun rows (badsum; whole people, so
  # rounding allows half a person per row).
  cp tests/report_probe.js "$probe/probe.js"
  sed -i 's#</body>#<script src="probe.js"></script></body>#' "$probe/index.html"
  prof=$(mktemp -d)
  browser "$prof" --virtual-time-budget=10000 --window-size=1200,3000 --dump-dom "file://$probe/index.html" \
    > "$OUT/$stem-dom.html"
  rm -rf "$prof"
  line=$(sed -n 's/.*id="platsa-probe">\([^<]*\)<.*/\1/p' "$OUT/$stem-dom.html")
  summaries=$(echo "$line" | sed -n 's/.*summaries=\([0-9]*\).*/\1/p')
  unmatched=$(echo "$line" | sed -n 's/.*unmatched=\([0-9]*\).*/\1/p')
  shares=$(echo "$line" | sed -n 's/.*shares=\([0-9]*\).*/\1/p')
  sums=$(echo "$line" | sed -n 's/.*sums=\([0-9]*\).*/\1/p')
  badsum=$(echo "$line" | sed -n 's/.*badsum=\([0-9]*\).*/\1/p')
  images=$(echo "$line" | sed -n 's/.*images=\([0-9]*\).*/\1/p')
  broken=$(echo "$line" | sed -n 's/.*broken=\([0-9]*\).*/\1/p')
  height=$(echo "$line" | sed -n 's/.*height=\([0-9]*\).*/\1/p')
  pngs=$(ls "$rep"/*.png 2>/dev/null | wc -l)
  if [ -z "$line" ]; then
    result FAIL "$stem: the page did not finish loading in Chromium (no probe output)"
  elif [ "$images" -lt 1 ] || [ "$images" -ne "$pngs" ] || [ "$broken" -ne 0 ]; then
    result FAIL "$stem: $images images on the page, $pngs map files, $broken not loaded"
  else
    result OK "$stem: $images images loaded offline (naturalWidth > 0)"
  fi
  needs=$(echo "$line" | sed -n 's/.*needs=\([0-9]*\).*/\1/p')
  if [ -n "$line" ] && [ "${unmatched:-1}" -eq 0 ] && [ "${summaries:-0}" -ge "${needs:-1}" ]; then
    result OK "$stem: $summaries summary paragraph(s), its $shares shares all cells of the tables"
  else
    result FAIL "$stem: summary paragraph shares not in the tables: ${unmatched:-?} of ${shares:-?} ($line)"
  fi
  if [ -n "$line" ] && [ "${badsum:-1}" -eq 0 ]; then
    result OK "$stem: $sums total rows of 'Befolkning över X min' equal the sum of their kommuner"
  else
    result FAIL "$stem: ${badsum:-?} of ${sums:-?} total rows differ from the sum of their kommuner ($line)"
  fi
  if [ -n "$height" ] && [ "$height" -ge "$MIN_HEIGHT" ]; then
    result OK "$stem: page height $height px (>= $MIN_HEIGHT)"
  else
    result FAIL "$stem: page height '${height:-?}' px, expected >= $MIN_HEIGHT"
  fi
  # Screenshot of the real page: a blank 1200x3000 PNG is a few kB; maps make it far larger.
  prof=$(mktemp -d)
  browser "$prof" --window-size=1200,3000 --screenshot="$OUT_ABS/$stem-screenshot.png" "file://$rep/index.html" \
    > /dev/null
  rm -rf "$prof"
  size=$(stat -c %s "$OUT/$stem-screenshot.png" 2>/dev/null || echo 0)
  if [ "$size" -gt 60000 ]; then
    result OK "$stem: screenshot $OUT/$stem-screenshot.png ($size bytes, not blank)"
  else
    result FAIL "$stem: screenshot missing or blank ($size bytes)"
  fi
done

# The region's goal changes the headline: an access report with --goal-min 30.
for gpkg in "$@"; do
  case "$gpkg" in *access*.gpkg) ;; *) continue ;; esac
  stem=$(basename "$gpkg" .gpkg)-mål30
  rep="$OUT_ABS/$stem"
  if ! "$PLATSA" -q report "$gpkg" -o "$rep" --overwrite --goal-min 30; then
    result FAIL "$stem: platsa report --goal-min 30 failed"
    continue
  fi
  prof=$(mktemp -d)
  browser "$prof" --virtual-time-budget=10000 --window-size=1200,3000 --dump-dom "file://$rep/index.html" \
    > "$OUT/$stem-dom.html"
  rm -rf "$prof"
  if grep -q 'Andel över 30&nbsp;min (mål)</th>' "$OUT/$stem-dom.html" &&
     grep -q 'class="goal">Befolkning över 30&nbsp;min</th>' "$OUT/$stem-dom.html" &&
     grep -q 'mer än 30 minuter' "$OUT/$stem-dom.html"; then
    result OK "$stem: the headline, the per-kommun columns and the summary say the goal, 30 min"
  else
    result FAIL "$stem: no 'Andel över 30 min (mål)' heading, 'Befolkning över 30 min' column or summary at 30 minutes"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
