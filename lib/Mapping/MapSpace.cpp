//===- MapSpace.cpp - Factorizations and loop orders of one layer ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Mapping/DefaultMapping.h"
#include "tandem/Mapping/Mapper.h"

#include "llvm/Support/MathExtras.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <functional>

using namespace llvm;
using namespace tandem;
using namespace tandem::mapping;
using hw::TensorKind;

/// Every way to split `extent` over the slots (levels 0..L-1, then the
/// spatial slots from `firstSpatial` on) with `limit[s]` the largest factor
/// slot `s` may take (0: closed). The spatial factors may leave a remainder
/// (the last spatial tile is padded: an array of 12 rows can take 12 of 256
/// channels, 22 times); the temporal factors then split what is left
/// exactly, DRAM taking the rest. Splits with a factor that is all padding
/// are dropped later by the validity check.
static void factorizations(int64_t extent, ArrayRef<int64_t> limit,
                           unsigned firstSpatial,
                           SmallVectorImpl<SlotFactors> &out) {
  SlotFactors current;
  current.fill(1);
  SmallVector<int64_t> divisors;
  std::function<void(unsigned, int64_t)> place = [&](unsigned slot,
                                                     int64_t rest) {
    if (slot == firstSpatial) {
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
  // The spatial slots, each any value up to its limit that still leaves
  // something to cover.
  std::function<void(unsigned, int64_t)> spread = [&](unsigned slot,
                                                      int64_t covered) {
    if (slot == limit.size()) {
      int64_t rest = llvm::divideCeilSigned(extent, covered);
      getDivisors(rest, divisors);
      place(1, rest);
      return;
    }
    int64_t most = std::min(llvm::divideCeilSigned(extent, covered),
                            std::max<int64_t>(limit[slot], 1));
    for (int64_t f = 1; f <= most; ++f) {
      current[slot] = f;
      spread(slot + 1, covered * f);
    }
    current[slot] = 1;
  };
  spread(firstSpatial, 1);
}

MapSpace::MapSpace(const Problem &problem, const hw::Target &target)
    : problem(problem), target(target), numLevels(target.levels.size()),
      fanouts(target.getFanouts()) {
  const unsigned n = problem.numDims;
  if (target.array.flexibleDataflow) {
    allowedX = allowedY = (1u << n) - 1;
  } else {
    DataflowStyle style = getDataflowStyle(problem, target);
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

  // The factor choices are computed on first use: the constructive search
  // needs none of them.
}

void MapSpace::computeChoices() const {
  if (haveChoices)
    return;
  haveChoices = true;
  const unsigned n = problem.numDims;
  // Factor choices per loop, each checked alone (the other loops' tiles at
  // their smallest) against the array and the buffers.
  const unsigned slots = getNumSlots();
  SmallVector<int64_t, kMaxLevels + 2 * cost::kMaxFanouts> limit(slots,
                                                                 INT64_MAX);
  Mapping probe = Mapping::identity(numLevels);
  for (unsigned d = 0; d < n; ++d)
    probe.factors[0][d] = problem.extents[d];
  choices.resize(n);
  for (unsigned d = 0; d < n; ++d) {
    for (unsigned slot = numLevels; slot < slots; ++slot) {
      bool isX = (slot - numLevels) % 2 == 0;
      limit[slot] = (isX ? allowsX(d) : allowsY(d)) ? getSlotCapacity(slot) : 0;
    }
    SmallVector<SlotFactors> all;
    factorizations(problem.extents[d], limit, numLevels, all);
    for (const SlotFactors &f : all) {
      Mapping m = probe;
      setSlots(m, d, f);
      if (cost::isValidMapping(problem, m, target))
        choices[d].push_back(f);
    }
  }
  index.resize(n);
  for (unsigned d = 0; d < n; ++d) {
    for (auto [i, f] : llvm::enumerate(choices[d]))
      index[d][f] = i;
  }
}

llvm::ArrayRef<SlotFactors> MapSpace::getChoices(unsigned d) const {
  computeChoices();
  return choices[d];
}

double MapSpace::getNumFactorizations() const {
  computeChoices();
  double size = 1;
  for (const auto &c : choices)
    size *= double(c.size());
  return size;
}

Mapping MapSpace::build(ArrayRef<unsigned> choice,
                        ArrayRef<unsigned> order) const {
  computeChoices();
  Mapping m = Mapping::identity(numLevels);
  for (unsigned d = 0; d < problem.numDims; ++d)
    setSlots(m, d, choices[d][choice[d]]);
  for (unsigned l = 0; l < numLevels; ++l)
    m.order[l] = orders[order[l]];
  return m;
}

std::optional<unsigned> MapSpace::findChoice(unsigned d,
                                             const SlotFactors &f) const {
  computeChoices();
  auto it = index[d].find(f);
  if (it == index[d].end())
    return std::nullopt;
  return it->second;
}

void MapSpace::getNeighbors(unsigned d, unsigned i,
                            SmallVectorImpl<unsigned> &out) const {
  computeChoices();
  const SlotFactors &f = choices[d][i];
  const unsigned slots = getNumSlots();
  // A spatial factor one larger or smaller, DRAM absorbing the change.
  for (unsigned axis = numLevels; axis < slots; ++axis)
    for (int64_t delta : {-1, 1}) {
      SlotFactors g = f;
      g[axis] += delta;
      if (g[axis] < 1)
        continue;
      int64_t spatial = 1;
      for (unsigned s = numLevels; s < slots; ++s)
        spatial *= g[s];
      int64_t rest = llvm::divideCeilSigned(problem.extents[d], spatial);
      int64_t inner = 1;
      for (unsigned l = 1; l < numLevels; ++l)
        inner *= g[l];
      if (rest % inner)
        continue;
      g[0] = rest / inner;
      if (auto j = findChoice(d, g))
        out.push_back(*j);
    }
  // A level's whole factor moved to another level: a tiling that pays off
  // only once a loop has left a level entirely (bypassing it) is several
  // prime steps away, and each step alone may cost more.
  for (unsigned from = 0; from < numLevels; ++from)
    for (unsigned to = 0; to < numLevels; ++to) {
      if (to == from || f[from] == 1)
        continue;
      SlotFactors g = f;
      g[to] *= g[from];
      g[from] = 1;
      if (auto j = findChoice(d, g))
        out.push_back(*j);
    }
  for (unsigned from = 0; from < slots; ++from) {
    int64_t rest = f[from];
    // Distinct primes of the factor, by trial division up to its root.
    SmallVector<int64_t, 8> primes;
    for (int64_t p = 2; p * p <= rest; ++p)
      if (rest % p == 0) {
        primes.push_back(p);
        while (rest % p == 0)
          rest /= p;
      }
    if (rest > 1)
      primes.push_back(rest);
    for (int64_t p : primes)
      for (unsigned to = 0; to < slots; ++to) {
        if (to == from)
          continue;
        SlotFactors g = f;
        g[from] /= p;
        g[to] *= p;
        if (auto j = findChoice(d, g))
          out.push_back(*j);
      }
  }
}

int64_t MapSpace::getSlotCapacity(unsigned slot) const {
  if (slot < numLevels)
    return INT64_MAX;
  const hw::Target::Fanout &f = fanouts[(slot - numLevels) / 2];
  return (slot - numLevels) % 2 == 0 ? f.x : f.y;
}

SlotFactors MapSpace::getSlots(const Mapping &m, unsigned d) const {
  SlotFactors f;
  f.fill(1);
  for (unsigned l = 0; l < numLevels; ++l)
    f[l] = m.factors[l][d];
  for (unsigned i = 0; i < fanouts.size(); ++i) {
    f[numLevels + 2 * i] = m.spatialX[i][d];
    f[numLevels + 2 * i + 1] = m.spatialY[i][d];
  }
  return f;
}

void MapSpace::setSlots(Mapping &m, unsigned d, const SlotFactors &f) const {
  for (unsigned l = 0; l < numLevels; ++l)
    m.factors[l][d] = f[l];
  for (unsigned i = 0; i < fanouts.size(); ++i) {
    m.spatialX[i][d] = f[numLevels + 2 * i];
    m.spatialY[i][d] = f[numLevels + 2 * i + 1];
  }
}

std::string mapping::getProblemKey(const Problem &p) {
  std::string key;
  llvm::raw_string_ostream os(key);
  for (unsigned d = 0; d < p.numDims; ++d)
    os << p.dimNames[d] << p.extents[d] << ",";
  for (const Problem::Tensor &t : p.tensors) {
    os << "|" << t.present << ":" << t.bits << ":";
    for (unsigned c = 0; c < t.rank; ++c) {
      os << t.size[c] << "(";
      for (unsigned d = 0; d < p.getNumSourceDims(); ++d)
        os << t.coeff[c][d] << " ";
      os << ")";
    }
  }
  os << "|" << p.macsPerIteration << ":" << p.aluOpsPerIteration;
  // Encoded weights change the MAC's speed and energy, so the best mapping.
  if (p.shiftAdd)
    os << "|terms" << llvm::format("%.17g", p.shiftAdd->terms) << ":"
       << p.shiftAdd->valueBits;
  return key;
}
