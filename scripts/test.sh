#!/usr/bin/env bash
#===- test.sh - Build Tandem and run every test layer ---------------------===#
#
# Usage: scripts/test.sh [BUILD_DIR]   (default: build)
#
# Builds (configuring on first use), then runs lit, ctest and pytest through
# scripts/run-tests.sh, which ends with one `N passed, N failed` line.
#
#===----------------------------------------------------------------------===#
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"

if ! "$ROOT/scripts/build.sh" "$BUILD"; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
exec "$ROOT/scripts/run-tests.sh" "$BUILD"
