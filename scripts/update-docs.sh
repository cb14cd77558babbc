#!/usr/bin/env bash
#===- update-docs.sh - Refresh docs/generated from TableGen ----------------===#
#
# Usage: scripts/update-docs.sh [BUILD_DIR]
# Rebuilds the dialect, interface and pass reference and copies it into
# docs/generated, where test/docs-up-to-date.test checks it.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
"$ROOT/scripts/build.sh" "$BUILD" >/dev/null
mkdir -p "$ROOT/docs/generated"
cp "$BUILD"/docs/*.md "$ROOT/docs/generated/"
ls "$ROOT/docs/generated"
