//===- LoopNest.h - An operator seen as a perfect loop nest -----*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The value that LoopNestOpInterface returns. It is plain data (dimensions,
// affine projections, arithmetic counts) so that the cost model and the
// mapper can copy, cache and evaluate it without going back to the IR.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_LOOPNEST_H
#define TANDEM_DIALECT_ACCEL_IR_LOOPNEST_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Types.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace tandem::accel {

/// One loop of an iteration space.
struct LoopDim {
  /// Short name in the Timeloop convention: N K C P Q R S, M N K, D0 D1 ...
  std::string name;
  int64_t extent = 1;
  /// True when the result does not depend on this loop (it accumulates).
  bool isReduction = false;
};

/// Arithmetic operations by kind. A multiply-accumulate is one `macs`, not
/// one add plus one multiply, because accelerators build MAC units.
struct OpCounts {
  int64_t macs = 0;
  int64_t adds = 0;
  int64_t muls = 0;
  int64_t divs = 0;
  int64_t compares = 0;
  /// exp, tanh, erf, sqrt, pow: what needs a special-function unit.
  int64_t transcendentals = 0;

  /// Arithmetic operations with a MAC counted as two (multiply and add), the
  /// convention behind "GOPs" figures.
  int64_t getTotalOps() const {
    return 2 * macs + adds + muls + divs + compares + transcendentals;
  }
  OpCounts scaled(int64_t factor) const;
  OpCounts &operator+=(const OpCounts &other);
};

/// How one operand or result is indexed by the loops.
struct TensorAccess {
  /// Role of the tensor: "input", "weight", "bias", "lhs", "rhs", "output"...
  std::string name;
  /// From the loop dimensions to the tensor's coordinates. Results are affine
  /// in the loops; padding shows up as negative constant offsets and
  /// broadcasting as constant zero results.
  mlir::AffineMap map;
  llvm::SmallVector<int64_t, 4> shape;
  mlir::Type elementType;
  bool isOutput = false;
};

/// A compute operator as a perfect loop nest (Timeloop's problem shape).
struct LoopNest {
  llvm::SmallVector<LoopDim, 8> dims;
  /// Operands in operand order, then the result.
  llvm::SmallVector<TensorAccess, 4> tensors;
  /// Work done at every point of the iteration space.
  OpCounts perIteration;
  /// Work done once per element of the result (bias add, final divide).
  OpCounts perOutput;

  /// Product of all loop extents.
  int64_t getNumIterations() const;
  /// Number of elements of the (first) result.
  int64_t getNumOutputElements() const;
  /// perIteration * iterations + perOutput * output elements.
  OpCounts getTotalCounts() const;
  int64_t getMacs() const { return getTotalCounts().macs; }

  /// Index of the loop called `name`, if there is one.
  std::optional<unsigned> lookupDim(llvm::StringRef name) const;
  /// Index of the tensor whose role is `name`, if there is one.
  std::optional<unsigned> lookupTensor(llvm::StringRef name) const;

  /// Number of elements of tensor `tensorIndex` that a tile touches when it
  /// covers `tile[d]` consecutive iterations of every loop `d` (tile extents
  /// are clamped to the loop extents). Each coordinate of the tensor spans
  /// `sum(|coeff_d| * (tile[d] - 1)) + 1` positions, clamped to the tensor's
  /// size: the bounding box of the tile's data, as Timeloop computes it.
  int64_t getTileFootprint(unsigned tensorIndex,
                           llvm::ArrayRef<int64_t> tile) const;
};

/// Coefficients of the loop dimensions in `expr` if it is affine-linear in
/// them (sums of constant multiples of dimensions plus a constant), or
/// nullopt for floordiv, ceildiv, mod and symbols.
std::optional<llvm::SmallVector<int64_t, 8>>
getLinearCoefficients(mlir::AffineExpr expr, unsigned numDims);

} // namespace tandem::accel

#endif // TANDEM_DIALECT_ACCEL_IR_LOOPNEST_H
