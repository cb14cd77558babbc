//===- DefaultMapping.cpp - Dataflow styles, default mappings, tile growth
//-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Mapping/DefaultMapping.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

using namespace llvm;
using namespace tandem;
using namespace tandem::mapping;
using hw::TensorKind;

DataflowStyle mapping::getDataflowStyle(const Problem &p,
                                        const hw::Target &target) {
  cost::LoopClasses dims = cost::classifyLoops(p);
  auto concat =
      [](std::initializer_list<const SmallVector<unsigned, kMaxDims> *> lists) {
        SmallVector<unsigned, kMaxDims> out;
        for (const auto *l : lists)
          out.append(l->begin(), l->end());
        return out;
      };
  DataflowStyle style;
  style.stationary = hw::getStationaryTensor(target.array.dataflow);
  auto &x = style.x, &y = style.y;
  switch (target.array.dataflow) {
  case hw::Dataflow::WeightStationary:
    y = concat({&dims.reduction, &dims.windows});
    x = concat({&dims.outChannels});
    break;
  case hw::Dataflow::OutputStationary:
    y = concat({&dims.pixels});
    x = concat({&dims.outChannels});
    break;
  case hw::Dataflow::InputStationary:
    y = concat({&dims.reduction, &dims.windows});
    x = concat({&dims.pixels});
    break;
  case hw::Dataflow::RowStationary:
    // Filter rows down the columns; the rest of the window (S) runs inside
    // each PE as a 1-D convolution.
    if (!dims.windows.empty())
      y.push_back(dims.windows.front());
    y.append(dims.reduction.begin(), dims.reduction.end());
    x = concat({&dims.pixels, &dims.outChannels});
    break;
  }
  if (!p.tensors[hw::Weight].present || (x.empty() && y.empty())) {
    // No weights (pooling) or no dim that tells operands apart (elementwise
    // ops): spread the output over the array.
    x = concat({&dims.pixels, &dims.other});
    y = concat({&dims.outChannels, &dims.windows});
    if (y.empty() && x.size() > 1)
      y.push_back(x.pop_back_val());
    style.stationary = hw::Output;
  }
  return style;
}

Mapping mapping::defaultMapping(const Problem &p, const hw::Target &target) {
  const unsigned numLevels = target.levels.size(), n = p.numDims;
  Mapping m = Mapping::identity(numLevels);
  DataflowStyle style = getDataflowStyle(p, target);
  const auto &x = style.x, &y = style.y;
  TensorKind stationary = style.stationary;
  // Spatial: fill each axis greedily; the last dim placed may be padded.
  SmallVector<int64_t> remaining(p.extents.begin(), p.extents.begin() + n);
  auto fill = [&](ArrayRef<unsigned> order, int64_t capacity,
                  std::array<int64_t, kMaxDims> &factors) {
    for (unsigned d : order) {
      if (capacity < 2)
        break;
      if (remaining[d] <= 1)
        continue;
      int64_t f = std::min(remaining[d], capacity);
      factors[d] = f;
      remaining[d] = llvm::divideCeilSigned(remaining[d], f);
      capacity /= f;
    }
  };
  // Each fan-out's axes in turn, outermost first (one on most targets: the
  // array's rows and columns).
  auto fanouts = target.getFanouts();
  for (auto [f, fanout] : llvm::enumerate(fanouts)) {
    fill(y, fanout.y, m.spatialY[f]);
    fill(x, fanout.x, m.spatialX[f]);
  }

  // Loop order at every level: loops that index the stationary tensor
  // outermost, the rest innermost, so its tiles stay put across them.
  uint32_t keep =
      p.tensors[stationary].present ? p.tensors[stationary].relevant : 0;
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < n; ++d)
    if (keep & (1u << d))
      order.push_back(d);
  for (unsigned d = 0; d < n; ++d)
    if (!(keep & (1u << d)))
      order.push_back(d);
  for (unsigned l = 0; l < numLevels; ++l)
    for (unsigned i = 0; i < n; ++i)
      m.order[l][i] = order[i];

  for (unsigned d = 0; d < n; ++d)
    m.factors[0][d] = remaining[d];
  growTemporalTiles(p, target, m);
  return m;
}

void mapping::getDivisors(int64_t n, SmallVectorImpl<int64_t> &divisors) {
  divisors.clear();
  SmallVector<int64_t, 16> large;
  for (int64_t f = 1; f * f <= n; ++f)
    if (n % f == 0) {
      divisors.push_back(f);
      if (f != n / f)
        large.push_back(n / f);
    }
  divisors.append(large.rbegin(), large.rend());
}

void mapping::growTemporalTiles(const Problem &p, const hw::Target &target,
                                Mapping &m, unsigned innermost) {
  const unsigned n = p.numDims;
  for (unsigned c = std::min(innermost, m.numLevels - 1) + 1; c-- > 1;)
    for (unsigned i = n; i-- > 0;) {
      unsigned d = m.order[c][i];
      int64_t rest = m.factors[0][d];
      if (rest == 1)
        continue;
      SmallVector<int64_t, 32> divisors;
      getDivisors(rest, divisors);
      // A larger tile only grows footprints, so validity is monotone in the
      // divisor: binary search for the largest valid one (the cost model's
      // inner loop calls this for every candidate).
      // Moving a factor from DRAM to level c changes only loop d's factors
      // and the tiles of levels 1 to c: the other rules cannot break.
      auto tryFactor = [&](int64_t f) {
        m.factors[c][d] = f;
        m.factors[0][d] = rest / f;
        return cost::isValidLoop(p, m, target, d) &&
               cost::fitsBuffers(p, m, target, c);
      };
      size_t lo = 0, hi = divisors.size() - 1;
      if (tryFactor(rest)) // often all of a small loop fits
        continue;
      --hi;
      while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        if (tryFactor(divisors[mid]))
          lo = mid;
        else
          hi = mid - 1;
      }
      m.factors[c][d] = divisors[lo];
      m.factors[0][d] = rest / divisors[lo];
    }
}
