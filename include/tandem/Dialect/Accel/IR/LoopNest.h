//===- LoopNest.h - An operator seen as a perfect loop nest -----*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The value that LoopNestOpInterface returns. It is plain data (dimensions,
// affine projections, operand roles, arithmetic counts) so that the workload
// model, the cost model and the mapper can copy, cache and evaluate it
// without going back to the IR.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_LOOPNEST_H
#define TANDEM_DIALECT_ACCEL_IR_LOOPNEST_H

#include "tandem/Support/WeightEncoding.h"

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Types.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MathExtras.h"

#include <array>
#include <cstdlib>
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
  /// Operations with a MAC counted as one: what a unit that does one
  /// operation (a fused multiply-add included) per lane and cycle executes.
  int64_t getLaneOps() const {
    return macs + adds + muls + divs + compares + transcendentals;
  }
  OpCounts scaled(int64_t factor) const;
  OpCounts &operator+=(const OpCounts &other);
};

/// What the operator computes, which decides the hardware that runs it.
enum class ComputeKind : uint8_t {
  /// Two operands multiplied and summed over reduction loops (convolution,
  /// matrix product): the PE array's work.
  Contraction,
  /// Every output element from the same position of each operand
  /// (activations, arithmetic, batch norm): fusable into the output stage
  /// of the op that produces its input.
  Elementwise,
  /// A sliding-window reduction (pooling).
  Window,
  /// Statistics over whole axes (reductions, softmax, layer norm).
  Reduction,
};

/// What an operand is to the computation. The op's loop nest decides it from
/// the operand's place in the arithmetic and from whether the operand is a
/// constant, never from its name.
enum class OperandRole : uint8_t {
  /// The activation the op computes on: a convolution's input, a matrix
  /// product's left operand, an elementwise op's first non-constant operand.
  Input,
  /// Another activation: the right operand of an attention product, the skip
  /// connection of a residual add.
  SecondInput,
  /// A constant multiplied with the input in a contraction (filters, fully
  /// connected matrices).
  Weight,
  /// A constant applied per output element or channel: a bias, batch-norm
  /// statistics, a layer norm's scale, any constant operand of an
  /// elementwise op.
  Parameter,
  /// The result.
  Output,
};
llvm::StringRef stringifyOperandRole(OperandRole role);

/// Limits of a TensorProjection (the cost model keeps fixed-size arrays).
constexpr unsigned kMaxLoops = 10;
constexpr unsigned kMaxRank = 6;

/// A tensor's coordinates as functions of the loops, for tile footprints:
/// coordinate c is sum(coeff[c][d] * loop d) + constant, and a coordinate
/// that is not affine-linear (floordiv, mod) counts its whole size. Fixed
/// size so that the cost model copies and evaluates it without allocating.
struct TensorProjection {
  unsigned rank = 0;
  std::array<std::array<int64_t, kMaxLoops>, kMaxRank> coeff{};
  std::array<int64_t, kMaxRank> size{};
  /// Bit d of entry c: coeff[c][d] is not 0 (footprints skip the rest).
  std::array<uint32_t, kMaxRank> coordLoops{};
  /// Bit c: coordinate c is not affine-linear and spans its whole size.
  uint32_t wholeCoords = 0;
  /// Bit d: loop d indexes this tensor.
  uint32_t relevant = 0;
  /// What footprint() reads, flattened: the coordinates that can span more
  /// than one position (their sizes and starting spans: 1, or the size of
  /// a whole coordinate), and the non-zero coefficients as terms: term i
  /// adds termCoeff[i] (an absolute value) times (tile[termLoop[i]] - 1)
  /// to span termSpan[i].
  unsigned numSpans = 0, numTerms = 0;
  std::array<int64_t, kMaxRank> spanSize{1, 1, 1, 1, 1, 1};
  std::array<int64_t, kMaxRank> spanStart{1, 1, 1, 1, 1, 1};
  std::array<uint8_t, kMaxRank * kMaxLoops> termSpan{}, termLoop{};
  std::array<int64_t, kMaxRank * kMaxLoops> termCoeff{};

  /// Sets one coefficient, keeping the loop masks and terms in step (set
  /// `rank` and `size` first).
  void setCoeff(unsigned coord, unsigned loop, int64_t value);
  /// Rebuilds the spans and terms; with the loops' extents, leaves out
  /// coordinates of size 1 and loops of extent 1 (whose tiles are always
  /// 1): they add nothing to a footprint.
  void buildTerms(llvm::ArrayRef<int64_t> extents = {});

  /// Elements of the tensor a tile touches that covers `tile[d]` consecutive
  /// iterations of every loop d (each at least 1): per coordinate,
  /// sum(|coeff_d| * (tile_d - 1)) + 1 positions capped at its size. The
  /// bounding box, as Timeloop computes it, so a sliding window's halo is
  /// counted once. The one footprint every part of Tandem uses.
  int64_t footprint(const int64_t *tile) const {
    // Fixed-length loops over all kMaxRank slots (unused ones are 1 and
    // change nothing): unrolled, no calls, no branches.
    std::array<int64_t, kMaxRank> span = spanStart;
    for (unsigned i = 0; i < numTerms; ++i)
      span[termSpan[i]] += termCoeff[i] * (tile[termLoop[i]] - 1);
    int64_t elements = 1;
    for (unsigned s = 0; s < kMaxRank; ++s)
      elements *= span[s] < spanSize[s] ? span[s] : spanSize[s];
    return elements;
  }

  /// The projection of `map` (loops to coordinates) onto a tensor of
  /// `shape`, or nullopt when it has more than kMaxLoops loops or kMaxRank
  /// coordinates.
  static std::optional<TensorProjection> get(mlir::AffineMap map,
                                             llvm::ArrayRef<int64_t> shape);
};

/// How one operand or result is indexed by the loops.
struct TensorAccess {
  /// The operand's name in the op's syntax ("input", "weight", "lhs", ...),
  /// for display only: nothing decides anything by it.
  std::string name;
  OperandRole role = OperandRole::Input;
  /// From the loop dimensions to the tensor's coordinates. Results are affine
  /// in the loops; padding shows up as negative constant offsets and
  /// broadcasting as constant zero results.
  mlir::AffineMap map;
  llvm::SmallVector<int64_t, 4> shape;
  mlir::Type elementType;
  /// The map as fixed-size data, if it fits the limits.
  std::optional<TensorProjection> projection;

  bool isOutput() const { return role == OperandRole::Output; }
};

/// A compute operator as a perfect loop nest (Timeloop's problem shape).
struct LoopNest {
  ComputeKind kind = ComputeKind::Elementwise;
  llvm::SmallVector<LoopDim, 8> dims;
  /// Operands in operand order, then the result.
  llvm::SmallVector<TensorAccess, 4> tensors;
  /// Work done at every point of the iteration space.
  OpCounts perIteration;
  /// Work done once per element of the result (bias add, final divide).
  OpCounts perOutput;
  /// Work done a fixed number of times for the whole op (a layer norm's
  /// reciprocal square root per normalized row).
  OpCounts perOp;
  /// A contraction whose weights are shift-add encoded
  /// (accel.weight_encoding): each iteration's product (its MAC's multiply)
  /// is `termsPerIteration` shifts of the input on average, combined and
  /// accumulated by as many adds; the average is over the op's own weights.
  struct ShiftAdd {
    WeightEncoding encoding;
    double termsPerIteration = 0;
  };
  std::optional<ShiftAdd> shiftAdd;

  /// Product of all loop extents.
  int64_t getNumIterations() const;
  /// Number of elements of the result.
  int64_t getNumOutputElements() const;
  /// perIteration * iterations + perOutput * output elements + perOp.
  OpCounts getTotalCounts() const;
  int64_t getMacs() const { return getTotalCounts().macs; }

  /// Index of the loop called `name`, if there is one.
  std::optional<unsigned> lookupDim(llvm::StringRef name) const;
  /// Index of the first tensor with `role`, if there is one.
  std::optional<unsigned> lookupRole(OperandRole role) const;
  /// Index of the tensor displayed as `name`, if there is one (for tests).
  std::optional<unsigned> lookupTensor(llvm::StringRef name) const;

  /// Number of elements of tensor `tensorIndex` that a tile touches when it
  /// covers `tile[d]` consecutive iterations of every loop `d` (tile extents
  /// are clamped to the loop extents); TensorProjection::footprint. Nullopt
  /// when the tensor's projection exceeds the limits.
  std::optional<int64_t> getTileFootprint(unsigned tensorIndex,
                                          llvm::ArrayRef<int64_t> tile) const;
};

/// Coefficients of the loop dimensions in `expr` if it is affine-linear in
/// them (sums of constant multiples of dimensions plus a constant), or
/// nullopt for floordiv, ceildiv, mod and symbols.
std::optional<llvm::SmallVector<int64_t, 8>>
getLinearCoefficients(mlir::AffineExpr expr, unsigned numDims);

} // namespace tandem::accel

#endif // TANDEM_DIALECT_ACCEL_IR_LOOPNEST_H
