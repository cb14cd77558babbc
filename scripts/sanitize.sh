#!/usr/bin/env bash
#===- sanitize.sh - Every test layer under AddressSanitizer + UBSan -------===#
#
# Usage: scripts/sanitize.sh [BUILD_DIR]   (default: build-asan)
#
# Configures (once) a clang-22 build of all of Tandem with
# -fsanitize=address,undefined (and the libFuzzer targets, which share the
# instrumentation), builds it, and runs lit, ctest, pytest and the ONNX node
# tests against it through scripts/run-tests.sh. Any sanitizer report ends
# the process that made it with a non-zero status, so it fails its test.
# Needs clang-22 and libclang-rt-22-dev (scripts/install-deps.sh --sanitizers).
# About 25 minutes on 2 cores, most of it the build.
#
#===----------------------------------------------------------------------===#
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build-asan}"

export TANDEM_CMAKE_ARGS="-DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DTANDEM_SANITIZE=address,undefined -DTANDEM_FUZZERS=ON"
if ! "$ROOT/scripts/build.sh" "$BUILD"; then
  echo "sanitizer build failed"
  exit 1
fi
# halt_on_error/abort: a report is a failure, never a warning in a log.
# allocator_may_return_null: the JIT runtime reports an allocation that
# fails (a model too large for memory) itself, as without ASan.
# detect_leaks stays on: no leak report is suppressed.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export TANDEM_TEST_TIMEOUT_SCALE=10
exec "$ROOT/scripts/run-tests.sh" "$BUILD"
