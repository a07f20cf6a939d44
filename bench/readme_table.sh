#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# README.md's performance table, generated from BENCHMARKS.md (what `make bench` wrote), so the
# README shows the figures of a run and says where they come from. Called at the end of
# `make bench` (bench/run_bench.sh) and by `make readme-perf`; tests/test_docs.c
# (test_readme_perf_table_current) fails when README.md's table differs from what this prints.
#
# usage: sh bench/readme_table.sh [--check | --print] [BENCHMARKS.md [README.md]]
#   (no flag)  replaces the block between the two markers below in README.md (a temporary,
#              then renamed into place; README.md is left as it is when nothing changes)
#   --check    exit 1, with a diff, when README.md's block differs from the generated one
#   --print    prints the generated block
# Markers (README.md must have both, each on a line of its own):
#   <!-- performance table: written by bench/readme_table.sh from BENCHMARKS.md; do not edit by hand -->
#   <!-- end performance table -->
#
# Rows: every row of BENCHMARKS.md's tables (the main table and each section's own block) that
# has a goal, and the peers' rows on the routing anchor ("anchor 2M"), one README row per task
# with every peer beside it. Each row says what was measured: "CLI" (build/platsa as a user runs
# it) or "library" (a bench program linked with libplatsa: bench_routing, bench_raptor), and the
# run it comes from (commit, date, load average). Which rows are CLI is read from the task's
# words (rules in cli_kind below); "same, ..." rows take the kind of the row above them.
set -e
MODE=write
case ${1:-} in
  --check) MODE=check; shift ;;
  --print) MODE=print; shift ;;
  -*) echo "usage: sh bench/readme_table.sh [--check | --print] [BENCHMARKS.md [README.md]]" >&2; exit 2 ;;
esac
BM=${1:-BENCHMARKS.md}
RM=${2:-README.md}
BEGIN_MARK='<!-- performance table: written by bench/readme_table.sh from BENCHMARKS.md; do not edit by hand -->'
END_MARK='<!-- end performance table -->'
[ -f "$BM" ] || { echo "readme_table: $BM missing: run make bench first" >&2; exit 2; }

generate() {
  awk -v begin_mark="$BEGIN_MARK" -v end_mark="$END_MARK" '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    # CLI: build/platsa run as a user runs it; library: a bench program (bench/*.c)
    function cli_kind(task, prev) {
      if (task ~ /^same[ ,]/) return prev
      if (task ~ /^CLI / || task ~ /^platsa (access|import-osm|scenario|stores|coverage|green|synth)/ || \
          task ~ /^SYNTHETIC transit access/) return "CLI"
      if (task ~ /^transit nearest service/) return "library (bench_raptor)"
      if (task ~ /^(nearest facility|nearest \+ second|ns per settled|peak memory)/) return "library (bench_routing)"
      return "library"
    }
    function fig(s, mb,   t) {
      t = ""
      if (s != "-" && s != "") t = (s ~ /[0-9]$/ ? s " s" : s)
      if (mb != "-" && mb != "") t = t (t == "" ? "" : ", ") mb " MB"
      return t == "" ? "-" : t
    }
    # the agreement column up to its first ";" (the ratio or the answers check the row leads with)
    function short_agree(a) { if (a == "-") return ""; sub(/;.*/, "", a); return a }
    # the run a table belongs to
    /^## This run/ { in_run = 1; next }
    in_run && /commit/ && run_date == "" {
      run_date = $0; sub(/, commit.*/, "", run_date)
      run_commit = $0; sub(/.*commit /, "", run_commit); sub(/,.*/, "", run_commit)
    }
    in_run && /^Load average/ {
      a = $0; sub(/.*at the start /, "", a); sub(/,.*/, "", a)
      b = $0; sub(/.*at the end /, "", b); sub(/ .*/, "", b)
      run_load = a "–" b; in_run = 0
    }
    /^- [0-9A-Za-z_]+: load [0-9.]+ at the start/ { l = $0; n = $2; sub(/:$/, "", n); sub(/.*: load /, "", l); sub(/ .*/, "", l); sec_load[n] = l }
    /^<!-- bench section / { sec = $4; sub(/:$/, "", sec); block = sec; blk_run[sec] = ""; next }
    /^<!-- end bench section / { block = ""; next }
    block != "" && /^Measured in the full run above/ { blk_run[block] = "FULL" }
    block != "" && /^Measured [0-9]/ {
      d = $0; sub(/^Measured /, "", d); sub(/, commit.*/, "", d)
      c = $0; sub(/.*, commit /, "", c); sub(/,.*/, "", c)
      a = $0; sub(/.*at the start /, "", a); sub(/,.*/, "", a)
      b = $0; sub(/.*at the end /, "", b); sub(/\.$/, "", b)
      blk_run[block] = c ", " d ", load " a "–" b " (this section alone)"
    }
    # table rows: the main table under "## Results" and the blocks tables (11 columns)
    /^## Results/ { table = "main"; next }
    /^## / && block == "" && !/^## Results/ { table = "" }
    block != "" { table = block }
    /^\| task \| size \|/ || /^\| --- \|/ { prev_kind = ""; next }
    table != "" && /^\| / {
      n = split($0, f, "|")
      if (n != 13) next
      for (i = 2; i <= 12; i++) col[i - 1] = trim(f[i])
      task = col[1]; size = col[2]; ps = col[3]; pmb = col[4]; peer = col[5]; prs = col[6]; ratio = col[8]; agree = col[9]; goal = col[10]; res = col[11]
      kind = cli_kind(task, prev_kind); prev_kind = kind
      k++
      R_table[k] = table; R_task[k] = task; R_size[k] = size; R_fig[k] = fig(ps, pmb); R_kind[k] = kind
      R_goal[k] = goal; R_res[k] = res; R_peer[k] = peer; R_prs[k] = prs; R_ratio[k] = ratio; R_agree[k] = agree
    }
    END {
      if (run_commit == "") { print "readme_table: no \"## This run\" line with a commit in BENCHMARKS.md" > "/dev/stderr"; exit 2 }
      main_run = run_commit ", " run_date ", load " run_load
      print begin_mark
      print ""
      print "Generated by `bench/readme_table.sh` from [`BENCHMARKS.md`](BENCHMARKS.md) (`make bench` writes both):"
      print "every row that has a goal, and the peers on the routing anchor. **measured by**: CLI = `build/platsa`"
      print "run as a user runs it; library = a bench program calling libplatsa directly. **run**: commit, date and"
      print "1-minute load average (2 shared cores: wall-clock seconds grow with the load, CPU seconds less)."
      print ""
      print "| task | size | platsa | peers in the same run (peer/platsa); agreement or note | goal | result | measured by | run |"
      print "|---|---|---|---|---|---|---|---|"
      for (i = 1; i <= k; i++) {
        t = R_table[i]
        if (t == "main") run = main_run
        else if (blk_run[t] == "FULL" || blk_run[t] == "") run = run_commit ", " run_date ", load " (t in sec_load ? sec_load[t] " (section start)" : run_load)
        else run = blk_run[t]
        if (R_goal[i] != "-") {
          p = "-"
          if (R_peer[i] != "-" && R_peer[i] != "" && R_prs[i] != "-") p = R_peer[i] ": " R_prs[i] (R_prs[i] ~ /^[0-9.]+$/ ? " s" : "") (R_ratio[i] != "-" ? " (" R_ratio[i] "x)" : "")
          a = short_agree(R_agree[i])
          if (a != "") p = (p == "-" ? a : p "; " a)
          res = R_res[i]; gsub(/\*/, "", res); if (res == "FAIL") res = "**FAIL**"
          printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", R_task[i], R_size[i], R_fig[i], p, R_goal[i], res, R_kind[i], run
        } else if (R_size[i] == "anchor 2M" && R_peer[i] != "-" && R_peer[i] != "") {
          key = R_task[i] SUBSEP t
          if (!(key in grp)) { grp[key] = ++ng; G_task[ng] = R_task[i]; G_fig[ng] = R_fig[i]; G_kind[ng] = R_kind[i]; G_run[ng] = run; G_peers[ng] = "" }
          g = grp[key]
          G_peers[g] = G_peers[g] (G_peers[g] == "" ? "" : "; ") R_peer[i] " " R_prs[i] " s (" R_ratio[i] "x)"
        }
      }
      for (g = 1; g <= ng; g++)
        printf "| %s | anchor 2M | %s | %s | - | - | %s | %s |\n", G_task[g], G_fig[g], G_peers[g], G_kind[g], G_run[g]
      print ""
      print end_mark
    }' "$BM"
}

block=$(generate)
if [ "$MODE" = print ]; then
  printf '%s\n' "$block"
  exit 0
fi
[ -f "$RM" ] || { echo "readme_table: $RM missing" >&2; exit 2; }
nb=$(grep -cxF "$BEGIN_MARK" "$RM" || true)
ne=$(grep -cxF "$END_MARK" "$RM" || true)
if [ "$nb" != 1 ] || [ "$ne" != 1 ]; then
  echo "readme_table: $RM needs each marker once, on a line of its own: $BEGIN_MARK ... $END_MARK" >&2
  exit 2
fi
tmp="$RM.tmp.$$"
trap 'rm -f "$tmp" "$tmp.block"' EXIT
printf '%s\n' "$block" >"$tmp.block"
awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v bf="$tmp.block" '
  $0 == b { while ((getline l < bf) > 0) print l; skip = 1; next }
  skip && $0 == e { skip = 0; next }
  !skip { print }' "$RM" >"$tmp"
if [ "$MODE" = check ]; then
  if cmp -s "$tmp" "$RM"; then exit 0; fi
  echo "readme_table: $RM's performance table differs from $BM (run: sh bench/readme_table.sh, or make readme-perf):" >&2
  diff "$RM" "$tmp" >&2 || true
  exit 1
fi
if cmp -s "$tmp" "$RM"; then exit 0; fi
mv "$tmp" "$RM"
echo "readme_table: $RM's performance table written from $BM"
