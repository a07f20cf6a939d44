# SPDX-License-Identifier: GPL-3.0-or-later
# ---- platsa partition + merge (analyses/partition/) beside the single run ----
# synth L 1 km (all of Sweden) in 21 län tiles, halo $PARTITION_HALO_KM (default 40 km), the
# tasks run here one after another through the Slurm script without Slurm
# (SLURM_ARRAY_TASK_ID=i sh job/array.sbatch), then platsa merge, rerun rounds while it exits 3.
# Row: the longest task's wall and peak memory (what one node of a cluster needs); the note has
# every round. Agreement: every layer of the merged file equals the single run's (30_access's
# output), table for table.
if [ "$BENCH_QUICK" != 1 ]; then
  P=$OUT_DIR/partition
  H=${PARTITION_HALO_KM:-40}
  f=$WORK/synth_L_1km.gpkg
  rm -rf "$P" && mkdir -p "$P"
  : >"$P/tasks"
  : >"$P/merge"
  "$PLATSA" -q partition --tiles lan --halo-km "$H" --job-dir "$P/job" -p "$f:population" -s "$f:services" \
    -r "$f:roads" -m "$f:municipalities" -o "$P/merged.gpkg" >"$P/partition.log" 2>&1
  n0=$(($(wc -l <"$P/job/plan.tsv") - 1))
  i=0
  while [ "$i" -lt "$n0" ]; do
    SLURM_ARRAY_TASK_ID=$i timed "$P/tasks" sh "$P/job/array.sbatch" || echo "bench: task $i failed (see $P/tasks.log)"
    i=$((i + 1))
  done
  rounds=0
  while :; do
    st=0  # merge exits 3 while reruns are planned: not an error here (run_bench.sh runs under set -e)
    timed "$P/merge" "$PLATSA" -q merge "$P/job" || st=$?
    [ "$st" = 3 ] || break
    rounds=$((rounds + 1))
    first=$(awk -F'\t' -v r="$rounds" 'NR > 1 && $6 == r { print $1; exit }' "$P/job/plan.tsv")
    last=$(($(wc -l <"$P/job/plan.tsv") - 2))
    i=$first
    while [ "$i" -le "$last" ]; do
      SLURM_ARRAY_TASK_ID=$i timed "$P/tasks" sh "$P/job/array.sbatch" || echo "bench: task $i failed"
      i=$((i + 1))
    done
  done
  n=$(($(wc -l <"$P/job/plan.tsv") - 1))
  task_max=$(field 1 "$P/tasks" | sort -g | tail -1)
  task_sum=$(field 1 "$P/tasks" | awk '{ s += $1 } END { printf "%.1f", s }')
  peak_max=$(field 2 "$P/tasks" | sort -g | tail -1)
  merge_s=$(tail -1 "$P/merge" | awk '{ print $1 }')
  merge_mb=$(tail -1 "$P/merge" | awk '{ print $2 }')
  same="-"
  single=$OUT_DIR/access/out_L_1km.gpkg
  if [ "$st" = 0 ] && [ -f "$single" ]; then
    same=identical
    for t in $(sqlite3 "$single" "SELECT table_name FROM gpkg_contents ORDER BY 1"); do
      q="SELECT * FROM \"$t\""  # the styles without update_time: each file's own write time
      [ "$t" = layer_styles ] && q="SELECT f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description FROM layer_styles"
      a=$(sqlite3 "$single" "$q" | md5sum)
      b=$(sqlite3 "$P/merged.gpkg" "$q" | md5sum)
      [ "$a" = "$b" ] || same="differs ($t)"
    done
  fi
  bench_row "platsa partition + merge, car, 1km, 21 län tiles, halo $H km: $n tasks ($n0 + $rounds rerun rounds); longest task (sum of tasks $task_sum s; merge $merge_s s, $merge_mb MB)" \
    L "$task_max" "$peak_max" "single run (30_access)" "${ACCESS_WALL:-}" "" "$same" "" ""
  note 80_partition "## platsa partition + merge"
  note 80_partition ""
  note 80_partition "synth L 1 km, \`--tiles lan --halo-km $H\`: $n0 tasks, $rounds rerun rounds, $n tasks in all, run one after another on this machine (\`SLURM_ARRAY_TASK_ID=i sh job/array.sbatch\`). Per task (wall s, peak MB): $(awk '{ printf "%s%s/%s", (NR > 1 ? ", " : ""), $1, $2 }' "$P/tasks"). Merge: $merge_s s, $merge_mb MB. Merged file vs the single run: $same."
fi
