//===- CostModel.h - Latency, energy and area of one op on a target -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The one cost model of the PE array. A contraction is compiled once (from
// its loop nest) into a Problem; a Mapping says how its loops are tiled over
// the target's memory levels and spread over the PE array; evaluate()
// counts accesses per level and tensor with Timeloop's tile-based reuse
// analysis and turns them into cycles and energy. Everything is fixed-size
// arrays so that one evaluation allocates nothing: the mapper calls it
// millions of times. The workload model (WorkloadModel.h) turns a module
// into problems and adds what runs beside the array; docs/cost-model.md
// states the equations in words.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_ANALYSIS_COSTMODEL_H
#define TANDEM_ANALYSIS_COSTMODEL_H

#include "tandem/Dialect/Accel/IR/LoopNest.h"
#include "tandem/Hardware/Target.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>

namespace tandem::cost {

constexpr unsigned kMaxDims = accel::kMaxLoops;
constexpr unsigned kMaxCoords = accel::kMaxRank;
constexpr unsigned kMaxLevels = hw::kMaxMemoryLevels;
constexpr unsigned kMaxFanouts = hw::kMaxFanouts;
using hw::kNumTensorKinds;

/// A contraction as the cost model sees it: Timeloop's problem shape with
/// three data spaces (input, weight, output).
struct Problem {
  /// One data space: its projection from the loops (footprints come from
  /// accel::TensorProjection, the one implementation) and its width.
  struct Tensor : accel::TensorProjection {
    bool present = false;
    int64_t bits = 8;
  };

  /// The loops a mapping tiles. Each is one of the op's own loops or
  /// several of them flattened into one index (flattenLoops). The tensors'
  /// projections index the op's loops (the source loops); `relevant` is
  /// over the problem's loops.
  unsigned numDims = 0;
  std::array<int64_t, kMaxDims> extents{};
  llvm::SmallVector<std::string, kMaxDims> dimNames;
  std::array<Tensor, kNumTensorKinds> tensors;
  /// Set when some loop flattens several source loops.
  struct Flattening {
    unsigned numSourceDims = 0;
    std::array<int64_t, kMaxDims> sourceExtents{};
    llvm::SmallVector<std::string, kMaxDims> sourceNames;
    /// Per data space, the source loops that index it.
    std::array<uint32_t, kNumTensorKinds> sourceRelevant{};
    /// Per loop d of the problem: its source loops, outermost first.
    std::array<uint8_t, kMaxDims> numMembers{};
    std::array<std::array<uint8_t, kMaxDims>, kMaxDims> members{};
    /// The loops with more than one member.
    unsigned numGroups = 0;
    std::array<uint8_t, kMaxDims> groups{};
  };
  std::optional<Flattening> flattening;
  int64_t iterations = 1;
  /// MACs per iteration (1 for conv and matmul).
  int64_t macsPerIteration = 0;
  int64_t aluOpsPerIteration = 0;
  /// Shift-add encoded weights (accel::LoopNest::shiftAdd): the average
  /// non-zero power-of-two terms per weight, and the width of the integers
  /// the codes stand for. The weight data space's bits are the codes'.
  struct ShiftAddWeights {
    double terms = 0;
    int64_t valueBits = 8;
  };
  std::optional<ShiftAddWeights> shiftAdd;

  /// What each MAC multiplies, at the data spaces' widths.
  hw::MacOperands getMacOperands() const;

  int64_t getMacs() const { return iterations * macsPerIteration; }
  /// The work the PEs do per iteration (a MAC or an ALU operation).
  int64_t getOpsPerIteration() const {
    return macsPerIteration + aluOpsPerIteration;
  }
  /// Elements of tensor `t` covered by a tile of `tile[d]` iterations per
  /// loop. A flattened loop's tile is a run of consecutive indices of its
  /// members' combined index: its members' tiles are the bounding box of an
  /// aligned run, and the footprint is scaled by the run's share of that
  /// box (exact when the members index the tensor independently).
  int64_t footprint(hw::TensorKind t, const int64_t *tile) const {
    if (!flattening)
      return tensors[t].footprint(tile);
    return getFlattenedFootprint(t, tile);
  }
  std::optional<unsigned> lookupDim(llvm::StringRef name) const;

  /// The op's loops: names and extents (the problem's own when it is not
  /// flattened).
  unsigned getNumSourceDims() const {
    return flattening ? flattening->numSourceDims : numDims;
  }
  llvm::StringRef getSourceName(unsigned d) const {
    return flattening ? flattening->sourceNames[d] : dimNames[d];
  }
  int64_t getSourceExtent(unsigned d) const {
    return flattening ? flattening->sourceExtents[d] : extents[d];
  }
  /// The source loops of loop `d`, outermost first.
  llvm::ArrayRef<uint8_t> getMembers(unsigned d) const;

private:
  int64_t getFlattenedFootprint(hw::TensorKind t, const int64_t *tile) const;
};

/// How a problem's loops relate to its data spaces.
struct LoopClasses {
  /// Index weights and outputs, not inputs (K).
  llvm::SmallVector<unsigned, kMaxDims> outChannels;
  /// Index inputs and outputs, not weights (N P Q; M of a matmul).
  llvm::SmallVector<unsigned, kMaxDims> pixels;
  /// Index inputs and weights, not outputs (C; K of a matmul).
  llvm::SmallVector<unsigned, kMaxDims> reduction;
  /// Reduction loops that share an input coordinate with a pixel loop (R S).
  llvm::SmallVector<unsigned, kMaxDims> windows;
  /// The rest: loops that index every data space (groups, heads) or none.
  llvm::SmallVector<unsigned, kMaxDims> other;
};
LoopClasses classifyLoops(const Problem &problem);

/// The problem with each group of `groups` (source loops, outermost first;
/// groups of one loop change nothing) flattened into one loop named
/// "A*B*C" whose extent is their product. The other loops keep their order;
/// a group takes the place of its first member. Works from the source loops
/// of `problem`, so a flattened problem can be flattened differently. Fails
/// when a loop is in two groups or a name is unknown.
llvm::Expected<Problem>
flattenLoops(const Problem &problem,
             llvm::ArrayRef<llvm::SmallVector<unsigned, kMaxDims>> groups);

/// Distinct values of a*i + b*j for i < s, j < t (a, b > 0): all s*t
/// pairs, less those that repeat a value with a smaller j. With a and b
/// divided by their gcd, (i, j) and (i + b, j - a) collide. (A strided
/// window's exact rows: p * stride + r.)
inline double getDistinctSums(int64_t a, int64_t s, int64_t b, int64_t t) {
  int64_t g = std::gcd(a, b);
  a /= g;
  b /= g;
  return double(s) * double(t) - double(std::max<int64_t>(0, t - a)) *
                                     double(std::max<int64_t>(0, s - b));
}

/// SCALE-Sim's operand matrices for a systolic array with `dataflow`: the
/// source loops laid out on the array's rows and on its columns, outermost
/// first (ws: R*S*C on rows, K on columns; os: N*P*Q on rows, K on
/// columns; is: R*S*C on rows, N*P*Q on columns; a matmul's M, N and K
/// likewise). Loops of extent 1 are left out.
struct OperandMatrixLayout {
  llvm::SmallVector<unsigned, kMaxDims> rows, cols;
};
OperandMatrixLayout getOperandMatrixLayout(const Problem &problem,
                                           hw::Dataflow dataflow);

/// The problem as `target` tiles it: on a systolic array, with the loops of
/// each operand-matrix dimension flattened (SCALE-Sim's layout); otherwise
/// unchanged.
Problem prepareProblem(const Problem &problem, const hw::Target &target);

/// Which tensor of a loop nest fills each data space: the output is the
/// result; the input the Input-role operand (else the first operand that is
/// neither a parameter nor the output); the weight a Weight or SecondInput
/// operand (a constant filter, or the second activation of an attention
/// product). Parameters (bias, statistics) are not data spaces of the array:
/// the output stage reads them.
std::array<std::optional<unsigned>, kNumTensorKinds>
getDataSpaces(const accel::LoopNest &nest);

/// Builds the problem of a loop nest with the given operand widths. Fails
/// when the nest exceeds the cost model's limits or a data space is not
/// indexed affine-linearly.
llvm::Expected<Problem> buildProblem(const accel::LoopNest &nest,
                                     int64_t inputBits, int64_t weightBits,
                                     int64_t outputBits);

/// How a problem's loops are tiled and spread (Timeloop's mapping).
struct Mapping {
  unsigned numLevels = 0;
  /// Temporal factors per level (outermost level first) and dim.
  std::array<std::array<int64_t, kMaxDims>, kMaxLevels> factors{};
  /// Per level, the loop order, outermost first (a permutation of dims).
  std::array<std::array<uint8_t, kMaxDims>, kMaxLevels> order{};
  /// Spatial factors per fan-out of the target (Target::getFanouts(),
  /// outermost first), along the array's columns (X) and rows (Y). A
  /// fan-out sits below level `above`: its factors spread the tiles of the
  /// level below over that level's instances (or over the PEs).
  std::array<std::array<int64_t, kMaxDims>, kMaxFanouts> spatialX{};
  std::array<std::array<int64_t, kMaxDims>, kMaxFanouts> spatialY{};
  /// Per level, bit k: data space k passes through without being kept,
  /// though the target lets the level hold it (0: as the target says).
  std::array<uint8_t, kMaxLevels> bypass{};

  /// All factors 1, identity orders, no bypass.
  static Mapping identity(unsigned numLevels);
  /// Product of the X (Y) factors of fan-out `fanout`.
  int64_t getSpatialX(unsigned fanout, unsigned numDims) const;
  int64_t getSpatialY(unsigned fanout, unsigned numDims) const;
  /// Loop `d`'s spatial factors over every fan-out.
  int64_t getSpatial(unsigned d) const {
    int64_t s = 1;
    for (unsigned f = 0; f < kMaxFanouts; ++f)
      s *= spatialX[f][d] * spatialY[f][d];
    return s;
  }
  /// Whether level `level` keeps data space `kind` under this mapping.
  bool holds(const hw::Target &target, unsigned level,
             hw::TensorKind kind) const {
    return target.levels[level].holdsKind(kind) &&
           !(bypass[level] & (1u << kind));
  }
};

/// tiles[c][d]: iterations of loop d inside one tile held at level c >= 1:
/// the factors at c and every level inside it, and the spatial factors of
/// every fan-out below c (one instance's tile serves the instances below
/// it). Level 0 holds whole tensors and is left unset.
using TileExtents = std::array<std::array<int64_t, kMaxDims>, kMaxLevels>;
void getTileExtents(const Problem &problem, const Mapping &mapping,
                    const hw::Target &target, TileExtents &tiles);

/// Checks `mapping` against the problem and the target: factors cover every
/// dim (product >= extent, with no factor that could be dropped: the
/// remainder policy is "pad the last tile"), orders are permutations,
/// spatial factors fit each fan-out, bypasses name what the target keeps
/// there (never at the outermost level), and every bounded level holds its
/// tiles. The error says which factor breaks which rule.
llvm::Error verifyMapping(const Problem &problem, const Mapping &mapping,
                          const hw::Target &target);
/// The same rules, without the message (fast; for searches).
bool isValidMapping(const Problem &problem, const Mapping &mapping,
                    const hw::Target &target);
/// The rules that involve several loops: spatial factors fit the fan-outs
/// and tiles fit the buffers. Enough for a mapping whose every loop is valid
/// on its own, as the map space's choices are (and loop orders
/// permutations).
bool fitsArrayAndBuffers(const Problem &problem, const Mapping &mapping,
                         const hw::Target &target);
/// The rules on loop `d` alone (factors cover it, none is all padding).
bool isValidLoop(const Problem &problem, const Mapping &mapping,
                 const hw::Target &target, unsigned d);
/// Whether the tiles of levels 1 to `last` fit their buffers.
bool fitsBuffers(const Problem &problem, const Mapping &mapping,
                 const hw::Target &target, unsigned last);

/// What one evaluation produces. Counts follow Timeloop's definitions
/// (totals over instances, in elements): a level's reads serve its
/// children (or the PEs) and, for outputs, send partial sums back down;
/// fills arrive from its parent; output updates arrive from its children;
/// drains read a level's final outputs to write them up to its parent,
/// which Timeloop does not count as reads (they are charged here, and
/// reported on their own).
struct Cost {
  using PerLevel = std::array<std::array<double, kNumTensorKinds>, kMaxLevels>;
  /// Every count zero.
  Cost() { clear(kMaxLevels); }
  /// Only the first `numLevels` levels' counts zero (evaluate() fills the
  /// rest of a fresh Cost itself; the others are never read).
  struct PartlyCleared {
    unsigned numLevels;
  };
  explicit Cost(PartlyCleared p) { clear(p.numLevels); }

  PerLevel reads, fills, updates, drains;
  /// Operand words moved over the array network (per destination PE).
  double networkWords = 0;
  double computeCycles = 0;
  /// Per level: words read (drains included) and written (fills and
  /// updates), all instances, and the cycles that traffic needs at the
  /// level's bandwidth.
  std::array<double, kMaxLevels> readWords;
  std::array<double, kMaxLevels> writeWords;
  std::array<double, kMaxLevels> bandwidthCycles;
  double cycles = 0;
  /// Energy (pJ): per memory level, network, arithmetic.
  std::array<double, kMaxLevels> levelEnergyPJ;
  double networkEnergyPJ = 0;
  double computeEnergyPJ = 0;
  /// The arithmetic by component: multiplies, shifts, adds (accumulation
  /// and ALU work included); they sum to computeEnergyPJ.
  double multiplyEnergyPJ = 0, shiftEnergyPJ = 0, addEnergyPJ = 0;
  double energyPJ = 0;
  /// Useful MACs (or ops) over what the array could do in `cycles`.
  double utilization = 0;
  /// PEs the mapping uses.
  int64_t activePEs = 0;
  /// Index of the binding level, or -1 when compute binds.
  int bindingLevel = -1;

private:
  void clear(unsigned numLevels) {
    for (unsigned c = 0; c < numLevels; ++c) {
      reads[c] = fills[c] = updates[c] = drains[c] = {0, 0, 0};
      readWords[c] = writeWords[c] = bandwidthCycles[c] = levelEnergyPJ[c] = 0;
    }
  }
};

/// What evaluate() needs of a problem on a target, computed once: energies
/// per access and per operation, words per element, bandwidths, the
/// fan-outs, how each loop moves each tensor's tiles, the array's fold
/// model. Searches evaluate millions of mappings of one problem. Holds
/// pointers: the problem and target must outlive it.
struct CostContext {
  CostContext(const Problem &problem, const hw::Target &target);

  const Problem *problem;
  const hw::Target *target;
  unsigned numLevels;
  /// The loops with an extent above 1 (the others have factor 1 in every
  /// valid mapping and change nothing).
  unsigned numActiveDims = 0;
  std::array<uint8_t, kMaxDims> activeDims{};
  /// The fan-outs: the level each sits below.
  unsigned numFanouts = 0;
  std::array<unsigned, kMaxFanouts> fanoutAbove{};
  /// Per level, the fan-out just below it, or -1.
  std::array<int8_t, kMaxLevels> fanoutBelow{};
  /// The target's `holds` mask per level.
  std::array<uint8_t, kMaxLevels> holds{};
  /// Per data space, its coordinates as the problem's loops index them: for
  /// each, the loops (extent above 1) and their coefficients. Tiles that
  /// differ along a coordinate are different data; a loop that shares a
  /// coordinate with another slides a window over it (a halo).
  struct Coordinate {
    unsigned numLoops = 0;
    std::array<uint8_t, kMaxDims> loops{};
    std::array<int64_t, kMaxDims> coeffs{};
    int64_t size = 1;
  };
  std::array<unsigned, kNumTensorKinds> numCoords{};
  /// Whether some coordinate of the data space has several loops, and the
  /// loops that index it (each once, when none shares).
  std::array<bool, kNumTensorKinds> sharesCoords{};
  std::array<unsigned, kNumTensorKinds> numRelevant{};
  std::array<std::array<uint8_t, kMaxCoords + kMaxDims>, kNumTensorKinds>
      relevantLoops{};
  std::array<std::array<Coordinate, kMaxCoords + kMaxDims>, kNumTensorKinds>
      coords{};
  /// Per data space and loop: the one coordinate the loop indexes, -1 if
  /// none, -2 if several; and its coefficient there.
  std::array<std::array<int8_t, kMaxDims>, kNumTensorKinds> slideCoord{};
  std::array<std::array<int64_t, kMaxDims>, kNumTensorKinds> coordCoeff{};
  /// Words of level c per element of data space k (bits over word bits).
  std::array<std::array<double, kNumTensorKinds>, kMaxLevels> wordsPerElement{};
  std::array<double, kMaxLevels> readEnergyPJ{}, writeEnergyPJ{};
  /// Cycles per word read or written (one over the bandwidth).
  std::array<double, kMaxLevels> readsPerCycle{}, writesPerCycle{};
  double macsPerCycle = 1, opsPerIteration = 1;
  /// The arithmetic's energy (it depends on no mapping), by component and
  /// in total; energy per network word.
  double multiplyEnergyPJ = 0, shiftEnergyPJ = 0, addEnergyPJ = 0;
  double computeEnergyPJ = 0, networkEnergyPJ = 0;
  double arrayBits = 8, numPEs = 1;
  bool multicast = true, spatialReduction = true, systolic = false;
  /// Systolic arrays: the tensor a fold keeps and its fill and drain cycles.
  hw::TensorKind stationary = hw::Weight;
  double fill = 0;
  /// Independent problems in one (the extents of loops that index every
  /// data space): SCALE-Sim counts one cycle less per run.
  double runs = 1;
};

/// Evaluates a verified mapping. Cheap: no allocation, no IR.
Cost evaluate(const CostContext &context, const Mapping &mapping);
/// The same, building the context first (for one-off evaluations).
Cost evaluate(const Problem &problem, const Mapping &mapping,
              const hw::Target &target);

} // namespace tandem::cost

#endif // TANDEM_ANALYSIS_COSTMODEL_H
