#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The scenario-sweep step of `make test-slurm` (issue #22; tests/slurm_check.sh runs it last, on
# its cluster): platsa sweep splits a scenario file into slices, the array runs on Slurm
# (sbatch --wait), platsa merge joins it, and every table and CSV twin equals the single
# platsa scenario run. The data: platsa synth --size S (one kommun, real SCB 1 km squares);
# the scenarios: every closure pair of its first 7 grocery stores (21) and one road closure.
# usage: . CLUSTER/env.sh; PLATSA=build/platsa sh tests/slurm_sweep.sh WORKDIR   (WORKDIR new)
# Prints ok:/FAILED: lines, figures, and "N passed, N failed"; exit 0 when all pass.
set -u
PLATSA=${PLATSA:-build/platsa}
case $PLATSA in /*) ;; *) PLATSA=$(pwd)/$PLATSA ;; esac
W=${1:?usage: sh tests/slurm_sweep.sh WORKDIR}
SLICES=${SLICES:-4}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAILED: $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}   # the styles' time stamps: the same in both files

mkdir -p "$W" || { bad "mkdir $W"; finish; }
chmod 755 "$W"
f=$W/synth_S.gpkg
"$PLATSA" -q synth --size S --seed 1 -o "$f" >/dev/null || { bad "platsa synth --size S"; finish; }
ids=$(sqlite3 "$f" "select id from services where type like 'grocery%' order by id limit 7")
road=$(sqlite3 "$f" "select fid from roads order by fid limit 1 offset 100")
{
  printf '[baseline]\npopulation = %s:population\nservices = %s:services\nroads = %s:roads\n' "$f" "$f" "$f"
  printf 'municipalities = %s:municipalities\nmode = car\n\n' "$f"
  i=0
  for a in $ids; do
    j=0
    for b in $ids; do
      [ $j -gt $i ] && printf '[scenario Butik %d och %d stänger]\nclose = %s, %s\n\n' $i $j "$a" "$b"
      j=$((j + 1))
    done
    i=$((i + 1))
  done
  printf '[scenario Väg %s stängd]\nremove_roads = %s\n' "$road" "$road"
} > "$W/sweep.ini"
n_sc=$(grep -c '^\[scenario' "$W/sweep.ini")
check "scenario file: $n_sc scenarios (21 closure pairs and a road closure)" '[ "$n_sc" -eq 22 ]'

t0=$(now)
"$PLATSA" -q scenario "$W/sweep.ini" -o "$W/single.gpkg" --csv || { bad "single platsa scenario run"; finish; }
single=$(secs "$t0" "$(now)")
t0=$(now)
"$PLATSA" -q sweep "$W/sweep.ini" --slices "$SLICES" --job-dir "$W/job" -o "$W/merged.gpkg" --csv >/dev/null
check "platsa sweep --slices $SLICES (exit $?)" '[ -s "$W/job/array.sbatch" ]'
plan=$(secs "$t0" "$(now)")
t0=$(now)
sbatch --quiet --wait "$W/job/array.sbatch" >/dev/null
check "sbatch --wait $W/job/array.sbatch: $SLICES tasks (exit $?)" '[ $? -eq 0 ]'
array=$(secs "$t0" "$(now)")
# A task's output lost: merge names it and the sbatch line; resubmitted alone.
rm -rf "$W/job/tasks/0001"
"$PLATSA" -q merge "$W/job" > "$W/merge1.log" 2>&1; rc=$?
check "merge with task 1 lost exits 1 naming sbatch --wait --array=1 (exit $rc)" \
  '[ $rc -eq 1 ] && grep -q "sbatch --wait --array=1 $W/job/array.sbatch" "$W/merge1.log" && [ ! -e "$W/merged.gpkg" ]'
sbatch --quiet --wait --array=1 "$W/job/array.sbatch" >/dev/null
check "task 1 alone resubmitted (exit $?)" '[ $? -eq 0 ]'
t0=$(now)
"$PLATSA" -q merge "$W/job"
check "platsa merge (exit $?)" '[ -s "$W/merged.gpkg" ]'
merge=$(secs "$t0" "$(now)")

# Every table but the metadata, row for row in fid order; the CSV twins byte for byte.
tables=$(sqlite3 "$W/single.gpkg" "select name from sqlite_master where type = 'table' and name not like
  'gpkg_metadata%' and name not like 'sqlite_%' and name not like 'rtree_%' order by 1")
nt=0 nd=0
for t in $tables; do
  nt=$((nt + 1))
  a=$(sqlite3 "$W/single.gpkg" "select * from \"$t\"" | md5sum)
  b=$(sqlite3 "$W/merged.gpkg" "select * from \"$t\"" 2>/dev/null | md5sum)
  [ "$a" = "$b" ] || { nd=$((nd + 1)); echo "differs: $t"; }
done
check "all $nt tables equal the single run's ($nd differ)" '[ "$nd" -eq 0 ] && [ "$nt" -ge 25 ]'
check "CSV twins byte for byte" 'cmp -s "$W/single_scenario_summary.csv" "$W/merged_scenario_summary.csv" &&
  cmp -s "$W/single_delta_municipalities.csv" "$W/merged_delta_municipalities.csv"'
echo "figures: sweep of $n_sc scenarios on synth S: single run $single s; sweep plan $plan s, array of $SLICES tasks $array s, merge $merge s"
finish
