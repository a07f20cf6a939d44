# SPDX-License-Identifier: GPL-3.0-or-later
# ---- transit routing engine (gis/raptor.c) on a synthetic county timetable ----
# bench_raptor: 15,000 stops, 1,500 patterns, 60,000 trips, window 07:00-09:00. The row is the
# backward profile search from 300 services plus evaluating 30,000 origins for 120 departure
# minutes (one service type); beside it the same question answered by one forward range RAPTOR per
# origin, extrapolated from 20 origins (platsa's own forward search: no Java peer runs here).
# A few seconds. Results in $OUT_DIR/raptor.txt.
if [ -x "$BENCH_DIR/bench_raptor" ]; then
  echo "== bench_raptor (transit engine, synthetic county timetable)"
  rm -f "$OUT_DIR/raptor.txt" "$OUT_DIR/raptor.txt.log"
  timed "$OUT_DIR/raptor.txt" "$BENCH_DIR/bench_raptor"
  cat "$OUT_DIR/raptor.txt.log"
  line=$(grep '^nearest service for' "$OUT_DIR/raptor.txt.log")
  s=$(printf '%s\n' "$line" | sed -n 's/.*origins: \([0-9.]*\) s .*/\1/p')
  fw=$(printf '%s\n' "$line" | sed -n 's/.*vs \([0-9.]*\) s forward.*/\1/p')
  mb=$(tail -n 1 "$OUT_DIR/raptor.txt" | field 2 /dev/stdin)
  check=$(sed -n 's/^check: \([0-9]*\) origin-minutes.*: \([0-9]*\) differ/\2 of \1 origin-minutes differ/p' "$OUT_DIR/raptor.txt.log")
  bench_row "transit nearest service: profile search + 30,000 origins x 120 min (one type)" \
    "synthetic 15k stops, 60k trips" "$s" "$mb" "forward range RAPTOR per origin (extrapolated)" "$fw" - \
    "$check" - -
  note 60_raptor "## transit routing engine (bench_raptor)"
  note 60_raptor ""
  note 60_raptor '```'
  note 60_raptor "$(cat "$OUT_DIR/raptor.txt.log")"
  note 60_raptor '```'
else
  echo "raptor: $BENCH_DIR/bench_raptor not built (make bench builds it)"
fi
# ---- end raptor ----
