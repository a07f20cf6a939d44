# SPDX-License-Identifier: GPL-3.0-or-later
# ---- issue 19's goals, every one measured through the platsa CLI (build/platsa), not a bench binary ----
# Each row: wall s (median), peak MB (median of /usr/bin/time's max RSS), CPU s (user + system of
# the process and its children, median) and the 1-minute load average when its runs started.
#  1. The routing anchor (2 M nodes, 3,000 facilities, 400,000 origins) through `platsa access`
#     (distance and time, nearest and second, the full output), cold (no cache) and warm
#     (--graph-cache), interleaved with SciPy's end-to-end nearest-only run (bench/peers/
#     scipy_nearest.py: process wall, CSV in, answers out), 3 rounds, medians. Goals: cold <= 0.6 x
#     SciPy, warm <= 0.25 x SciPy, peak <= 1024 MB each. The anchor as access inputs:
#     bench/goal_inputs.py (origins as population points of 1 resident, facilities as pharmacies,
#     one municipality polygon around the extent).
#  2. Sweden, 250 m cells (synth L), 7 types, car: cold <= 8 s, warm <= 4 s, peak <= 1536 MB.
#     The figures of 30_access's runs when it ran in this bench (3 runs each), else 3 runs here.
#  3. --region 23 (Jämtland) with the national population file against the county's own
#     population file (bench/goal_inputs.py county: the national file filtered on ln_kod), both with
#     the county's roads and services and the national municipalities: <= 1.5 x.
#  4. `platsa scenario`, baseline with synth L's national services layer (every type; types =
#     pharmacy) and the county's roads, population and municipalities, one closure: baseline
#     <= 2 s (baseline_seconds in the output's metadata) and <= 1024 MB beyond loading, taken as
#     the peak minus the peak of the same scenario with the county's own services (it loads the
#     same population, roads and municipalities; its baseline takes a fraction of a second).
#  5. --mode car,bike,walk against --mode car (the anchor's cold run), same input: <= 1.6 x.
#  6. A warm --graph-cache run of the anchor under strace: bytes read from each input file; PASS
#     when the roads file gives none (at most 1 MiB: SQLite's header and schema pages).
# Rows in the order 1, 5, 2, 3, 4, 6. BENCH_QUICK=1: 1, 5 and 6 only (2-4 need synth L).
# About 3 minutes on a quiet machine (another 70 s when 30_access did not run; under a load of
# 10 on the 2 cores, 20 minutes). Own block in BENCHMARKS.md: BENCH_ONLY=35_access_goals make
# bench measures it again alone and rewrites only that block (and README's table from it).
own_table 35_access_goals "Goals of issue 19, measured through the platsa CLI"
apt_need time strace sqlite3 python3-numpy python3-scipy python3-gdal
G=$OUT_DIR/goals
rm -rf "$G"
mkdir -p "$G"
GOAL_COUNTY=23
# goal_figs FILE: "wall peak cpu" medians of a timed file ("-" when empty)
goal_figs() { echo "$(field 1 "$1" | median) $(field 2 "$1" | median) $(field 3 "$1" | median)"; }
# goal_ratio A B: A / B to 2 decimals ("-" when either is missing)
goal_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 == a && b + 0 == b && b > 0) printf "%.2f", a / b; else print "-" }'; }
# goal_all RESULT...: PASS when every one is PASS
goal_all() { for r in "$@"; do [ "$r" = PASS ] || { echo FAIL; return; }; done; echo PASS; }
note 35_access_goals "Every row runs build/platsa as a user does (CLI) unless it says otherwise. wall s and peak MB are medians over the runs (/usr/bin/time: elapsed, max RSS in MiB); CPU s = user + system seconds of the process, median; load = the 1-minute load average when the row's runs started (2 cores shared with other work). GB in the goals are GiB (1.5 GB = 1536 MB), as in the rest of this file."
note 35_access_goals ""

# ---- inputs ----
AG=$WORK/grid-2M
if [ ! -f "$AG/meta.txt" ] || [ ! -f "$AG/roads.gpkg" ]; then
  echo "goals: exporting the 2M grid workload to $AG"
  mkdir -p "$AG"
  "$BENCH_DIR/bench_routing" --nodes 2000000 --facilities 3000 --origins 400000 --runs 1 --k 1 --export "$AG" >"$AG/export.log"
fi
AI=$AG/access_inputs.gpkg
if [ ! -f "$AI" ] || [ "$AG/origins.csv" -nt "$AI" ] || [ bench/goal_inputs.py -nt "$AI" ]; then
  echo "goals: the anchor as access inputs ($AI)"
  $PY bench/goal_inputs.py anchor "$AG" "$AI"
fi
# ---- 1 and 5: the anchor, cold, warm, three modes, and SciPy, interleaved ----
# goal_script NAME COMMAND: $G/NAME.sh runs COMMAND (expanded now; \$1... are the script's
# arguments) with exec, so that /usr/bin/time (timed) measures platsa itself
goal_script() {
  printf '#!/bin/sh\nexec %s\n' "$2" >"$G/$1.sh"
}
# anchor_access OUT.gpkg [options...]
goal_script anchor "\"$PLATSA\" -v access -p \"$AI:population\" -s \"$AI:services\" -r \"$AG/roads.gpkg:roads\" \
  -m \"$AI:municipalities\" --overwrite -o \"\$@\""
anchor_access() { sh "$G/anchor.sh" "$@"; }
AC=$G/anchor.cache
echo "goals: anchor, the warm cache"
anchor_access "$G/anchor_warm.gpkg" --graph-cache "$AC" >"$G/anchor_cache.log" 2>&1 || echo "goals: anchor cache run failed (see $G/anchor_cache.log)"
for f in cold warm modes scipy; do : >"$G/anchor_$f"; : >"$G/anchor_$f.log"; done
anchor_load=$(load_now)
for i in 1 2 3; do
  echo "goals: anchor round $i of 3: cold, warm, car+bike+walk, SciPy"
  timed "$G/anchor_cold" sh "$G/anchor.sh" "$G/anchor_cold.gpkg" || echo "goals: anchor cold run failed (see $G/anchor_cold.log)"
  timed "$G/anchor_warm" sh "$G/anchor.sh" "$G/anchor_warm.gpkg" --graph-cache "$AC" || echo "goals: anchor warm run failed"
  timed "$G/anchor_modes" sh "$G/anchor.sh" "$G/anchor_modes.gpkg" --mode car,bike,walk || echo "goals: anchor car,bike,walk run failed"
  timed "$G/anchor_scipy" $PY bench/peers/scipy_nearest.py "$AG" || echo "goals: SciPy failed (see $G/anchor_scipy.log)"
done
set -- $(goal_figs "$G/anchor_scipy")
sp_wall=$1 sp_mb=$2 sp_cpu=$3
sp_total=$(grep -o 'total_s=[0-9.]*' "$G/anchor_scipy.log" | cut -d= -f2 | median)
sp_agree=$(grep '^n=' "$G/anchor_scipy.log" | tail -n 1 || true)
# platsa's nearest pharmacy distance per origin against the peer's (SciPy's, equal to bench_routing's)
anchor_agree() { # OUT.gpkg
  if [ -f "$1" ]; then $PY bench/goal_inputs.py agree "$AG" "$1" 2>&1 | tail -n 1 || true
  else echo "no output (the run failed)"; fi
}
SP_LABEL="SciPy $($PY -c 'import scipy; print(scipy.__version__)' 2>/dev/null) dijkstra(min_only), nearest only, from CSV (process wall; in-script total $sp_total s; CPU $sp_cpu s)"
for mode in cold warm; do
  set -- $(goal_figs "$G/anchor_$mode")
  wall=$1 mb=$2 cpu=$3
  r=$(goal_ratio "$wall" "$sp_wall")
  if [ $mode = cold ]; then lim=0.6; what="no cache"; else lim=0.25; what="warm --graph-cache"; fi
  res=$(goal_all "$(pass_fail "$r" "$lim")" "$(pass_fail "$mb" 1024)")
  bench_row "CLI platsa access, anchor, $what (distance + time, nearest + second, full output); CPU $cpu s; load $anchor_load" \
    "anchor 2M" "$wall" "$mb" "$SP_LABEL" "$sp_wall" "$sp_mb" \
    "platsa / SciPy = $r (CPU seconds: $(goal_ratio "$cpu" "$sp_cpu")); nearest distance vs SciPy's: $(anchor_agree "$G/anchor_$mode.gpkg")" \
    "<= $lim x SciPy, <= 1024 MB" "$res"
  eval "anchor_${mode}_wall=\$wall anchor_${mode}_cpu=\$cpu"
done
set -- $(goal_figs "$G/anchor_modes")
r=$(goal_ratio "$1" "$anchor_cold_wall")
bench_row "CLI platsa access --mode car,bike,walk against --mode car (the cold row above), anchor; CPU $3 s; load $anchor_load" \
  "anchor 2M" "$1" "$2" "platsa access --mode car (same round)" "$anchor_cold_wall" "" \
  "three modes / car = $r (CPU seconds: $(goal_ratio "$3" "$anchor_cold_cpu"))" \
  "<= 1.6 x car" "$(pass_fail "$r" 1.6)"
stages() { # LOG: median stage seconds of platsa -v's timings lines
  s=""
  for key in load graph snap search summaries write total; do
    v=$(grep '^timings' "$1" | sed 's/.*(s): //; s/ (cache)//' | tr ' ' '\n' | awk -v k="$key" 'p { print; p = 0 } $0 == k { p = 1 }' | median)
    s="$s$key $v, "
  done
  echo "${s%, }"
}
note 35_access_goals "- anchor, median stages (s) of 3 runs: cold: $(stages "$G/anchor_cold.log"); warm: $(stages "$G/anchor_warm.log"); car,bike,walk: $(stages "$G/anchor_modes.log")."
note 35_access_goals "- SciPy on the anchor, agreement with bench_routing's answers (the graph and attachments it exported): ${sp_agree:-none}."

# ---- 2-4: need synth L (all of Sweden); not in a quick run ----
if [ "$BENCH_QUICK" != 1 ]; then
SL=$WORK/synth_L_250m.gpkg
if [ ! -f "$SL" ]; then
  echo "goals: generating $SL (platsa synth --size L --cells 250m)"
  "$PLATSA" -q synth --size L --seed 1 --cells 250m -o "$SL" --overwrite >"$SL.log" 2>&1
fi
CY=$WORK/county_${GOAL_COUNTY}_250m.gpkg
if [ ! -f "$CY" ] || [ "$SL" -nt "$CY" ] || [ bench/goal_inputs.py -nt "$CY" ]; then
  echo "goals: county $GOAL_COUNTY from $SL ($CY)"
  $PY bench/goal_inputs.py county "$SL" "$GOAL_COUNTY" "$CY" >"$CY.log"
fi

# ---- 2: Sweden, 250 m, 7 types, car ----
if [ -n "${ACCESS_L250_COLD:-}" ]; then
  sw_src="30_access's runs in this bench"
  sw_cold=$ACCESS_L250_COLD
  sw_warm=$ACCESS_L250_WARM
else
  sw_src="3 runs here"
  goal_script sweden "\"$PLATSA\" -v access -p \"$SL:population\" -s \"$SL:services\" -r \"$SL:roads\" \
    -m \"$SL:municipalities\" -o \"$G/sweden.gpkg\" --overwrite \"\$@\""
  sweden() { sh "$G/sweden.sh" "$@"; }
  for mode in cold warm; do
    : >"$G/sweden_$mode"
    l0=$(load_now)
    if [ $mode = warm ]; then sweden --graph-cache "$G/sweden.cache" >"$G/sweden_cache.log" 2>&1 || true; fi
    for i in 1 2 3; do
      echo "goals: Sweden 250 m, $mode, run $i of 3"
      if [ $mode = warm ]; then timed "$G/sweden_$mode" sh "$G/sweden.sh" --graph-cache "$G/sweden.cache" || echo "goals: Sweden $mode failed"
      else timed "$G/sweden_$mode" sh "$G/sweden.sh" || echo "goals: Sweden $mode failed"; fi
    done
    eval "sw_$mode=\"\$(goal_figs "\$G/sweden_\$mode") \$l0\""
  done
  rm -f "$G/sweden.cache"
fi
for mode in cold warm; do
  eval "set -- \$sw_$mode"
  if [ $mode = cold ]; then lim=8; what="no cache"; else lim=4; what="warm --graph-cache"; fi
  bench_row "CLI platsa access, Sweden 605,490 250 m cells, 7 types, car, $what ($sw_src); CPU $3 s; load $4" \
    "L (Sweden)" "$1" "$2" "" "" "" "CPU $3 s" "<= $lim s, <= 1536 MB" \
    "$(goal_all "$(pass_fail "$1" "$lim")" "$(pass_fail "$2" 1536)")"
done

# ---- 3: --region, the national population file against the county's own ----
# region.sh POPULATION OUT.gpkg
goal_script region "\"$PLATSA\" -v access -p \"\$1\" -s \"$CY:services\" -r \"$CY:roads\" -m \"$SL:municipalities\" \
  --region $GOAL_COUNTY -o \"\$2\" --overwrite"
: >"$G/region_national"
: >"$G/region_county"
region_load=$(load_now)
for i in 1 2 3; do
  echo "goals: --region $GOAL_COUNTY round $i: the county's own population file, the national one"
  timed "$G/region_county" sh "$G/region.sh" "$CY:population" "$G/region_county.gpkg" || echo "goals: region (county file) failed"
  timed "$G/region_national" sh "$G/region.sh" "$SL:population" "$G/region_national.gpkg" || echo "goals: region (national) failed"
  # a slow national run is measured once, not three times
  if [ "$(awk '{ v = $1 } END { print (v > 20) }' "$G/region_national")" = 1 ]; then break; fi
done
set -- $(goal_figs "$G/region_national")
rn_wall=$1 rn_mb=$2 rn_cpu=$3
rn_runs=$(wc -l <"$G/region_national")
set -- $(goal_figs "$G/region_county")
r=$(goal_ratio "$rn_wall" "$1")
units=$(grep -o 'platsa access: [0-9]* units' "$G/region_county.log" | head -1 | awk '{ print $3 }' || true)
bench_row "CLI platsa access --region $GOAL_COUNTY from the national 250 m population file (605,490 cells), county roads and services, 7 types, car; $rn_runs runs; CPU $rn_cpu s; load $region_load" \
  "county $GOAL_COUNTY" "$rn_wall" "$rn_mb" "same with the county's own population file (${units:-?} cells; CPU $3 s)" "$1" "$2" \
  "national / county file = $r" "<= 1.5 x county file" "$(pass_fail "$r" 1.5)"

# ---- 4: scenario, the national pharmacy list with the county's roads ----
first_pharmacy=$(sqlite3 "$CY" "SELECT id FROM services WHERE type = 'pharmacy' ORDER BY id LIMIT 1" 2>/dev/null || true)
# paths in a scenario file are relative to the file: absolute ones here
CYA=$(readlink -f "$CY")
SLA=$(readlink -f "$SL")
for which in national county; do
  svc=$SLA; [ $which = county ] && svc=$CYA
  cat >"$G/scenario_$which.ini" <<EOF
; bench/sections/35_access_goals.sh: the baseline of issue 19's scenario goal
[baseline]
population = $CYA:population
services = $svc:services
roads = $CYA:roads
municipalities = $CYA:municipalities
types = pharmacy
mode = car

[scenario one pharmacy closes]
close = $first_pharmacy
EOF
  : >"$G/scenario_$which"
done
# A run that would use tens of GB (13 GB were seen) is stopped: address space capped at 8 GiB,
# 300 s at most; the row then shows the stopped run's figures and FAIL.
# scenario.sh WHICH
goal_script scenario "timeout 300 sh -c 'ulimit -v 8388608 && exec \"\$0\" -v scenario \"\$1\" -o \"\$2\" --overwrite' \
  \"$PLATSA\" \"$G/scenario_\$1.ini\" \"$G/scenario_\$1.gpkg\""
base_s() { # OUT.gpkg: the baseline's seconds from the output's metadata
  sqlite3 "$1" "SELECT metadata FROM gpkg_metadata" 2>/dev/null | grep -o '"baseline_seconds": "[0-9.]*"' | grep -o '[0-9.]*' | tail -n 1 || true
}
: >"$G/scenario_national.base"
: >"$G/scenario_county.base"
scen_load=$(load_now)
for i in 1 2 3; do
  echo "goals: scenario round $i: the county's own pharmacies, the national list"
  for which in county national; do
    rm -f "$G/scenario_$which.gpkg"
    timed "$G/scenario_$which" sh "$G/scenario.sh" $which ||
      echo "goals: scenario ($which) failed or was stopped (see $G/scenario_$which.log)"
    base_s "$G/scenario_$which.gpkg" >>"$G/scenario_$which.base"
  done
  if [ "$(awk '{ v = $1 } END { print (v > 20) }' "$G/scenario_national")" = 1 ]; then break; fi
done
set -- $(goal_figs "$G/scenario_county")
sc_c_wall=$1 sc_c_mb=$2
sc_c_base=$(median <"$G/scenario_county.base")
set -- $(goal_figs "$G/scenario_national")
sc_n_wall=$1 sc_n_mb=$2 sc_n_cpu=$3
sc_n_base=$(median <"$G/scenario_national.base")
sc_runs=$(wc -l <"$G/scenario_national")
beyond=$(awk -v a="$sc_n_mb" -v b="$sc_c_mb" 'BEGIN { if (a + 0 == a && b + 0 == b) printf "%.0f", a - b; else print "-" }')
# a run that failed or was stopped has no baseline_seconds: say so in the row
sc_fail=""
for which in national county; do
  if [ ! -s "$G/scenario_$which.base" ]; then
    sc_fail="$sc_fail$which run FAILED: $(grep -v '^warning' "$G/scenario_$which.log" | tail -n 1); "
    beyond=-
  fi
done
nsvc=$(sqlite3 "$SL" "SELECT COUNT(*) FROM services WHERE type = 'pharmacy'" 2>/dev/null || echo '?')
csvc=$(sqlite3 "$CY" "SELECT COUNT(*) FROM services WHERE type = 'pharmacy'" 2>/dev/null || echo '?')
bench_row "CLI platsa scenario, baseline with the national pharmacy list ($nsvc) and county $GOAL_COUNTY's roads and population, one closure; baseline s (output metadata) and MB beyond loading (peak $sc_n_mb MB minus the county-list run's peak); whole run $sc_n_wall s, CPU $sc_n_cpu s; $sc_runs runs; load $scen_load" \
  "county $GOAL_COUNTY" "${sc_n_base:--}" "$beyond" "same with the county's own pharmacies ($csvc): baseline s, peak MB (whole run $sc_c_wall s)" \
  "${sc_c_base:--}" "$sc_c_mb" "${sc_fail}baseline national / county list = $(goal_ratio "$sc_n_base" "$sc_c_base")" \
  "baseline <= 2 s, <= 1024 MB beyond loading" "$(goal_all "$(pass_fail "${sc_n_base:--}" 2)" "$(pass_fail "$beyond" 1024)")"
  note 35_access_goals "- county $GOAL_COUNTY's own files (bench/goal_inputs.py county, from synth L 250 m): $(for l in population services roads municipalities; do printf '%s %s, ' "$(sqlite3 "$CY" "SELECT COUNT(*) FROM $l" 2>/dev/null || echo '?')" "$l"; done | sed 's/, $//'); the national population file: $(sqlite3 "$SL" 'SELECT COUNT(*) FROM population' 2>/dev/null || echo '?') cells; the national services: $(sqlite3 "$SL" 'SELECT COUNT(*) FROM services' 2>/dev/null || echo '?') (all types; the scenario's baseline analyses pharmacy only)."
fi
# ---- 6: a warm run reads no input it does not need ----
echo "goals: anchor, warm, under strace"
st_load=$(load_now)
strace -f -y -qq -e trace=read,pread64,readv,preadv,mmap -e signal=none -o "$G/strace.txt" \
  sh "$G/anchor.sh" "$G/anchor_strace.gpkg" --graph-cache "$AC" >"$G/strace.log" 2>&1 ||
    echo "goals: the strace run failed (see $G/strace.log)"
awk -f bench/strace_bytes.awk "$G/strace.txt" >"$G/strace_bytes.txt"
fbytes() { # KIND PATH: bytes read (or mapped) from PATH
  p=$(readlink -f "$2")
  awk -F'\t' -v k="$1" -v p="$p" '$1 == k && $2 == p { print $3; f = 1 } END { if (!f) print 0 }' "$G/strace_bytes.txt"
}
rb=$(fbytes read "$AG/roads.gpkg")
rm_=$(fbytes mmap "$AG/roads.gpkg")
res=$( [ "$rb" -le 1048576 ] && [ "$rm_" -le 1048576 ] && echo PASS || echo FAIL)
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1048576 }'; }
bench_row "CLI platsa access, anchor, warm --graph-cache, under strace: bytes read from the roads file (read/pread; mapped: $(mb "$rm_")); load $st_load" \
  "anchor 2M" "-" "-" "" "" "" \
  "roads.gpkg $(mb "$rb") of $(mb "$(stat -c %s "$AG/roads.gpkg")"); cache $(mb "$(fbytes read "$AC")") of $(mb "$(stat -c %s "$AC" 2>/dev/null || echo 0)"); population and services $(mb "$(fbytes read "$AI")")" \
  "roads file not read (<= 1 MB)" "$res"
note 35_access_goals "- warm run under strace (\`strace -f -y -e trace=read,pread64,readv,preadv,mmap\`): bytes read from each file: $(sort "$G/strace_bytes.txt" | awk -F'\t' '$1 == "read" && $2 !~ /^\/(proc|sys|usr|lib|etc|dev)\// && $2 !~ /\.so(\.[0-9.]*)?$/ { printf "%s%s %.3f MB", sep, $2, $3 / 1048576; sep = "; " }' | sed "s|$BENCH_ROOT/||g")."
rm -f "$AC" "$AC".* "$G"/*.gpkg "$G/strace.txt"
# ---- end access goals ----
