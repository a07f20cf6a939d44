#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Lists the C functions longer than N lines (default 150) in the library and the CLI, longest
# first: "LINES FILE:LINE NAME [why]". A function may be long when the comment block just above
# it holds a line "Long: <why>" (issue #20: no function over 150 lines without a comment saying
# why). Prints a last line "N over, M without a reason"; exits 1 when M > 0 and --check is given.
# usage: sh tests/long_functions.sh [--check] [-q] [N] [FILES...]   (-q: only the last line)
check=0
quiet=0
[ "$1" = --check ] && { check=1; shift; }
[ "$1" = -q ] && { quiet=1; shift; }
max=${1:-150}
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- gis/*.c layers/*.c analyses/*/*.c cli/*.c
awk -v max="$max" '
  FNR == 1 { why = ""; sig = 0; body = 0 }
  # a comment block: remember a "Long:" line in it; code ends it
  /^\/\*/ || /^ \*/ { if (!body && !sig) { if (match($0, /Long: .*/)) { why = substr($0, RSTART + 6); sub(/ *\*\/.*/, "", why) } } }
  { gsub(/__attribute__\(\([^)]*\)\)/, "") }
  !body && !sig && /^[A-Za-z_][A-Za-z0-9_ \*]*[ \*]([A-Za-z_][A-Za-z0-9_]*)\(/ && $0 !~ /;[ \t]*$/ {
    sig = FNR; name = $0; sub(/\(.*/, "", name); n = split(name, w, /[ \*]+/); name = w[n]
  }
  sig && !body && /^\{/ { body = 1 }
  body && /^\}/ {
    len = FNR - sig + 1
    if (len > max) printf "%d %s:%d %s%s\n", len, FILENAME, sig, name, (why != "" ? "  [Long:" why "]" : "")
    sig = 0; body = 0; why = ""
    next
  }
  !body && !sig && !/^\/\*/ && !/^ \*/ && !/^$/ { why = "" }
' "$@" | sort -rn >/tmp/long_functions.$$
[ $quiet = 1 ] || cat /tmp/long_functions.$$
over=$(wc -l </tmp/long_functions.$$)
without=$(grep -vc '\[Long:' /tmp/long_functions.$$)
rm -f /tmp/long_functions.$$
echo "$over over $max lines, $without without a reason"
[ $check = 1 ] && [ "$without" -gt 0 ] && exit 1
exit 0
