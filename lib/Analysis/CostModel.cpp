//===- CostModel.cpp - Access counts, cycles and energy of one mapping ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/CostModel.h"

#include "tandem/Dialect/Accel/IR/LoopNest.h"

#include <algorithm>
#include <cmath>

using namespace llvm;
using namespace tandem;
using namespace tandem::cost;
using hw::TensorKind;

std::optional<unsigned> Problem::lookupDim(StringRef name) const {
  for (unsigned d = 0; d < numDims; ++d)
    if (dimNames[d] == name)
      return d;
  return std::nullopt;
}

std::array<std::optional<unsigned>, kNumTensorKinds>
cost::getDataSpaces(const accel::LoopNest &nest) {
  using accel::OperandRole;
  std::array<std::optional<unsigned>, kNumTensorKinds> spaces;
  spaces[hw::Output] = nest.lookupRole(OperandRole::Output);
  spaces[hw::Input] = nest.lookupRole(OperandRole::Input);
  if (!spaces[hw::Input])
    for (auto [i, t] : llvm::enumerate(nest.tensors))
      if (t.role != OperandRole::Output && t.role != OperandRole::Parameter) {
        spaces[hw::Input] = i;
        break;
      }
  for (auto [i, t] : llvm::enumerate(nest.tensors))
    if ((t.role == OperandRole::Weight || t.role == OperandRole::SecondInput) &&
        spaces[hw::Input] != i) {
      spaces[hw::Weight] = i;
      break;
    }
  return spaces;
}

Expected<Problem> cost::buildProblem(const accel::LoopNest &nest,
                                     int64_t inputBits, int64_t weightBits,
                                     int64_t outputBits) {
  Problem p;
  if (nest.dims.size() > kMaxDims)
    return createStringError(inconvertibleErrorCode(),
                             "the loop nest has %zu loops; the cost model "
                             "takes at most %u",
                             nest.dims.size(), kMaxDims);
  p.numDims = nest.dims.size();
  for (auto [d, dim] : llvm::enumerate(nest.dims)) {
    p.extents[d] = dim.extent;
    p.dimNames.push_back(dim.name);
    p.iterations *= dim.extent;
  }
  auto spaces = getDataSpaces(nest);
  const int64_t bits[kNumTensorKinds] = {inputBits, weightBits, outputBits};
  for (unsigned k = 0; k < kNumTensorKinds; ++k) {
    Problem::Tensor &t = p.tensors[k];
    t.bits = bits[k];
    if (!spaces[k])
      continue;
    const accel::TensorAccess &access = nest.tensors[*spaces[k]];
    if (!access.projection)
      return createStringError(inconvertibleErrorCode(),
                               "tensor '%s' has rank %u; the cost model "
                               "takes at most %u",
                               access.name.c_str(), access.map.getNumResults(),
                               kMaxCoords);
    if (access.projection->wholeCoords)
      return createStringError(inconvertibleErrorCode(),
                               "tensor '%s' is not indexed affine-linearly "
                               "by the loops",
                               access.name.c_str());
    static_cast<accel::TensorProjection &>(t) = *access.projection;
    t.present = true;
    t.bits = bits[k];
  }
  const accel::OpCounts &it = nest.perIteration;
  p.macsPerIteration = it.macs;
  p.aluOpsPerIteration = it.adds + it.muls + it.compares;
  return p;
}

namespace {

/// Walks the temporal loops above level `child` from the innermost outward
/// and returns the product of the factors of the loops that do not index
/// tensor `t` before the first one that does: the child's tile of `t`
/// stays resident across those (Timeloop's reuse).
int64_t trailingReuse(const Problem &p, const Mapping &m, unsigned child,
                      uint32_t relevant) {
  int64_t reuse = 1;
  for (unsigned l = child; l-- > 0;)
    for (unsigned i = p.numDims; i-- > 0;) {
      unsigned d = m.order[l][i];
      int64_t f = m.factors[l][d];
      if (f == 1)
        continue;
      if (relevant & (1u << d))
        return reuse;
      reuse *= f;
    }
  return reuse;
}

} // namespace

void cost::getTileExtents(const Problem &p, const Mapping &m,
                          unsigned firstPerPE, TileExtents &tiles) {
  for (unsigned d = 0; d < p.numDims; ++d) {
    int64_t inner = 1;
    for (unsigned c = m.numLevels; c-- > 0;) {
      inner *= m.factors[c][d];
      tiles[c][d] =
          c < firstPerPE ? inner * m.spatialX[d] * m.spatialY[d] : inner;
    }
  }
}

Cost cost::evaluate(const Problem &p, const Mapping &m,
                    const hw::Target &target) {
  Cost cost;
  const unsigned numLevels = m.numLevels, n = p.numDims;
  const unsigned firstPerPE = target.getFirstPerPELevel();

  int64_t spatial[kMaxDims];
  int64_t activePEs = 1;
  for (unsigned d = 0; d < n; ++d) {
    spatial[d] = m.spatialX[d] * m.spatialY[d];
    activePEs *= spatial[d];
  }
  cost.activePEs = activePEs;

  // above[c]: temporal iterations of the levels above c.
  TileExtents tiles;
  getTileExtents(p, m, firstPerPE, tiles);
  int64_t above[kMaxLevels + 1];
  above[0] = 1;
  for (unsigned c = 0; c < numLevels; ++c) {
    int64_t prod = 1;
    for (unsigned d = 0; d < n; ++d)
      prod *= m.factors[c][d];
    above[c + 1] = above[c] * prod;
  }
  const double steps = double(above[numLevels]);
  const double padded = steps * double(activePEs);

  double networkBits = 0;
  for (unsigned k = 0; k < kNumTensorKinds; ++k) {
    const Problem::Tensor &t = p.tensors[k];
    if (!t.present)
      continue;
    unsigned parent = 0, innermost = 0;
    for (unsigned c = 1; c < numLevels; ++c) {
      if (!m.holds(target, c, TensorKind(k)))
        continue;
      innermost = c;
      const bool crossing = c >= firstPerPE && parent < firstPerPE;
      const double instances = c >= firstPerPE ? double(activePEs) : 1.0;
      const double tile = double(p.footprint(TensorKind(k), tiles[c].data()));
      double count = double(above[c] / trailingReuse(p, m, c, t.relevant));
      // The same tile for all PEs together, for multicast and reduction.
      double shared = tile * instances;
      if (crossing) {
        int64_t whole[kMaxDims];
        for (unsigned d = 0; d < n; ++d)
          whole[d] = tiles[c][d] * spatial[d];
        shared = double(p.footprint(TensorKind(k), whole));
      }
      if (k != hw::Output) {
        cost.writes[c][k] += count * tile * instances;
        bool fanOut = crossing && target.array.multicast;
        cost.reads[parent][k] += count * (fanOut ? shared : tile * instances);
        if (crossing)
          networkBits += count * tile * instances * double(t.bits);
      } else {
        // Each tile of partial sums is drained up once per `count`; all but
        // the first visit of a distinct tile also reload it.
        double distinct = 1;
        for (unsigned l = 0; l < c; ++l)
          for (unsigned d = 0; d < n; ++d)
            if (t.relevant & (1u << d))
              distinct *= double(m.factors[l][d]);
        double reloads = count - distinct;
        bool reduce = crossing && target.array.spatialReduction;
        double up = reduce ? shared : tile * instances;
        cost.reads[c][k] += count * tile * instances;
        cost.writes[c][k] += reloads * tile * instances;
        cost.writes[parent][k] += count * up;
        cost.reads[parent][k] += reloads * up;
        if (crossing)
          networkBits += (count + reloads) * tile * instances * double(t.bits);
      }
      parent = c;
    }
    // The PEs' own operand accesses, at the innermost level holding `k`.
    cost.reads[innermost][k] += padded;
    if (k == hw::Output)
      cost.writes[innermost][k] += padded;
    if (innermost < firstPerPE && firstPerPE < numLevels)
      networkBits += padded * double(t.bits); // streamed into the array
  }
  cost.networkWords = networkBits / double(target.array.bits);

  // Cycles: compute, then each level's traffic at its bandwidth.
  const int64_t wBits = p.tensors[hw::Weight].present
                            ? p.tensors[hw::Weight].bits
                            : p.tensors[hw::Input].bits;
  const int64_t aBits = p.tensors[hw::Input].bits;
  const double perCycle = target.getMacsPerCycle(wBits, aBits);
  const double work =
      steps * double(std::max<int64_t>(1, p.getOpsPerIteration())) / perCycle;
  if (target.array.systolic) {
    // SCALE-Sim: a fold keeps one tile of the stationary tensor in the
    // array (weights for ws, outputs for os, inputs for is); every temporal
    // loop that changes it starts a new fold, which streams
    // `work / folds` cycles plus fill and drain.
    TensorKind stationary = hw::getStationaryTensor(target.array.dataflow);
    if (!p.tensors[stationary].present)
      stationary = hw::Output;
    double folds = 1;
    for (unsigned d = 0; d < n; ++d)
      if (p.tensors[stationary].relevant & (1u << d))
        for (unsigned l = 0; l < numLevels; ++l)
          folds *= double(m.factors[l][d]);
    double rows = double(target.array.rows), cols = double(target.array.cols);
    double fill = target.array.dataflow == hw::Dataflow::OutputStationary
                      ? rows + cols - 2
                      : 2 * rows + cols - 2;
    cost.computeCycles = folds * (std::ceil(work / folds) + fill) - 1;
  } else {
    cost.computeCycles = std::ceil(work);
  }
  cost.cycles = cost.computeCycles;
  for (unsigned c = 0; c < numLevels; ++c) {
    const hw::MemoryLevel &level = target.levels[c];
    double readWords = 0, writeWords = 0;
    for (unsigned k = 0; k < kNumTensorKinds; ++k) {
      double perWord = double(p.tensors[k].bits) / double(level.wordBits);
      readWords += cost.reads[c][k] * perWord;
      writeWords += cost.writes[c][k] * perWord;
    }
    cost.readWords[c] = readWords;
    cost.writeWords[c] = writeWords;
    cost.levelEnergyPJ[c] = readWords * target.getReadEnergyPJ(c) +
                            writeWords * target.getWriteEnergyPJ(c);
    double instances = c >= firstPerPE ? double(activePEs) : 1.0;
    cost.bandwidthCycles[c] =
        std::ceil(std::max(readWords / level.readBandwidth,
                           writeWords / level.writeBandwidth) /
                  instances);
    if (cost.bandwidthCycles[c] > cost.cycles) {
      cost.cycles = cost.bandwidthCycles[c];
      cost.bindingLevel = int(c);
    }
  }
  cost.networkEnergyPJ = cost.networkWords * target.getNetworkEnergyPJ();
  const double real = double(p.iterations);
  cost.computeEnergyPJ =
      real * double(p.macsPerIteration) * target.getMacEnergyPJ(wBits, aBits) +
      real * double(p.aluOpsPerIteration) *
          target.getAluEnergyPJ(p.tensors[hw::Output].bits);
  cost.energyPJ = cost.networkEnergyPJ + cost.computeEnergyPJ;
  for (unsigned c = 0; c < numLevels; ++c)
    cost.energyPJ += cost.levelEnergyPJ[c];
  double capacity = cost.cycles * double(target.array.getNumPEs()) * perCycle;
  cost.utilization =
      capacity > 0
          ? real * double(std::max<int64_t>(1, p.getOpsPerIteration())) /
                capacity
          : 0;
  return cost;
}
