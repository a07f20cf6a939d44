# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers for bench/run_bench.sh and the sections in bench/sections/ (sourced, POSIX sh).
#
# A section adds rows to the one results table with bench_row, and may add a paragraph to
# BENCHMARKS.md by writing $OUT_DIR/notes/<section>.md. Columns (tab separated, in $RESULTS):
#   task  size  platsa_s  platsa_mb  peer  peer_s  peer_mb  ratio  agreement  goal  result
# Empty fields are written as "-". ratio = peer_s / platsa_s (how many times slower the peer is).

BENCH_ROOT=${BENCH_ROOT:-$(pwd)}
PY=/usr/bin/python3   # Debian's Python (python3-scipy, python3-gdal); not a pyenv shim

# bench_row TASK SIZE PLATSA_S PLATSA_MB PEER PEER_S PEER_MB AGREEMENT GOAL RESULT
bench_row() {
  ratio=-
  if [ "${6:--}" != - ] && [ "${3:--}" != - ]; then
    ratio=$(awk -v a="$6" -v b="$3" 'BEGIN { if (b > 0 && a + 0 == a) printf "%.1f", a / b; else print "-" }')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${3:--}" "${4:--}" "${5:--}" "${6:--}" "${7:--}" \
    "$ratio" "${8:--}" "${9:--}" "${10:--}" >>"$RESULTS"
}

# median of the numbers on stdin (one per line); "-" when none
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# pass_fail VALUE GOAL: PASS when VALUE <= GOAL
pass_fail() {
  awk -v v="$1" -v g="$2" 'BEGIN { if (v == "-" || v == "") print "-"; else print (v + 0 <= g + 0 ? "PASS" : "FAIL") }'
}

# timed OUTFILE CMD...: runs CMD under /usr/bin/time; appends "wall_s peak_mb cpu_s" to OUTFILE
# (cpu = user + system seconds of CMD and its children), CMD's stdout+stderr to OUTFILE.log.
# Returns CMD's status.
# Prefix for bench_routing --e2e: started as build/platsa starts its engine, with glibc's
# 2 MiB-page tunable set from the start (cli/launcher/platsa.c), not by starting itself again.
ENGINE_ENV="env GLIBC_TUNABLES=glibc.malloc.hugetlb=1"

timed() {
  out=$1
  shift
  /usr/bin/time -f 'TIME %e %M %U %S' -o "$out.time" "$@" >>"$out.log" 2>&1
  st=$?
  awk '/^TIME/ { printf "%s %.0f %.2f\n", $2, $3 / 1024, $4 + $5 }' "$out.time" >>"$out"
  return $st
}

# field N FILE: column N of every line of FILE (space separated)
field() { awk -v n="$1" '{ print $n }' "$2"; }

# kv KEY TEXT: the value of KEY=VALUE in TEXT
kv() { printf '%s\n' "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2; exit }'; }

# load: the 1-minute load average now
load_now() { cut -d' ' -f1 /proc/loadavg; }

# own_table SECTION TITLE: the section's rows go to a table of their own under TITLE, with
# its notes, between markers in BENCHMARKS.md (not to the main table), so that
# BENCH_ONLY=SECTION can measure it again apart from a full run and rewrite only that block
own_table() {
  mkdir -p "$OUT_DIR/own"
  printf '%s\n' "$2" >"$OUT_DIR/own/$1"
}

# note SECTION TEXT...: appends a line to the section's paragraph in BENCHMARKS.md
note() {
  s=$1
  shift
  mkdir -p "$OUT_DIR/notes"
  printf '%s\n' "$*" >>"$OUT_DIR/notes/$s.md"
}

# apt_need PACKAGE...: installs the packages that are missing (Debian, as root or with sudo)
apt_need() {
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo "bench: installing$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
