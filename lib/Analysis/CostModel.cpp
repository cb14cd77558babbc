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

LoopClasses cost::classifyLoops(const Problem &p) {
  LoopClasses c;
  const auto &in = p.tensors[hw::Input], &w = p.tensors[hw::Weight],
             &out = p.tensors[hw::Output];
  const uint32_t sourceOut =
      p.flattening ? p.flattening->sourceRelevant[hw::Output] : out.relevant;
  // A source loop is a window loop when it shares an input coordinate with
  // a loop that indexes the output (r with p in h = p + r).
  auto isWindow = [&](unsigned source) {
    for (unsigned k = 0; k < in.rank; ++k)
      if (in.coeff[k][source] != 0)
        for (unsigned e = 0; e < p.getNumSourceDims(); ++e)
          if (e != source && in.coeff[k][e] != 0 && (sourceOut & (1u << e)))
            return true;
    return false;
  };
  for (unsigned d = 0; d < p.numDims; ++d) {
    uint32_t bit = 1u << d;
    bool i = in.present && (in.relevant & bit);
    bool wt = w.present && (w.relevant & bit);
    bool o = out.present && (out.relevant & bit);
    if (wt && o && !i)
      c.outChannels.push_back(d);
    else if (i && o && !wt)
      c.pixels.push_back(d);
    else if (i && wt && !o) {
      bool window = false;
      if (p.flattening)
        for (uint8_t m : p.getMembers(d))
          window |= isWindow(m);
      else
        window = isWindow(d);
      (window ? c.windows : c.reduction).push_back(d);
    } else
      c.other.push_back(d);
  }
  return c;
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
    if (dim.extent < 1)
      return createStringError(inconvertibleErrorCode(),
                               "loop %s has extent %lld: the op does nothing",
                               dim.name.c_str(), (long long)dim.extent);
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
                               "takes at most %u dimensions and %u loops",
                               access.name.c_str(), access.map.getNumResults(),
                               kMaxCoords, kMaxDims);
    if (access.projection->wholeCoords)
      return createStringError(inconvertibleErrorCode(),
                               "tensor '%s' is not indexed affine-linearly "
                               "by the loops",
                               access.name.c_str());
    static_cast<accel::TensorProjection &>(t) = *access.projection;
    t.buildTerms(ArrayRef<int64_t>(p.extents.data(), p.numDims));
    t.present = true;
    t.bits = bits[k];
  }
  const accel::OpCounts &it = nest.perIteration;
  p.macsPerIteration = it.macs;
  p.aluOpsPerIteration = it.adds + it.muls + it.compares;
  return p;
}

void cost::getTileExtents(const Problem &p, const Mapping &m,
                          unsigned firstPerPE, TileExtents &tiles) {
  // Level 0 (DRAM) holds the whole tensors; its tile is never needed.
  for (unsigned d = 0; d < p.numDims; ++d) {
    int64_t inner = 1;
    for (unsigned c = m.numLevels; c-- > 1;) {
      inner *= m.factors[c][d];
      tiles[c][d] =
          c < firstPerPE ? inner * m.spatialX[d] * m.spatialY[d] : inner;
    }
  }
}

CostContext::CostContext(const Problem &p, const hw::Target &t)
    : problem(&p), target(&t), numLevels(t.levels.size()),
      firstPerPE(t.getFirstPerPELevel()) {
  // evaluate() fills tiles for the active loops only: those of extent
  // above 1, and any a footprint term reads (buildProblem drops the terms of
  // unit loops; a problem built by hand may keep them).
  uint32_t active = 0;
  for (unsigned d = 0; d < p.numDims; ++d)
    if (p.extents[d] > 1)
      active |= 1u << d;
  if (!p.flattening) // terms index source loops
    for (const Problem::Tensor &t : p.tensors)
      if (t.present)
        for (unsigned i = 0; i < t.numTerms; ++i)
          active |= 1u << t.termLoop[i];
  for (unsigned d = 0; d < p.numDims; ++d)
    if (active & (1u << d))
      activeDims[numActiveDims++] = d;
  for (unsigned c = 0; c < numLevels; ++c) {
    const hw::MemoryLevel &level = t.levels[c];
    holds[c] = level.holds;
    for (unsigned k = 0; k < kNumTensorKinds; ++k)
      wordsPerElement[c][k] =
          double(p.tensors[k].bits) / double(level.wordBits);
    readEnergyPJ[c] = t.getReadEnergyPJ(c);
    writeEnergyPJ[c] = t.getWriteEnergyPJ(c);
    readsPerCycle[c] = 1.0 / level.readBandwidth;
    writesPerCycle[c] = 1.0 / level.writeBandwidth;
  }
  const int64_t wBits = p.tensors[hw::Weight].present
                            ? p.tensors[hw::Weight].bits
                            : p.tensors[hw::Input].bits;
  const int64_t aBits = p.tensors[hw::Input].bits;
  macsPerCycle = t.getMacsPerCycle(wBits, aBits);
  opsPerIteration = double(std::max<int64_t>(1, p.getOpsPerIteration()));
  computeEnergyPJ =
      double(p.iterations) *
      (double(p.macsPerIteration) * t.getMacEnergyPJ(wBits, aBits) +
       double(p.aluOpsPerIteration) *
           t.getAluEnergyPJ(p.tensors[hw::Output].bits));
  networkEnergyPJ = t.getNetworkEnergyPJ();
  arrayBits = double(t.array.bits);
  numPEs = double(t.array.getNumPEs());
  multicast = t.array.multicast;
  spatialReduction = t.array.spatialReduction;
  systolic = t.array.systolic;
  if (systolic) {
    stationary = hw::getStationaryTensor(t.array.dataflow);
    if (!p.tensors[stationary].present)
      stationary = hw::Output;
    double rows = double(t.array.rows), cols = double(t.array.cols);
    fill = t.array.dataflow == hw::Dataflow::OutputStationary
               ? rows + cols - 2
               : 2 * rows + cols - 2;
    // Loops that index every data space (groups, heads) are independent
    // problems: SCALE-Sim runs each as a layer of its own.
    uint32_t shared = (1u << p.numDims) - 1;
    for (const Problem::Tensor &tensor : p.tensors)
      if (tensor.present)
        shared &= tensor.relevant;
    for (unsigned d = 0; d < p.numDims; ++d)
      if (shared & (1u << d))
        runs *= double(p.extents[d]);
  }
}

Cost cost::evaluate(const Problem &p, const Mapping &m,
                    const hw::Target &target) {
  return evaluate(CostContext(p, target), m);
}

Cost cost::evaluate(const CostContext &ctx, const Mapping &m) {
  const Problem &p = *ctx.problem;
  Cost cost;
  const unsigned numLevels = m.numLevels, n = p.numDims;
  const unsigned firstPerPE = ctx.firstPerPE;

  // Loops of extent 1 have every factor 1 in a valid mapping: only the
  // others are visited (the footprints' terms skip them too).
  const unsigned numActive = ctx.numActiveDims;
  const uint8_t *active = ctx.activeDims.data();

  int64_t spatial[kMaxDims];
  int64_t activePEs = 1;
  for (unsigned i = 0; i < numActive; ++i) {
    const unsigned d = active[i];
    spatial[d] = m.spatialX[d] * m.spatialY[d];
    activePEs *= spatial[d];
  }
  cost.activePEs = activePEs;

  // tiles[c]: as getTileExtents, for the active loops.
  TileExtents tiles;
  for (unsigned i = 0; i < numActive; ++i) {
    const unsigned d = active[i];
    int64_t inner = 1;
    for (unsigned c = numLevels; c-- > 1;) {
      inner *= m.factors[c][d];
      tiles[c][d] = c < firstPerPE ? inner * spatial[d] : inner;
    }
  }
  // above[c]: temporal iterations of the levels above c.
  int64_t above[kMaxLevels + 1];
  above[0] = 1;
  for (unsigned c = 0; c < numLevels; ++c) {
    int64_t prod = 1;
    for (unsigned i = 0; i < numActive; ++i)
      prod *= m.factors[c][active[i]];
    above[c + 1] = above[c] * prod;
  }
  const double steps = double(above[numLevels]);
  const double padded = steps * double(activePEs);

  // Walking each level's loops from the innermost out, for every tensor at
  // once: `trailing` is the product of the non-unit loops that do not index
  // the tensor before the first that does, `touches` whether one does,
  // `ownRelevant` the product of the loops that do. A child level's tile
  // stays resident across the trailing loops above it (Timeloop's reuse):
  // reuse(c) = trailing[c-1], times reuse(c-1) while no level in between
  // touches it. Branch-free: this is the evaluation's hottest loop.
  int64_t trailing[kMaxLevels][kNumTensorKinds];
  int64_t ownRelevant[kMaxLevels][kNumTensorKinds];
  unsigned touches[kMaxLevels];
  const uint32_t relevant[kNumTensorKinds] = {
      p.tensors[0].relevant, p.tensors[1].relevant, p.tensors[2].relevant};
  for (unsigned l = 0; l + 1 < numLevels; ++l) {
    // The level's non-unit loops, innermost first (unit ones change
    // nothing).
    unsigned loops[kMaxDims], count = 0;
    for (unsigned i = n; i-- > 0;) {
      const unsigned d = m.order[l][i];
      loops[count] = d;
      count += m.factors[l][d] != 1;
    }
    int64_t tr[kNumTensorKinds] = {1, 1, 1}, own[kNumTensorKinds] = {1, 1, 1};
    unsigned touched = 0;
    for (unsigned j = 0; j < count; ++j) {
      const unsigned d = loops[j];
      const int64_t f = m.factors[l][d];
      for (unsigned k = 0; k < kNumTensorKinds; ++k) {
        const unsigned r = (relevant[k] >> d) & 1;
        tr[k] *= (r | ((touched >> k) & 1)) ? 1 : f;
        touched |= r << k;
      }
      // Only partial sums are revisited, so only outputs need this.
      own[hw::Output] *= (relevant[hw::Output] >> d) & 1 ? f : 1;
    }
    touches[l] = touched;
    for (unsigned k = 0; k < kNumTensorKinds; ++k) {
      trailing[l][k] = tr[k];
      ownRelevant[l][k] = own[k];
    }
  }

  // The tile of all PEs together at each per-PE level, for multicast and
  // reduction (computed when a tensor first crosses into that level).
  int64_t whole[kMaxLevels][kMaxDims];
  unsigned haveWhole = 0;

  double networkBits = 0;
  for (unsigned k = 0; k < kNumTensorKinds; ++k) {
    const Problem::Tensor &t = p.tensors[k];
    if (!t.present)
      continue;
    unsigned parent = 0, innermost = 0;
    int64_t reuse = 1, distinctTiles = 1;
    for (unsigned c = 1; c < numLevels; ++c) {
      reuse = trailing[c - 1][k] *
              (((touches[c - 1] >> k) & 1) || c == 1 ? 1 : reuse);
      distinctTiles *= ownRelevant[c - 1][k];
      if (!(ctx.holds[c] & ~m.bypass[c] & (1u << k)))
        continue;
      innermost = c;
      const bool crossing = c >= firstPerPE && parent < firstPerPE;
      const double instances = c >= firstPerPE ? double(activePEs) : 1.0;
      const double tile =
          double(p.footprint(hw::TensorKind(k), tiles[c].data()));
      const double count = double(above[c] / reuse);
      // The same tile for all PEs together, for multicast and reduction.
      double shared = tile * instances;
      if (crossing) {
        if (!(haveWhole & (1u << c))) {
          for (unsigned i = 0; i < numActive; ++i)
            whole[c][active[i]] = tiles[c][active[i]] * spatial[active[i]];
          haveWhole |= 1u << c;
        }
        shared = double(p.footprint(hw::TensorKind(k), whole[c]));
      }
      if (k != hw::Output) {
        cost.writes[c][k] += count * tile * instances;
        bool fanOut = crossing && ctx.multicast;
        cost.reads[parent][k] += count * (fanOut ? shared : tile * instances);
        if (crossing)
          networkBits += count * tile * instances * double(t.bits);
      } else {
        // Each tile of partial sums is drained up once per `count`; all but
        // the first visit of a distinct tile also reload it.
        double reloads = count - double(distinctTiles);
        bool reduce = crossing && ctx.spatialReduction;
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
  cost.networkWords = networkBits / ctx.arrayBits;

  // Cycles: compute, then each level's traffic at its bandwidth.
  const double work = steps * ctx.opsPerIteration / ctx.macsPerCycle;
  if (ctx.systolic) {
    // SCALE-Sim: a fold keeps one tile of the stationary tensor in the
    // array (weights for ws, outputs for os, inputs for is); every temporal
    // loop that changes it starts a new fold, which streams
    // `work / folds` cycles plus fill and drain. Each run (an independent
    // layer) ends one cycle early.
    double folds = 1;
    for (unsigned i = 0; i < numActive; ++i)
      if (const unsigned d = active[i];
          p.tensors[ctx.stationary].relevant & (1u << d))
        for (unsigned l = 0; l < numLevels; ++l)
          folds *= double(m.factors[l][d]);
    cost.computeCycles =
        folds * (std::ceil(work / folds) + ctx.fill) - ctx.runs;
  } else {
    cost.computeCycles = std::ceil(work);
  }
  cost.cycles = cost.computeCycles;
  cost.energyPJ = 0;
  for (unsigned c = 0; c < numLevels; ++c) {
    double readWords = 0, writeWords = 0;
    for (unsigned k = 0; k < kNumTensorKinds; ++k) {
      readWords += cost.reads[c][k] * ctx.wordsPerElement[c][k];
      writeWords += cost.writes[c][k] * ctx.wordsPerElement[c][k];
    }
    cost.readWords[c] = readWords;
    cost.writeWords[c] = writeWords;
    cost.levelEnergyPJ[c] =
        readWords * ctx.readEnergyPJ[c] + writeWords * ctx.writeEnergyPJ[c];
    cost.energyPJ += cost.levelEnergyPJ[c];
    double instances = c >= firstPerPE ? double(activePEs) : 1.0;
    cost.bandwidthCycles[c] =
        std::ceil(std::max(readWords * ctx.readsPerCycle[c],
                           writeWords * ctx.writesPerCycle[c]) /
                  instances);
    if (cost.bandwidthCycles[c] > cost.cycles) {
      cost.cycles = cost.bandwidthCycles[c];
      cost.bindingLevel = int(c);
    }
  }
  cost.networkEnergyPJ = cost.networkWords * ctx.networkEnergyPJ;
  cost.computeEnergyPJ = ctx.computeEnergyPJ;
  cost.energyPJ += cost.networkEnergyPJ + cost.computeEnergyPJ;
  double capacity = cost.cycles * ctx.numPEs * ctx.macsPerCycle;
  cost.utilization =
      capacity > 0 ? double(p.iterations) * ctx.opsPerIteration / capacity : 0;
  return cost;
}
