#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs every cmocka test binary given as argument from the repository root and
# closes with the plain line CI reads: "N passed, N failed".
# A binary that crashes or exits non-zero without a cmocka summary counts as one failure.
passed=0
failed=0
failed_bins=""
for bin in "$@"; do
  out=$("$bin" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
  p=${p:-0}
  f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$f" -ne 0 ] && failed_bins="$failed_bins $(basename "$bin")"
done
[ -n "$failed_bins" ] && echo "failing test programs:$failed_bins"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
