#!/usr/bin/env bash
# Profiles some benchmarks under callgrind, counting only inside the benchmark
# functions (not start-up or the harness), and prints the hottest functions.
#   bench/micro/callgrind.sh 'BM_SioDecode_SmallEvent$' [extra callgrind_annotate args]
# Uses a Release build with debug info in build-prof/ (configured if missing).
# Output: bench/results/callgrind.<name>.out (open with kcachegrind or callgrind_annotate).
set -euo pipefail
cd "$(dirname "$0")/../.."

filter=${1:?benchmark filter regex}
shift
build=${PROF_BUILD_DIR:-build-prof}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-g -fno-omit-frame-pointer" \
    -DSB_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j"${JOBS:-2}" --target sb-micro >/dev/null

mkdir -p bench/results
name=$(echo "$filter" | tr -c 'A-Za-z0-9_\n' '_')
out=bench/results/callgrind.$name.out
# Few iterations are enough: callgrind counts instructions, not time.
valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*BM_*' \
  "$build/sb-micro" --benchmark_filter="$filter" --benchmark_min_time=0.2 2>&1 |
  grep -E '^BM_|Collected'
callgrind_annotate --inclusive=no "$out" "$@" | sed -n '/^Ir/,$p' | head -40
