#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs libFuzzer targets for a bounded time each. Usage: run_fuzz.sh BUILD_DIR SECONDS NAME...
# Each target NAME runs on a scratch corpus BUILD_DIR/corpus/NAME, seeded from
# tests/fuzz/corpus/NAME (new inputs go to the scratch copy, not the repository), with its
# dictionary tests/fuzz/NAME.dict when present and the extra libFuzzer flags in
# tests/fuzz/NAME.options when present (they come last: e.g. a larger -max_len wins). A crashing, leaking, timing-out or
# out-of-memory input is written to tests/fuzz/regressions/NAME/ (crash-*, leak-*, timeout-*,
# oom-*), where tests/test_robustness.c replays it in `make test`.
# Environment: FUZZ_ARGS adds libFuzzer flags (e.g. FUZZ_ARGS=-jobs=2).
set -u
build=$1
seconds=$2
shift 2
status=0
summary=""
for name in "$@"; do
  bin="$build/fuzz_$name"
  seeds="tests/fuzz/corpus/$name"
  work="$build/corpus/$name"
  out="tests/fuzz/regressions/$name"
  mkdir -p "$work" "$out" "$seeds"
  dict=""
  [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
  opts=""
  [ -f "tests/fuzz/$name.options" ] && opts=$(cat "tests/fuzz/$name.options")
  echo "== fuzz_$name: $seconds s (corpus $work, seeds $seeds)"
  # shellcheck disable=SC2086
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=16384 -print_final_stats=1 \
      -artifact_prefix="$out/" $dict $opts ${FUZZ_ARGS:-} "$work" "$seeds" 2>&1 | tee "$build/fuzz_$name.log" |
    grep -E '^(#[0-9]+ +(DONE|INITED)|==[0-9]+==ERROR|SUMMARY|stat::number_of_executed_units|stat::peak_rss_mb|artifact_prefix|Test unit written|fuzz property failed)' 
  rc=$(grep -c -E '^==[0-9]+==ERROR|fuzz property failed|Test unit written|^ALARM|out-of-memory' "$build/fuzz_$name.log")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz_$name.log" | tail -n 1)
  if [ "$rc" -ne 0 ]; then
    status=1
    summary="$summary
fuzz_$name: FAILED after ${execs:-?} runs; input saved in $out/ (see $build/fuzz_$name.log)"
  else
    summary="$summary
fuzz_$name: ok, ${execs:-?} runs in $seconds s"
  fi
done
echo "$summary"
exit $status
