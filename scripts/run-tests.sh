#!/usr/bin/env bash
#===- run-tests.sh - Run every test layer of an existing build ------------===#
#
# Usage: scripts/run-tests.sh BUILD_DIR
#
# Runs lit + FileCheck (IR and tools), GoogleTest via ctest (libraries) and
# pytest (Python) and the ONNX backend node tests against BUILD_DIR, then prints one
# `N passed, N failed[, N skipped]` line covering all layers. Exits non-zero
# if any test fails. `scripts/test.sh` builds first and then calls this; the
# `check-tandem` build target calls it directly.
#
#===----------------------------------------------------------------------===#
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:?usage: run-tests.sh BUILD_DIR}" && pwd)"
PY=/usr/bin/python3
LIT=/usr/lib/llvm-22/bin/lit
RESULTS="$BUILD/test-results"
JOBS="$(nproc)"

rm -rf "$RESULTS" && mkdir -p "$RESULTS"

echo "== lit (IR and tools)"
"$LIT" -sv -j "$JOBS" --xunit-xml-output "$RESULTS/lit.xml" "$BUILD/test"

echo "== ctest (C++ unit tests)"
ctest --test-dir "$BUILD" -j "$JOBS" --output-on-failure \
  --output-junit "$RESULTS/ctest.xml"

echo "== pytest (Python)"
TANDEM_BUILD_DIR="$BUILD" "$PY" -m pytest -q -p no:cacheprovider \
  --junitxml="$RESULTS/pytest.xml" "$ROOT/test/python"

echo "== ONNX backend node tests (unsupported ones count as skipped)"
"$PY" "$ROOT/scripts/onnx_conformance.py" --build "$BUILD" \
  --check-docs "$ROOT/docs/onnx-conformance.md" --junit "$RESULTS/onnx-node-tests.xml"

echo "== summary"
"$PY" "$ROOT/scripts/summarize_tests.py" \
  "$RESULTS/lit.xml" "$RESULTS/ctest.xml" "$RESULTS/pytest.xml" \
  "$RESULTS/onnx-node-tests.xml"
