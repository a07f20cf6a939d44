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
  sed -i 's#</body>#<script>window.addEventListener("load",function(){var im=document.images,bad=0;for(var i=0;i<im.length;i++){if(!im[i].complete||im[i].naturalWidth===0)bad++;}var d=document.createElement("pre");d.id="platsa-probe";d.textContent="images="+im.length+" broken="+bad+" height="+document.documentElement.scrollHeight;document.body.appendChild(d);});</script></body>#' \
    "$probe/index.html"
  prof=$(mktemp -d)
  browser "$prof" --virtual-time-budget=10000 --window-size=1200,3000 --dump-dom "file://$probe/index.html" \
    > "$OUT/$stem-dom.html"
  rm -rf "$prof"
  line=$(sed -n 's/.*id="platsa-probe">\([^<]*\)<.*/\1/p' "$OUT/$stem-dom.html")
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
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
