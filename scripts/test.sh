#!/usr/bin/env bash
# Builds attnc twice (optimised, then ASan+UBSan) and runs the whole CTest
# suite in each. Usage: scripts/test.sh   (from anywhere)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
jobs=$(nproc)

run_suite() { # name, extra cmake args...
  local dir="$root/build-ci-$1"; shift
  cmake -S "$root" -B "$dir" -G Ninja -DATTN_WERROR=ON "$@" >/dev/null
  ninja -C "$dir"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600)
}

echo "== release build + tests"
run_suite release -DCMAKE_BUILD_TYPE=Release
echo "== ASan + UBSan build + tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite asan -DCMAKE_BUILD_TYPE=Debug -DATTN_SANITIZE=ON
