# SPDX-License-Identifier: GPL-3.0-or-later
# ---- platsa access --mode transit on a county (issue #23 goal) ----
# SYNTHETIC county: `platsa synth --size M --region 14 --cells 250m --seed 1 --gtfs` = Västra
# Götaland (real population, 1.77 M residents on ~100,000 250 m cells; synthetic roads and
# services) with its SYNTHETIC timetable (~14,000 stops, ~1,550 routes, ~94,000 weekday trips).
# Question: nearest grocery, pharmacy, parcel_post by public transport and walking, departures
# every minute 07:00-09:00 on a Tuesday. Wall clock, CPU (user + system) and peak memory from
# /usr/bin/time, median of 3 runs. Goal: <= 60 s and <= 2048 MB.
# All of Sweden (synth L with --gtfs) only with TRANSIT_L=1 (its synth takes minutes): one run.
# Peer: none runs here (R5 and OpenTripPlanner need Java, not in Debian); the engine's own forward
# range RAPTOR per origin (the brute-force reference's role): its ms per origin from bench_raptor
# (60_raptor, on bench_raptor's own 15,000-stop timetable, not this feed) times the cells, as
# the peer column, marked "extrapolated".
T=$OUT_DIR/transit
mkdir -p "$T"
TRANSIT_DATE=2025-01-14
TRANSIT_TYPES=grocery,pharmacy,parcel_post
transit_timed() { # OUT CMD...: appends "wall_s peak_mb cpu_s" to OUT, the output to OUT.log
  out=$1
  shift
  /usr/bin/time -f 'TIME %e %M %U %S' -o "$out.time" "$@" >>"$out.log" 2>&1
  st=$?
  awk '/^TIME/ { printf "%s %.0f %.2f\n", $2, $3 / 1024, $4 + $5 }' "$out.time" >>"$out"
  return $st
}
transit_input() { # SIZE REGION -> $WORK/synth_transit_SIZE.gpkg and .zip (generated once)
  g=$WORK/synth_transit_$1.gpkg
  z=$WORK/synth_transit_$1.zip
  if [ ! -f "$g" ] || [ ! -f "$z" ]; then
    echo "transit: generating $g and $z (platsa synth --size $1 ${2:+--region $2} --cells 250m --gtfs)"
    "$PLATSA" -q synth --size "$1" ${2:+--region "$2"} --seed 1 --cells 250m -o "$g" --gtfs "$z" --overwrite \
      >"$g.log" 2>&1 || echo "bench: platsa synth --gtfs failed (see $g.log)"
  fi
}
transit_run() { # SIZE RUNS
  g=$WORK/synth_transit_$1.gpkg
  t=$T/$1
  : >"$t"
  : >"$t.log"
  for i in $(seq "$2"); do
    transit_timed "$t" "$PLATSA" -v access -p "$g:population" -s "$g:services" -r "$g:roads" -m "$g:municipalities" \
      -o "$T/out_$1.gpkg" --overwrite --mode transit --gtfs "$WORK/synth_transit_$1.zip" --date "$TRANSIT_DATE" \
      --window 07:00-09:00 -t "$TRANSIT_TYPES" || echo "bench: platsa access --mode transit failed on $1 (see $t.log)"
  done
  TRANSIT_WALL=$(field 1 "$t" | median)
  TRANSIT_PEAK=$(field 2 "$t" | median)
  TRANSIT_CPU=$(field 3 "$t" | median)
  TRANSIT_FEED=$(grep -m1 '^GTFS ' "$t.log" | sed 's/^GTFS [0-9-]*: //')
  TRANSIT_UNITS=$(grep -m1 -o 'platsa access: [0-9]* units, [0-9]* residents' "$t.log" | sed 's/platsa access: //')
}
note 70_transit "## platsa access --mode transit (SYNTHETIC timetable)"
note 70_transit ""
note 70_transit "Nearest $TRANSIT_TYPES by public transport and walking, every departure minute 07:00-09:00 on $TRANSIT_DATE, median 2-hour-window travel time per cell. Region and timetable are SYNTHETIC (\`platsa synth --gtfs\`: real population, synthetic roads, services and timetable). No peer: R5 and OpenTripPlanner need Java, which is not in Debian here; the forward-range comparison is the bench_raptor row."
note 70_transit ""
note 70_transit "| region | units, residents | feed (loaded) | runs | wall s | CPU s | peak MB | goal | result |"
note 70_transit "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
transit_input M 14
if [ -f "$WORK/synth_transit_M.zip" ]; then
  echo "transit: Västra Götaland (synth M 14, 250 m), 3 runs"
  transit_run M 3
  res=$( [ "$(pass_fail "$TRANSIT_WALL" 60)" = PASS ] && [ "$(pass_fail "$TRANSIT_PEAK" 2048)" = PASS ] && echo PASS || echo FAIL)
  fw_ms=$(sed -n 's/.*(120 minutes, rounds 0): \([0-9.]*\) ms per origin.*/\1/p' "$OUT_DIR/raptor.txt.log" 2>/dev/null | head -1)
  fw_s=$(awk -v ms="${fw_ms:-}" -v u="${TRANSIT_UNITS%% *}" 'BEGIN { if (ms != "" && u > 0) printf "%.0f", ms * u / 1000; else print "-" }')
  bench_row "SYNTHETIC transit access, 3 types, 07-09 window, 250 m cells (load, link, RAPTOR profiles, write)" \
    "M: Västra Götaland" "$TRANSIT_WALL" "$TRANSIT_PEAK" \
    "no Java peer (R5/OTP); forward range RAPTOR per cell, extrapolated from bench_raptor" "$fw_s" - \
    "CPU $TRANSIT_CPU s" "<= 60 s, <= 2048 MB" "$res"
  note 70_transit "| Västra Götaland (M 14) | $TRANSIT_UNITS | $TRANSIT_FEED | 3 | $TRANSIT_WALL | $TRANSIT_CPU | $TRANSIT_PEAK | <= 60 s, <= 2048 MB | $res |"
fi
if [ "${TRANSIT_L:-0}" = 1 ] && [ "$BENCH_QUICK" != 1 ]; then
  transit_input L ""
  if [ -f "$WORK/synth_transit_L.zip" ]; then
    echo "transit: all of Sweden (synth L, 250 m), 1 run"
    transit_run L 1
    res=$( [ "$(pass_fail "$TRANSIT_WALL" 300)" = PASS ] && echo PASS || echo FAIL)
    bench_row "SYNTHETIC transit access, 3 types, 07-09 window, 250 m cells" "L: Sweden" "$TRANSIT_WALL" \
      "$TRANSIT_PEAK" "none (R5/OTP need Java)" - - "CPU $TRANSIT_CPU s" "plan: < 300 s" "$res"
    note 70_transit "| Sweden (L) | $TRANSIT_UNITS | $TRANSIT_FEED | 1 | $TRANSIT_WALL | $TRANSIT_CPU | $TRANSIT_PEAK | plan: < 300 s | $res |"
  fi
else
  note 70_transit ""
  note 70_transit "All of Sweden (synth L with --gtfs) is measured with TRANSIT_L=1 (its synth takes minutes)."
fi
# ---- end transit ----
