#!/usr/bin/env bash
#===- fuzz.sh - Run every libFuzzer target --------------------------------===#
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [BUILD_DIR] [TARGETS...]
#        (defaults: 60, build-asan, every target)
#
# Builds the fuzz targets of test/Fuzz in the sanitizer build (configuring it
# like scripts/sanitize.sh on first use), assembles a seed corpus for each
# from the repository's test inputs and Debian's libonnx-testdata, runs each
# target for SECONDS_PER_TARGET (ASan + UBSan, 2 GiB RSS and 10 s per-input
# limits), and prints one line per target: executions, coverage (edges),
# corpus size, time, and whether it found a crash. Crashing inputs are kept
# in BUILD_DIR/fuzz/TARGET/crashes; reproduce one with
# `BUILD_DIR/bin/TARGET FILE`, then add it as a lit regression test.
# Exits non-zero if any target crashed, timed out or ran out of memory.
#
#===----------------------------------------------------------------------===#
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${1:-60}"
BUILD="${2:-$ROOT/build-asan}"
shift $(( $# > 2 ? 2 : $# ))
ALL=(fuzz-onnx fuzz-onnxtext fuzz-npy fuzz-pb fuzz-target-yaml fuzz-space-yaml fuzz-mapping-attr
     fuzz-policy-json fuzz-idx)
TARGETS=("${@:-${ALL[@]}}")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
TESTDATA=/usr/share/libonnx-testdata/data/node

export TANDEM_CMAKE_ARGS="-DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DTANDEM_SANITIZE=address,undefined -DTANDEM_FUZZERS=ON"
if [ ! -f "$BUILD/build.ninja" ]; then
  "$ROOT/scripts/build.sh" "$BUILD" || exit 1
fi
cmake --build "$BUILD" --target "${TARGETS[@]}" || exit 1

# Seeds: every file of a kind the tests use, and the sections split-file
# cuts out of .test files.
SPLIT="$BUILD/fuzz/split"
rm -rf "$SPLIT" && mkdir -p "$SPLIT"
n=0
for t in $(grep -rl '^#--- ' "$ROOT/test" --include='*.test'); do
  n=$((n + 1)); mkdir -p "$SPLIT/$n"
  /usr/lib/llvm-22/bin/split-file "$t" "$SPLIT/$n" 2>/dev/null || true
done
seed() { # seed TARGET FILES...
  local dir="$BUILD/fuzz/$1/corpus"; shift
  mkdir -p "$dir"
  local f; for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | md5sum | cut -c1-16)"; done
  return 0
}
for target in "${TARGETS[@]}"; do
  case "$target" in
    fuzz-onnx) seed "$target" $(ls "$TESTDATA"/*/model.onnx | head -400) \
                 $(find "$BUILD/bench-cache" -name '*.onnx' -size -2M 2>/dev/null) ;;
    fuzz-onnxtext) seed "$target" $(find "$ROOT/test" "$SPLIT" -name '*.onnxtext') ;;
    fuzz-npy)
      /usr/bin/python3 - "$BUILD/fuzz/npy-seeds" <<'PY'
import os, sys
import numpy as np
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
for i, (dtype, shape) in enumerate([("<f4", (2, 3)), ("<f8", (4,)), ("<i8", (1, 2, 2)),
                                    ("|i1", (3,)), ("|b1", (2,)), ("<f2", ()), ("<i4", (0,))]):
    np.save(os.path.join(out, f"{i}.npy"), np.zeros(shape, dtype=dtype))
PY
      seed "$target" "$BUILD"/fuzz/npy-seeds/*.npy $(find "$SPLIT" -name '*.npy') ;;
    fuzz-pb) seed "$target" $(ls "$TESTDATA"/*/test_data_set_0/input_0.pb | head -400) ;;
    fuzz-target-yaml) seed "$target" "$ROOT"/targets/*.yaml "$ROOT"/bench/timeloop/*.yaml \
                        $(grep -l '^levels:' $(find "$SPLIT" -name '*.yaml')) ;;
    fuzz-space-yaml) seed "$target" "$ROOT"/examples/*.yaml \
                       $(grep -l '^parameters:' $(find "$SPLIT" -name '*.yaml')) ;;
    fuzz-policy-json)
      mkdir -p "$BUILD/fuzz/policy-seeds"
      printf '%s' '{"default": {"weight_bits": 4, "activation_bits": 8}, "layers": {"conv": {"weight_bits": 2}}}' \
        > "$BUILD/fuzz/policy-seeds/layers.json"
      printf '%s' '{"format": "tandem-quantization-policy/1", "output_bits": 16, "weights": {"granularity": "per-tensor", "symmetric": false, "clipping": "minmax"}, "activations": {"symmetric": true, "clipping": "percentile", "percentile": 99.9}}' \
        > "$BUILD/fuzz/policy-seeds/options.json"
      seed "$target" "$BUILD"/fuzz/policy-seeds/*.json ;;
    fuzz-idx)
      /usr/bin/python3 - "$BUILD/fuzz/idx-seeds" <<'PY'
import gzip, os, sys
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
images = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3]) + bytes(range(18))
labels = bytes([0, 0, 8, 1, 0, 0, 0, 4]) + bytes([1, 2, 3, 4])
open(os.path.join(out, "images.idx"), "wb").write(images)
open(os.path.join(out, "labels.idx"), "wb").write(labels)
open(os.path.join(out, "images.idx.gz"), "wb").write(gzip.compress(images))
PY
      seed "$target" "$BUILD"/fuzz/idx-seeds/* ;;
    fuzz-mapping-attr)
      mkdir -p "$BUILD/fuzz/$target/corpus"
      grep -rhoE '#accel\.mapping<[^>]*>' "$ROOT/test" "$ROOT/docs" | sort -u | \
        sed -E 's/^#accel\.mapping<(.*)>$/\1/' | \
        while IFS= read -r m; do printf '%s' "$m" > "$BUILD/fuzz/$target/corpus/$(printf '%s' "$m" | md5sum | cut -c1-16)"; done ;;
  esac
done

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
printf '%-18s %12s %8s %8s %8s  %s\n' target executions coverage corpus seconds result
for target in "${TARGETS[@]}"; do
  dir="$BUILD/fuzz/$target"
  mkdir -p "$dir/crashes"
  start=$(date +%s)
  "$BUILD/bin/$target" "$dir/corpus" -max_total_time="$SECONDS_PER_TARGET" \
    -rss_limit_mb=2048 -timeout=10 -max_len=1048576 -print_final_stats=1 \
    -artifact_prefix="$dir/crashes/" > "$dir/log.txt" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$dir/log.txt" | grep -oE '[0-9]+$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$dir/log.txt" | tail -1 | grep -oE '[0-9]+')
  corpus=$(ls "$dir/corpus" | wc -l)
  result=ok
  if [ $rc -ne 0 ]; then result="FAILED (see $dir/log.txt)"; status=1; fi
  printf '%-18s %12s %8s %8s %8s  %s\n' "$target" "${runs:-?}" "${cov:-?}" "$corpus" "$secs" "$result"
done
exit $status
