#!/usr/bin/env bash
#===- install-deps.sh - Install every Debian package Tandem needs ---------===#
#
# Usage: scripts/install-deps.sh [--sanitizers]
# Idempotent: apt-get skips what is already installed. Run as root (or with
# sudo available). Only Debian's archive is used. --sanitizers adds clang-22
# and its runtime libraries (libFuzzer, ASan, UBSan) for scripts/sanitize.sh
# and scripts/fuzz.sh.
#
#===----------------------------------------------------------------------===#
set -euo pipefail

PACKAGES=(
  # Toolchain and build.
  g++ cmake ninja-build lld-22
  # LLVM/MLIR 22: headers, libraries, mlir-tblgen, lit and FileCheck.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # ONNX parser, checker, shape inference; backend node tests.
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  # BLAS for the f32 matrix products of JIT-compiled models.
  libopenblas-dev
  # zlib reads gzip-compressed IDX datasets; Fashion-MNIST for calibration
  # and accuracy (/usr/share/datasets/fashion-mnist).
  zlib1g-dev dataset-fashion-mnist
  # C++ unit tests.
  libgtest-dev
  # Python bindings and tests (Debian's interpreter: /usr/bin/python3).
  python3 pybind11-dev python3-dev python3-numpy python3-onnx python3-pytest
  # Co-design sweeps on a Dask cluster (the Python module, optional at run
  # time).
  python3-distributed
  # PyTorch exports the real models the importer tests and benchmarks use.
  python3-torch python3-torchvision
  # Mixed precision: HAQ's DDPG agent on libtorch (the C++ side of
  # python3-torch), the integer program on GLPK.
  libtorch-dev libglpk-dev
)

if [ "${1:-}" = "--sanitizers" ]; then
  PACKAGES+=(clang-22 libclang-rt-22-dev)
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
  "${missing[@]}"
