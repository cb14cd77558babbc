//===- CostModel.cpp - Access counts, cycles and energy of one mapping ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/CostModel.h"

#include "tandem/Dialect/Accel/IR/LoopNest.h"

#include <algorithm>
#include <cmath>
#include <numeric>

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

hw::MacOperands Problem::getMacOperands() const {
  hw::MacOperands mac;
  mac.activationBits = tensors[hw::Input].bits;
  mac.weightBits = tensors[hw::Weight].present ? tensors[hw::Weight].bits
                                               : mac.activationBits;
  if (shiftAdd) {
    mac.encoded = true;
    mac.terms = shiftAdd->terms;
    mac.valueBits = shiftAdd->valueBits;
  }
  return mac;
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
  if (nest.shiftAdd && p.tensors[hw::Weight].present)
    p.shiftAdd =
        Problem::ShiftAddWeights{nest.shiftAdd->termsPerIteration,
                                 getValueBits(nest.shiftAdd->encoding)};
  return p;
}

void cost::getTileExtents(const Problem &p, const Mapping &m,
                          const hw::Target &target, TileExtents &tiles) {
  // Level 0 (DRAM) holds the whole tensors; its tile is never needed.
  auto fanouts = target.getFanouts();
  for (unsigned d = 0; d < p.numDims; ++d) {
    int64_t inner = 1;
    for (unsigned c = m.numLevels; c-- > 1;) {
      inner *= m.factors[c][d];
      // The fan-outs below c spread parts of c's tile over its children.
      for (auto [f, fanout] : llvm::enumerate(fanouts))
        if (fanout.above == c)
          inner *= m.spatialX[f][d] * m.spatialY[f][d];
      tiles[c][d] = inner;
    }
  }
}

/// The coordinates of data space `t` over the problem's loops. A flattened
/// loop is a coordinate of its own (its runs are distinct data); its members
/// leave the op's coordinates.
static void getCoordinates(
    const Problem &p, const Problem::Tensor &t, unsigned &numCoords,
    std::array<CostContext::Coordinate, kMaxCoords + kMaxDims> &coords) {
  numCoords = 0;
  // The problem loop of each source loop, if it is not flattened.
  std::array<int, kMaxDims> plain;
  plain.fill(-1);
  for (unsigned d = 0; d < p.numDims; ++d) {
    if (!p.flattening)
      plain[d] = d;
    else if (p.getMembers(d).size() == 1)
      plain[p.getMembers(d)[0]] = d;
  }
  for (unsigned c = 0; c < t.rank; ++c) {
    CostContext::Coordinate coord;
    coord.size = t.size[c];
    for (unsigned s = 0; s < p.getNumSourceDims(); ++s)
      if (t.coeff[c][s] != 0 && plain[s] >= 0 && p.extents[plain[s]] > 1) {
        coord.loops[coord.numLoops] = plain[s];
        coord.coeffs[coord.numLoops++] = std::abs(t.coeff[c][s]);
      }
    if (coord.numLoops)
      coords[numCoords++] = coord;
  }
  for (unsigned d = 0; d < p.numDims; ++d)
    if (p.getMembers(d).size() > 1 && (t.relevant & (1u << d))) {
      CostContext::Coordinate coord;
      coord.size = p.extents[d];
      coord.loops[0] = d;
      coord.coeffs[0] = 1;
      coord.numLoops = 1;
      coords[numCoords++] = coord;
    }
}

CostContext::CostContext(const Problem &p, const hw::Target &t)
    : problem(&p), target(&t), numLevels(t.levels.size()) {
  // evaluate() fills tiles for the active loops only: those of extent
  // above 1, and any a footprint term reads (buildProblem drops the terms of
  // unit loops; a problem built by hand may keep them).
  uint32_t active = 0;
  for (unsigned d = 0; d < p.numDims; ++d)
    if (p.extents[d] > 1)
      active |= 1u << d;
  if (!p.flattening) // terms index source loops
    for (const Problem::Tensor &tensor : p.tensors)
      if (tensor.present)
        for (unsigned i = 0; i < tensor.numTerms; ++i)
          active |= 1u << tensor.termLoop[i];
  for (unsigned d = 0; d < p.numDims; ++d)
    if (active & (1u << d))
      activeDims[numActiveDims++] = d;
  fanoutBelow.fill(-1);
  for (const hw::Target::Fanout &fanout : t.getFanouts()) {
    fanoutBelow[fanout.above] = numFanouts;
    fanoutAbove[numFanouts++] = fanout.above;
  }
  for (unsigned k = 0; k < kNumTensorKinds; ++k) {
    slideCoord[k].fill(-1);
    if (!p.tensors[k].present)
      continue;
    getCoordinates(p, p.tensors[k], numCoords[k], coords[k]);
    for (unsigned c = 0; c < numCoords[k]; ++c) {
      sharesCoords[k] |= coords[k][c].numLoops > 1;
      for (unsigned i = 0; i < coords[k][c].numLoops; ++i)
        relevantLoops[k][numRelevant[k]++] = coords[k][c].loops[i];
    }
    // Each loop's coordinate and coefficient, for the halo: -1 when the
    // loop does not index the data space, -2 when it indexes several
    // coordinates (its moves never overlap).
    for (unsigned d = 0; d < p.numDims; ++d) {
      int found = -1;
      for (unsigned c = 0; c < numCoords[k]; ++c)
        for (unsigned i = 0; i < coords[k][c].numLoops; ++i)
          if (coords[k][c].loops[i] == d) {
            found = found == -1 ? int(c) : -2;
            coordCoeff[k][d] = coords[k][c].coeffs[i];
          }
      slideCoord[k][d] = int8_t(found);
    }
  }
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
  const hw::MacOperands mac = p.getMacOperands();
  macsPerCycle = t.getMacsPerCycle(mac);
  opsPerIteration = double(std::max<int64_t>(1, p.getOpsPerIteration()));
  const hw::MacEnergy perMac = t.getMacEnergy(mac);
  const double macs = double(p.iterations) * double(p.macsPerIteration);
  multiplyEnergyPJ = macs * perMac.multiplyPJ;
  shiftEnergyPJ = macs * perMac.shiftPJ;
  addEnergyPJ = macs * perMac.addPJ +
                double(p.iterations) * double(p.aluOpsPerIteration) *
                    t.getAluEnergyPJ(p.tensors[hw::Output].bits);
  computeEnergyPJ = multiplyEnergyPJ + shiftEnergyPJ + addEnergyPJ;
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

/// How many distinct tiles of data space `k` the children of one parent
/// instance hold at once, when loop d is spread over `spread[d]` of them
/// and a child's tile covers `step[d]` iterations of it: children that
/// differ only in loops the data space ignores share a tile (a multicast,
/// or a spatial reduction for outputs); tiles that differ at all, even when
/// they overlap, are distinct (Timeloop's rule).
static inline double distinctTiles(const CostContext &ctx, unsigned k,
                                   const int64_t *spread, const int64_t *step) {
  if (!ctx.sharesCoords[k]) {
    // Each loop on its own coordinate: every spread relevant loop counts.
    int64_t distinct = 1;
    for (unsigned i = 0; i < ctx.numRelevant[k]; ++i)
      distinct *= spread[ctx.relevantLoops[k][i]];
    return double(distinct);
  }
  double distinct = 1;
  for (unsigned c = 0; c < ctx.numCoords[k]; ++c) {
    const CostContext::Coordinate &coord = ctx.coords[k][c];
    unsigned n = 0;
    int64_t a[2] = {0, 0}, s[2] = {1, 1};
    double product = 1;
    for (unsigned i = 0; i < coord.numLoops; ++i) {
      const unsigned d = coord.loops[i];
      if (spread[d] == 1)
        continue;
      product *= double(spread[d]);
      if (n < 2) {
        a[n] = coord.coeffs[i] * step[d];
        s[n] = spread[d];
      }
      ++n;
    }
    distinct *= n == 2 ? getDistinctSums(a[0], s[0], a[1], s[1]) : product;
  }
  return distinct;
}

/// How many whole tiles level `c` fetches of data space `k` (one with
/// overlapping coordinates) per instance, by Timeloop's rule: the first tile
/// whole; each step of the innermost loop above that indexes `k` only the
/// part the previous tile did not cover (the halo); any other move whole,
/// unless it happens to shift the tile exactly as that step does (an outer
/// loop continuing the same slide). A loop j's move shifts the tile by its
/// own step and moves every loop inside it back to its start. Loops not
/// indexing `k` innermost keep the tile resident (no move at all).
static double fetchedTiles(const CostContext &ctx, const Mapping &m, unsigned k,
                           unsigned c, double count, const TileExtents &tiles,
                           const int64_t *const *spreadAt) {
  const unsigned n = ctx.problem->numDims;
  // The innermost move slides along `slide` by `shift` (of a tile spanning
  // `span` there); `back` is how far the moves so far have taken the tile
  // along it, `movedOther` whether one moved it along another coordinate
  // (then no later move repeats the slide).
  int slide = -1;
  int64_t shift = 0, back = 0;
  bool movedOther = false;
  double tilesFetched = 1, halo = 1, inner = 1;
  for (unsigned l = c; l-- > 0;)
    for (unsigned i = n; i-- > 0;) {
      const unsigned d = m.order[l][i];
      const int64_t f = m.factors[l][d];
      const int coord = ctx.slideCoord[k][d];
      if (f == 1 || (slide < 0 && coord == -1))
        continue;
      // One step of the loop covers what the levels and fan-outs inside
      // it cover of d.
      int64_t step = spreadAt[l][d];
      if (l + 1 < m.numLevels)
        step *= tiles[l + 1][d];
      const int64_t move = coord >= 0 ? ctx.coordCoeff[k][d] * step : 0;
      inner *= double(f);
      const double times = count / inner * double(f - 1);
      if (slide < 0) {
        // A loop alone on its coordinate (or on several) moves the tile
        // past itself: every tile is fetched whole.
        if (coord < 0 || ctx.coords[k][coord].numLoops == 1)
          return count;
        const CostContext::Coordinate &along = ctx.coords[k][coord];
        int64_t span = 1;
        for (unsigned j = 0; j < along.numLoops; ++j)
          span += along.coeffs[j] * (tiles[c][along.loops[j]] - 1);
        span = std::min(span, along.size);
        if (move >= span)
          return count;
        slide = coord;
        shift = move;
        halo = double(shift) / double(span);
        tilesFetched += times * halo;
        back = move * (f - 1);
        continue;
      }
      const bool sameSlide =
          coord == slide && !movedOther && move - back == shift;
      tilesFetched += times * (sameSlide ? halo : 1);
      if (coord == slide)
        back += move * (f - 1);
      else if (coord != -1)
        movedOther = true;
    }
  return tilesFetched;
}

Cost cost::evaluate(const CostContext &ctx, const Mapping &m) {
  const Problem &p = *ctx.problem;
  const unsigned numLevels = m.numLevels, n = p.numDims;
  // The levels beyond the target's are never read: clearing them would be
  // a tenth of an evaluation.
  Cost cost(Cost::PartlyCleared{numLevels});

  // Loops of extent 1 have every factor 1 in a valid mapping: only the
  // others are visited (the footprints' terms skip them too).
  const unsigned numActive = ctx.numActiveDims;
  const uint8_t *active = ctx.activeDims.data();

  // spreadOf[f][d]: loop d's spatial factor at fan-out f; instances[c]: the
  // level's instances in use.
  int64_t spreadOf[kMaxFanouts][kMaxDims];
  double instances[kMaxLevels];
  double fanoutUsed[kMaxFanouts];
  int64_t activePEs = 1;
  for (unsigned f = 0; f < ctx.numFanouts; ++f) {
    int64_t used = 1;
    for (unsigned i = 0; i < numActive; ++i) {
      const unsigned d = active[i];
      const int64_t s = m.spatialX[f][d] * m.spatialY[f][d];
      spreadOf[f][d] = s;
      used *= s;
    }
    fanoutUsed[f] = double(used);
    activePEs *= used;
  }
  instances[0] = 1;
  for (unsigned c = 1; c < numLevels; ++c) {
    const int f = ctx.fanoutBelow[c - 1];
    instances[c] = f < 0 ? instances[c - 1] : instances[c - 1] * fanoutUsed[f];
  }
  cost.activePEs = activePEs;

  // tiles[c]: as getTileExtents, for the active loops.
  int64_t one[kMaxDims];
  std::fill(one, one + kMaxDims, 1);
  const int64_t *spreadAt[kMaxLevels];
  for (unsigned c = 0; c < numLevels; ++c)
    spreadAt[c] = ctx.fanoutBelow[c] < 0 ? one : spreadOf[ctx.fanoutBelow[c]];
  TileExtents tiles;
  for (unsigned i = 0; i < numActive; ++i) {
    const unsigned d = active[i];
    int64_t inner = 1, spread = 1;
    for (unsigned c = numLevels; c-- > 1;) {
      inner *= m.factors[c][d];
      spread *= spreadAt[c][d];
      tiles[c][d] = inner * spread;
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
  // `ownRelevant` the product of the loops that do. A child level's tile stays
  // resident across the trailing loops above it (Timeloop's reuse): reuse(c) =
  // trailing[c-1], times reuse(c-1) while no level in between touches it.
  // Branch-free: this is the evaluation's hottest loop.
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

  // Distinct tiles of data space k among the children of one instance of
  // level `from` at level `to`, whose tiles span `childTile`: at each
  // fan-out in between, innermost first, the distinct tiles among its
  // children (each child of an outer fan-out holds the union of its own
  // children's tiles, which differ as soon as one of theirs does: Timeloop
  // shares only identical tiles, fan-out by fan-out).
  int64_t unionTile[kMaxDims];
  auto distinctGroups = [&](unsigned k, unsigned from, unsigned to,
                            const int64_t *childTile) {
    if (ctx.numFanouts == 1) {
      const unsigned above = ctx.fanoutAbove[0];
      return above >= from && above < to
                 ? distinctTiles(ctx, k, spreadOf[0], childTile)
                 : 1.0;
    }
    double groups = 1;
    const int64_t *extent = childTile;
    for (unsigned l = to; l-- > from;) {
      const int f = ctx.fanoutBelow[l];
      if (f < 0)
        continue;
      groups *= distinctTiles(ctx, k, spreadOf[f], extent);
      for (unsigned i = 0; i < numActive; ++i)
        unionTile[active[i]] = extent[active[i]] * spreadOf[f][active[i]];
      extent = unionTile;
    }
    return groups;
  };

  double networkBits = 0;
  for (unsigned k = 0; k < kNumTensorKinds; ++k) {
    const Problem::Tensor &t = p.tensors[k];
    if (!t.present)
      continue;
    const hw::TensorKind kind = hw::TensorKind(k);
    unsigned parent = 0, innermost = 0;
    int64_t reuse = 1, distinct = 1, distinctInnermost = 1;
    double innermostTile = 0;
    for (unsigned c = 1; c < numLevels; ++c) {
      reuse = trailing[c - 1][k] *
              (((touches[c - 1] >> k) & 1) || c == 1 ? 1 : reuse);
      distinct *= ownRelevant[c - 1][k];
      if (!(ctx.holds[c] & ~m.bypass[c] & (1u << k)))
        continue;
      innermost = c;
      distinctInnermost = distinct;
      const double children = instances[c] / instances[parent];
      const bool crossing = children > 1;
      const double tile = double(p.footprint(kind, tiles[c].data()));
      innermostTile = tile;
      const double count = double(above[c] / reuse);
      // Distinct tiles among one parent instance's children.
      double groups = children;
      if (crossing &&
          (k == hw::Output ? ctx.spatialReduction : ctx.multicast)) {
        groups = distinctGroups(k, parent, c, tiles[c].data());
      }
      if (k != hw::Output) {
        // What one instance fetches: every new tile, less what it shares
        // with the tile before it (Timeloop's halo).
        const double fetched =
            ctx.sharesCoords[k] && count > 1
                ? tile * fetchedTiles(ctx, m, k, c, count, tiles, spreadAt)
                : count * tile;
        cost.fills[c][k] += fetched * instances[c];
        cost.reads[parent][k] += fetched * groups * instances[parent];
        if (crossing)
          networkBits += fetched * instances[c] * double(t.bits);
      } else {
        // Each tile of partial sums is drained up once per `count`; all but
        // the first visit of a distinct tile also reload it.
        const double reloads = count - double(distinct);
        const double up = tile * groups * instances[parent];
        cost.drains[c][k] += count * tile * instances[c];
        cost.fills[c][k] += reloads * tile * instances[c];
        cost.updates[parent][k] += count * up;
        cost.reads[parent][k] += reloads * up;
        if (crossing)
          networkBits +=
              (count + reloads) * tile * instances[c] * double(t.bits);
      }
      parent = c;
    }
    // The PEs' own operand accesses, at the innermost level holding `k`:
    // one per MAC and PE, shared by PEs that need the same element.
    const double pes = double(activePEs) / instances[innermost];
    double groups = pes;
    if (pes > 1 && (k == hw::Output ? ctx.spatialReduction : ctx.multicast)) {
      groups = distinctGroups(k, innermost, numLevels, one);
    }
    const double accesses = steps * groups * instances[innermost];
    if (k != hw::Output) {
      cost.reads[innermost][k] += accesses;
    } else {
      // The first update of each element needs no read (it starts at 0).
      const double tile = innermost
                              ? innermostTile
                              : double(p.footprint(kind, p.extents.data()));
      const double held =
          double(distinctInnermost) * tile * instances[innermost];
      cost.updates[innermost][k] += accesses;
      cost.reads[innermost][k] += std::max(0.0, accesses - held);
    }
    if (pes > 1)
      networkBits += padded * double(t.bits); // streamed into the array
  }
  cost.networkWords = networkBits / ctx.arrayBits;

  // Cycles: compute, then each level's traffic at its bandwidth. A rate of
  // lanes / (w x a) MACs per cycle leaves rounding noise in the last bits
  // of a whole number of cycles (512 / (64 / 49) = 392.00000000000006):
  // it must not round up to another cycle.
  const double work = steps * ctx.opsPerIteration / ctx.macsPerCycle;
  auto ceilCycles = [](double x) { return std::ceil(x * (1 - 1e-12)); };
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
        folds * (ceilCycles(work / folds) + ctx.fill) - ctx.runs;
  } else {
    cost.computeCycles = ceilCycles(work);
  }
  cost.cycles = cost.computeCycles;
  cost.energyPJ = 0;
  for (unsigned c = 0; c < numLevels; ++c) {
    double readWords = 0, writeWords = 0;
    for (unsigned k = 0; k < kNumTensorKinds; ++k) {
      readWords +=
          (cost.reads[c][k] + cost.drains[c][k]) * ctx.wordsPerElement[c][k];
      writeWords +=
          (cost.fills[c][k] + cost.updates[c][k]) * ctx.wordsPerElement[c][k];
    }
    cost.readWords[c] = readWords;
    cost.writeWords[c] = writeWords;
    cost.levelEnergyPJ[c] =
        readWords * ctx.readEnergyPJ[c] + writeWords * ctx.writeEnergyPJ[c];
    cost.energyPJ += cost.levelEnergyPJ[c];
    cost.bandwidthCycles[c] =
        std::ceil(std::max(readWords * ctx.readsPerCycle[c],
                           writeWords * ctx.writesPerCycle[c]) /
                  instances[c]);
    if (cost.bandwidthCycles[c] > cost.cycles) {
      cost.cycles = cost.bandwidthCycles[c];
      cost.bindingLevel = int(c);
    }
  }
  cost.networkEnergyPJ = cost.networkWords * ctx.networkEnergyPJ;
  cost.computeEnergyPJ = ctx.computeEnergyPJ;
  cost.multiplyEnergyPJ = ctx.multiplyEnergyPJ;
  cost.shiftEnergyPJ = ctx.shiftEnergyPJ;
  cost.addEnergyPJ = ctx.addEnergyPJ;
  cost.energyPJ += cost.networkEnergyPJ + cost.computeEnergyPJ;
  double capacity = cost.cycles * ctx.numPEs * ctx.macsPerCycle;
  cost.utilization =
      capacity > 0 ? double(p.iterations) * ctx.opsPerIteration / capacity : 0;
  return cost;
}
