#!/usr/bin/env bash
#===- build.sh - Configure (once) and build Tandem -------------------------===#
#
# Usage: scripts/build.sh [BUILD_DIR]   (default: build)
# Uses Ninja, Debian's LLVM/MLIR 22 and lld; extra CMake arguments can be
# passed in TANDEM_CMAKE_ARGS.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    ${TANDEM_CMAKE_ARGS:-}
fi
cmake --build "$BUILD"
