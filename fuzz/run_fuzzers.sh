#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in their own build folder and runs each for a
# bounded time. Fails on a build error or on any crash, leak or sanitizer report.
# Usage: run_fuzzers.sh BUILD_DIR SECONDS_PER_TARGET
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?build dir}"
seconds="${2:-30}"
mkdir -p "$build"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug > "$build/configure.log" 2>&1 \
  || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j 2
for target in request_decoder_fuzz record_batch_fuzz; do
  corpus="$build/corpus-$target"
  mkdir -p "$corpus"
  echo "== $target for ${seconds}s"
  "$build/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
done
