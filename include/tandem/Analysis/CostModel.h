//===- CostModel.h - Latency, energy and area of one op on a target -*- C++
//-*-//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The one cost model. A compute op is compiled once (from its loop nest)
// into a Problem; a Mapping says how its loops are tiled over the target's
// memory levels and spread over the PE array; evaluate() counts accesses per
// level and tensor with Timeloop's tile-based reuse analysis and turns them
// into cycles and energy. Everything is fixed-size arrays so that one
// evaluation allocates nothing: the mapper calls it millions of times.
// docs/cost-model.md states the equations in words.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_ANALYSIS_COSTMODEL_H
#define TANDEM_ANALYSIS_COSTMODEL_H

#include "tandem/Hardware/Target.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <string>

namespace tandem::accel {
struct LoopNest;
class LoopNestOpInterface;
} // namespace tandem::accel

namespace tandem::cost {

constexpr unsigned kMaxDims = 10;
constexpr unsigned kMaxCoords = 6;
constexpr unsigned kMaxLevels = hw::kMaxMemoryLevels;
using hw::kNumTensorKinds;

/// A compute op as the cost model sees it.
struct Problem {
  /// One data space (input, weight or output): each coordinate is
  /// sum(coeff[d] * loop d) + constant, clamped to `size`. Set the
  /// coefficients with setCoeff(), which keeps the loop masks in step.
  struct Tensor {
    bool present = false;
    unsigned numCoords = 0;
    std::array<std::array<int64_t, kMaxDims>, kMaxCoords> coeff{};
    std::array<int64_t, kMaxCoords> size{};
    /// Bit i: loop i indexes this tensor.
    uint32_t relevant = 0;
    /// Bit i of entry c: coeff[c][i] is not 0 (footprints skip the rest).
    std::array<uint32_t, kMaxCoords> coordLoops{};
    int64_t bits = 8;

    void setCoeff(unsigned coord, unsigned loop, int64_t value) {
      coeff[coord][loop] = value;
      if (value)
        coordLoops[coord] |= 1u << loop;
      else
        coordLoops[coord] &= ~(1u << loop);
      relevant = 0; // all entries: numCoords may be set later
      for (uint32_t loops : coordLoops)
        relevant |= loops;
    }
  };

  unsigned numDims = 0;
  std::array<int64_t, kMaxDims> extents{};
  llvm::SmallVector<std::string, kMaxDims> dimNames;
  std::array<Tensor, kNumTensorKinds> tensors;
  int64_t iterations = 1;
  /// MACs per iteration (1 for conv and matmul, 0 for pooling and
  /// elementwise ops, which count `aluOps` instead).
  int64_t macsPerIteration = 0;
  int64_t aluOpsPerIteration = 0;
  /// Divisions and transcendentals: need the target's special functions.
  bool needsSpecialFunctions = false;

  int64_t getMacs() const { return iterations * macsPerIteration; }
  /// The work the PEs do per iteration (a MAC or an ALU operation).
  int64_t getOpsPerIteration() const {
    return macsPerIteration + aluOpsPerIteration;
  }
  /// Elements of tensor `t` covered by a tile of `tile[d]` iterations per
  /// loop.
  int64_t footprint(hw::TensorKind t, const int64_t *tile) const;
  std::optional<unsigned> lookupDim(llvm::StringRef name) const;
};

/// Builds the problem of a loop nest. Tensors are matched to the three data
/// spaces by role: "input"/"lhs" (or the first operand) is the input,
/// "weight"/"rhs" the weight, the result the output; other operands (bias,
/// scale) are small and not modeled. `weightBits`/`inputBits`/`outputBits`
/// are the operand widths the caller decided (from the types or options).
llvm::Expected<Problem> buildProblem(const accel::LoopNest &nest,
                                     int64_t inputBits, int64_t weightBits,
                                     int64_t outputBits);

/// The problem of a compute op on `target`, with operand widths from its
/// element types (quantized storage width, integer width, or `floatBits` for
/// floats; 0 means the array's width). Returns nullopt, with the reason in
/// `hostReason`, when the op must run on the host: it needs division or
/// transcendentals the array lacks, its widths are not supported, or its
/// loop nest does not fit the model.
std::optional<Problem> getOpProblem(accel::LoopNestOpInterface op,
                                    const hw::Target &target, int64_t floatBits,
                                    std::string &hostReason);

/// How a problem's loops are tiled and spread (Timeloop's mapping).
struct Mapping {
  unsigned numLevels = 0;
  /// Temporal factors per level (outermost level first) and dim.
  std::array<std::array<int64_t, kMaxDims>, kMaxLevels> factors{};
  /// Per level, the loop order, outermost first (a permutation of dims).
  std::array<std::array<uint8_t, kMaxDims>, kMaxLevels> order{};
  /// Spatial factors on the array's columns (X) and rows (Y). The array sits
  /// just above the first per-PE level.
  std::array<int64_t, kMaxDims> spatialX{};
  std::array<int64_t, kMaxDims> spatialY{};

  /// All factors 1, identity orders.
  static Mapping identity(unsigned numLevels);
  int64_t getSpatialX(unsigned numDims) const;
  int64_t getSpatialY(unsigned numDims) const;
};

/// tiles[c][d]: iterations of loop d inside one tile held at level c: the
/// factors at c and every level inside it, and, for shared levels (c <
/// `firstPerPE`), the spatial factors too (the tile serves all PEs).
using TileExtents = std::array<std::array<int64_t, kMaxDims>, kMaxLevels>;
void getTileExtents(const Problem &problem, const Mapping &mapping,
                    unsigned firstPerPE, TileExtents &tiles);

/// Checks `mapping` against the problem and the target: factors cover every
/// dim (product >= extent, with no factor that could be dropped: the
/// remainder policy is "pad the last tile"), orders are permutations,
/// spatial factors fit the array, and every bounded level holds its tiles.
/// The error says which factor breaks which rule.
llvm::Error verifyMapping(const Problem &problem, const Mapping &mapping,
                          const hw::Target &target);
/// The same rules, without the message (fast; for searches).
bool isValidMapping(const Problem &problem, const Mapping &mapping,
                    const hw::Target &target);
/// The rules that involve several loops: spatial factors fit the array and
/// tiles fit the buffers. Enough for a mapping whose every loop is valid on
/// its own, as the map space's choices are (and loop orders permutations).
bool fitsArrayAndBuffers(const Problem &problem, const Mapping &mapping,
                         const hw::Target &target);

/// Parses the textual mapping, e.g.
///   "DRAM[K2 C4] GLB[P7 Q7] X[K8] Y[C4] RF[R3 S3]"
/// one `LEVEL[...]` per target level in order, X[...] and Y[...] anywhere:
/// dims listed outermost first with their factor; unlisted dims have factor
/// 1 and come innermost.
llvm::Expected<Mapping> parseMapping(llvm::StringRef text,
                                     const Problem &problem,
                                     const hw::Target &target);
std::string printMapping(const Mapping &mapping, const Problem &problem,
                         const hw::Target &target);

/// What a target's dataflow style means for one problem: the loops it
/// spreads over the array's rows (Y) and columns (X), in order of
/// preference, and the tensor that stays in the PEs.
struct DataflowStyle {
  llvm::SmallVector<unsigned, kMaxDims> x, y;
  hw::TensorKind stationary = hw::Weight;
};
DataflowStyle getDataflowStyle(const Problem &problem,
                               const hw::Target &target);

/// The target's default mapping for its dataflow style: spatial dims by the
/// style (ws: reduction dims on Y and output channels on X; os: output
/// pixels on Y and output channels on X; is: reduction dims on Y and output
/// pixels on X; rs: filter rows then channels on Y, output rows then output
/// channels on X), then temporal tiles grown greedily from the innermost
/// level outward while they fit, with the stationary tensor's reuse loops
/// innermost.
Mapping defaultMapping(const Problem &problem, const hw::Target &target);

/// The divisors of `n` (> 0) in ascending order.
void getDivisors(int64_t n, llvm::SmallVectorImpl<int64_t> &divisors);

/// Grows temporal tiles from level `innermost` (by default the innermost
/// level; 0 grows none) out to level 1: at each level, its loops from the
/// innermost out, each by the largest divisor of what DRAM still holds of it
/// that keeps `mapping` valid. Expects the spatial factors and loop orders
/// set and the factors of the levels grown at 1.
void growTemporalTiles(const Problem &problem, const hw::Target &target,
                       Mapping &mapping, unsigned innermost = ~0u);

/// What one evaluation produces.
struct Cost {
  /// Per level and tensor: element reads and writes (fills and updates).
  std::array<std::array<double, kNumTensorKinds>, kMaxLevels> reads{};
  std::array<std::array<double, kNumTensorKinds>, kMaxLevels> writes{};
  /// Operand words moved over the array network (per destination PE).
  double networkWords = 0;
  double computeCycles = 0;
  /// Per level: cycles its traffic needs at its bandwidth.
  std::array<double, kMaxLevels> bandwidthCycles{};
  double cycles = 0;
  /// Energy (pJ): per memory level, network, arithmetic.
  std::array<double, kMaxLevels> levelEnergyPJ{};
  double networkEnergyPJ = 0;
  double computeEnergyPJ = 0;
  double energyPJ = 0;
  /// Useful MACs (or ops) over what the array could do in `cycles`.
  double utilization = 0;
  /// PEs the mapping uses.
  int64_t activePEs = 0;
  /// Index of the binding level, or -1 when compute binds.
  int bindingLevel = -1;
};

/// Evaluates a verified mapping. Cheap: no allocation, no IR.
Cost evaluate(const Problem &problem, const Mapping &mapping,
              const hw::Target &target);

} // namespace tandem::cost

#endif // TANDEM_ANALYSIS_COSTMODEL_H
