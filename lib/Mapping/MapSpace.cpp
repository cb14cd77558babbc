//===- MapSpace.cpp - Factorizations and loop orders of one layer ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Mapping/Mapper.h"

#include <cmath>
#include <functional>

using namespace llvm;
using namespace tandem;
using namespace tandem::mapping;
using hw::TensorKind;

/// Every way to write `extent` as a product of one factor per slot, with
/// `limit[s]` the largest factor slot `s` may take (0: the slot is closed).
/// Slot 0 (DRAM) takes whatever the others leave.
static void factorizations(int64_t extent, ArrayRef<int64_t> limit,
                           SmallVectorImpl<SlotFactors> &out) {
  SmallVector<int64_t> divisors;
  for (int64_t f = 1; f * f <= extent; ++f)
    if (extent % f == 0) {
      divisors.push_back(f);
      if (f != extent / f)
        divisors.push_back(extent / f);
    }
  llvm::sort(divisors);
  SlotFactors current;
  current.fill(1);
  std::function<void(unsigned, int64_t)> place = [&](unsigned slot,
                                                     int64_t rest) {
    if (slot == limit.size()) {
      current[0] = rest;
      out.push_back(current);
      return;
    }
    for (int64_t f : divisors) {
      if (f > rest || f > std::max<int64_t>(limit[slot], 1))
        break;
      if (rest % f)
        continue;
      current[slot] = f;
      place(slot + 1, rest / f);
    }
    current[slot] = 1;
  };
  place(1, extent);
}

MapSpace::MapSpace(const Problem &problem, const hw::Target &target)
    : problem(problem), target(target), numLevels(target.levels.size()) {
  const unsigned n = problem.numDims;
  if (target.array.flexibleDataflow) {
    allowedX = allowedY = (1u << n) - 1;
  } else {
    cost::DataflowStyle style = cost::getDataflowStyle(problem, target);
    for (unsigned d : style.x)
      allowedX |= 1u << d;
    for (unsigned d : style.y)
      allowedY |= 1u << d;
  }

  // Loop orders, one per priority of the three tensors.
  std::array<TensorKind, 3> kinds = {hw::Input, hw::Weight, hw::Output};
  std::sort(kinds.begin(), kinds.end());
  do {
    SmallVector<uint8_t, kMaxDims> innerFirst;
    uint32_t placed = 0;
    for (TensorKind k : kinds) {
      uint32_t relevant = problem.tensors[k].present
                              ? problem.tensors[k].relevant
                              : (1u << n) - 1;
      for (unsigned d = 0; d < n; ++d)
        if (!(placed & (1u << d)) && !(relevant & (1u << d))) {
          innerFirst.push_back(d);
          placed |= 1u << d;
        }
    }
    for (unsigned d = 0; d < n; ++d)
      if (!(placed & (1u << d)))
        innerFirst.push_back(d);
    std::array<uint8_t, kMaxDims> order{};
    for (unsigned i = 0; i < n; ++i)
      order[i] = innerFirst[n - 1 - i];
    if (!llvm::is_contained(orders, order))
      orders.push_back(order);
  } while (std::next_permutation(kinds.begin(), kinds.end()));

  // Factor choices per loop, each checked alone (the other loops' tiles at
  // their smallest) against the array and the buffers.
  SmallVector<int64_t, kMaxLevels + 2> limit(numLevels + 2, INT64_MAX);
  Mapping probe = Mapping::identity(numLevels, n);
  for (unsigned d = 0; d < n; ++d)
    probe.factors[0][d] = problem.extents[d];
  choices.resize(n);
  for (unsigned d = 0; d < n; ++d) {
    limit[numLevels] = allowsX(d) ? target.array.cols : 0;
    limit[numLevels + 1] = allowsY(d) ? target.array.rows : 0;
    SmallVector<SlotFactors> all;
    factorizations(problem.extents[d], limit, all);
    for (const SlotFactors &f : all) {
      Mapping m = probe;
      for (unsigned l = 0; l < numLevels; ++l)
        m.factors[l][d] = f[l];
      m.spatialX[d] = f[numLevels];
      m.spatialY[d] = f[numLevels + 1];
      if (cost::isValidMapping(problem, m, target))
        choices[d].push_back(f);
    }
  }
}

double MapSpace::getNumFactorizations() const {
  double size = 1;
  for (const auto &c : choices)
    size *= double(c.size());
  return size;
}

Mapping MapSpace::build(ArrayRef<unsigned> choice,
                        ArrayRef<unsigned> order) const {
  Mapping m = Mapping::identity(numLevels, problem.numDims);
  for (unsigned d = 0; d < problem.numDims; ++d) {
    const SlotFactors &f = choices[d][choice[d]];
    for (unsigned l = 0; l < numLevels; ++l)
      m.factors[l][d] = f[l];
    m.spatialX[d] = f[numLevels];
    m.spatialY[d] = f[numLevels + 1];
  }
  for (unsigned l = 0; l < numLevels; ++l)
    m.order[l] = orders[order[l]];
  return m;
}

std::optional<unsigned> MapSpace::findChoice(unsigned d,
                                             const SlotFactors &f) const {
  for (auto [i, c] : llvm::enumerate(choices[d]))
    if (std::equal(c.begin(), c.begin() + numLevels + 2, f.begin()))
      return i;
  return std::nullopt;
}
