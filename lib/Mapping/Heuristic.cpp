//===- Heuristic.cpp - Constructive mapping and the searches' seeds
//--------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The largest spatial splits of each axis with temporal tiles grown greedily
// for every loop order; and the seeds the local and genetic searches start
// from (the best greedy fills and the best maximal inner tiles).
//
//===----------------------------------------------------------------------===//

#include "Searcher.h"

#include "llvm/Support/MathExtras.h"

#include <functional>

using namespace llvm;
using namespace tandem;
using namespace tandem::mapping;
using namespace tandem::mapping::detail;

/// Spatial splits of one axis: divisor factors of allowed loops whose
/// product fits `size`, largest products first (at most `keep`).
SmallVector<std::array<int64_t, kMaxDims>>
Searcher::axisSplits(bool isX, int64_t size, unsigned keep) {
  const unsigned n = problem().numDims;
  SmallVector<std::pair<int64_t, std::array<int64_t, kMaxDims>>> all;
  std::array<int64_t, kMaxDims> f;
  f.fill(1);
  std::function<void(unsigned, int64_t)> walk = [&](unsigned d,
                                                    int64_t product) {
    if (d == n) {
      all.push_back({product, f});
      return;
    }
    walk(d + 1, product);
    if (!(isX ? space.allowsX(d) : space.allowsY(d)))
      return;
    // Any factor up to the extent: the last spatial tile may be padded.
    for (int64_t g = 2; g <= problem().extents[d] && product * g <= size; ++g) {
      f[d] = g;
      walk(d + 1, product * g);
      f[d] = 1;
    }
  };
  walk(0, 1);
  std::stable_sort(all.begin(), all.end(), [](const auto &a, const auto &b) {
    return a.first > b.first;
  });
  SmallVector<std::array<int64_t, kMaxDims>> out;
  for (unsigned i = 0; i < all.size() && i < keep; ++i)
    out.push_back(all[i].second);
  // With unpaddedSplits, also the largest splits that divide every loop
  // exactly (a padded split of 13 or 11 columns crowds them out of the
  // largest products, yet the best mapping may use 8 columns unpadded).
  if (unpaddedSplits)
    for (unsigned i = 0, added = 0; i < all.size() && added < keep; ++i) {
      bool exact = true;
      for (unsigned d = 0; d < n; ++d)
        exact &= problem().extents[d] % all[i].second[d] == 0;
      if (exact && !llvm::is_contained(out, all[i].second)) {
        out.push_back(all[i].second);
        ++added;
      }
    }
  // Keep the all-ones split: with it the trivial tiling is always tried.
  std::array<int64_t, kMaxDims> ones;
  ones.fill(1);
  if (!llvm::is_contained(out, ones))
    out.push_back(ones);
  return out;
}

/// The mapping with spatial split (x, y) and loop order `orderIndex` at
/// every level, its temporal tiles grown while they fit.
Mapping Searcher::fillTemporal(const std::array<int64_t, kMaxDims> &x,
                               const std::array<int64_t, kMaxDims> &y,
                               unsigned orderIndex) {
  const unsigned n = problem().numDims, levels = space.getNumLevels();
  Mapping m = Mapping::identity(levels);
  const auto &order = space.getOrders()[orderIndex];
  // The splits are over the whole array; each loop's factor is shared out
  // over the fan-outs (one, the array, on most targets), outermost first,
  // each taking the largest divisor of what is left that fits.
  auto fanouts = target().getFanouts();
  for (bool isX : {true, false}) {
    SmallVector<int64_t, cost::kMaxFanouts> room;
    for (const hw::Target::Fanout &f : fanouts)
      room.push_back(isX ? f.x : f.y);
    for (unsigned d = 0; d < n; ++d) {
      int64_t left = isX ? x[d] : y[d];
      for (unsigned f = 0; f < fanouts.size() && left > 1; ++f) {
        int64_t take = 1;
        for (int64_t g = std::min(left, room[f]); g > 1; --g)
          if (left % g == 0) {
            take = g;
            break;
          }
        if (fanouts.size() == 1)
          take = left; // the array takes it whole, padding included
        (isX ? m.spatialX : m.spatialY)[f][d] = take;
        room[f] /= take;
        left /= take;
      }
    }
  }
  for (unsigned d = 0; d < n; ++d)
    m.factors[0][d] =
        llvm::divideCeilSigned(problem().extents[d], m.getSpatial(d));
  for (unsigned l = 0; l < levels; ++l)
    m.order[l] = order;
  growTemporalTiles(problem(), target(), m);
  return m;
}

/// The constructive search: the largest spatial splits of each axis,
/// each with tiles grown for every loop order. Adds the best mapping of
/// every spatial split to `found`, if given.
void Searcher::heuristic(SmallVectorImpl<std::pair<double, Mapping>> *found) {
  auto xs = axisSplits(true, target().array.cols, 8);
  auto ys = axisSplits(false, target().array.rows, 8);
  for (const auto &x : xs)
    for (const auto &y : ys) {
      bool needed = true;
      for (unsigned d = 0; d < problem().numDims; ++d)
        needed &= x[d] * y[d] <= problem().extents[d];
      if (!needed)
        continue;
      std::optional<std::pair<double, Mapping>> bestFill;
      for (unsigned o = 0; o < space.getOrders().size(); ++o) {
        Mapping m = fillTemporal(x, y, o);
        if (!valid(m))
          continue;
        double sc = consider(m);
        if (!bestFill || sc < bestFill->first)
          bestFill = {sc, m};
      }
      if (found && bestFill)
        found->push_back(*bestFill);
    }
}

/// The local and genetic searches' seeds, built once for all populations:
/// for every spatial split the heuristic tries, its best greedy fill and
/// its best inner tile; the `climbs` best of these. Inner tiles are the
/// maximal ones (no loop can grow without breaking a rule), and with
/// `thorough` also the largest 256 of any kind (costlier, occasionally
/// better on large layers).
ArrayRef<Mapping> Searcher::getSeeds(bool thorough) {
  if (seeded)
    return seeds;
  seeded = true;
  SmallVector<std::pair<double, Mapping>, 0> found;
  heuristic(&found);
  for (size_t i = 0, splits = found.size(); i < splits && !outOfTime; ++i) {
    if (auto t = innerTiles(found[i].second, 256, /*maximalOnly=*/true))
      found.push_back(*t);
    if (thorough)
      if (auto t = innerTiles(found[i].second, 256, /*maximalOnly=*/false))
        found.push_back(*t);
  }
  std::stable_sort(
      found.begin(), found.end(),
      [](const auto &a, const auto &b) { return a.first < b.first; });
  for (unsigned i = 0; i < found.size() && seeds.size() < options.climbs; ++i)
    seeds.push_back(found[i].second);
  return seeds;
}

/// Whether no loop of the innermost level's tile can grow by its next
/// prime factor and still be valid.
bool Searcher::isMaximalInnerTile(Mapping &m) const {
  const unsigned inner = space.getNumLevels() - 1;
  for (unsigned d = 0; d < problem().numDims; ++d) {
    int64_t rest = m.factors[0][d], prime = 2;
    if (rest == 1)
      continue;
    while (rest % prime)
      ++prime;
    m.factors[inner][d] *= prime;
    m.factors[0][d] /= prime;
    bool grows = valid(m);
    m.factors[inner][d] /= prime;
    m.factors[0][d] *= prime;
    if (grows)
      return false;
  }
  return true;
}

/// With the spatial split of `seed` fixed, every tile of the innermost
/// level that fits (at most `limit` of them, largest first; only maximal
/// ones with `maximalOnly`), each with the outer levels
/// grown for every loop order. Returns the best. A greedy fill commits to
/// one inner tile, and single steps rarely leave it: moving a large prime
/// in needs room that only several other moves out would make.
std::optional<std::pair<double, Mapping>>
Searcher::innerTiles(const Mapping &seed, unsigned limit, bool maximalOnly) {
  const unsigned n = problem().numDims, levels = space.getNumLevels();
  if (levels < 2)
    return std::nullopt;
  const unsigned inner = levels - 1;
  Mapping m = Mapping::identity(levels);
  m.spatialX = seed.spatialX;
  m.spatialY = seed.spatialY;
  m.bypass = seed.bypass; // the tiles fit what each level keeps
  for (unsigned d = 0; d < n; ++d)
    m.factors[0][d] =
        llvm::divideCeilSigned(problem().extents[d], m.getSpatial(d));
  std::optional<std::pair<double, Mapping>> best;
  unsigned leaves = 0;
  std::function<void(unsigned)> walk = [&](unsigned d) {
    if (outOfTime || leaves >= limit)
      return;
    if (d == n) {
      if (maximalOnly && !isMaximalInnerTile(m))
        return;
      ++leaves;
      for (const auto &order : space.getOrders()) {
        Mapping filled = m;
        for (unsigned l = 0; l < levels; ++l)
          filled.order[l] = order;
        growTemporalTiles(problem(), target(), filled, inner - 1);
        double s = consider(filled);
        if (!best || s < best->first)
          best = {s, filled};
      }
      return;
    }
    int64_t rest = m.factors[0][d];
    SmallVector<int64_t, 32> divisors;
    getDivisors(rest, divisors);
    // Largest tiles first: with the limit hit, the small ones go.
    for (int64_t f : llvm::reverse(divisors)) {
      m.factors[inner][d] = f;
      m.factors[0][d] = rest / f;
      // Later loops are still at 1: if this breaks a rule, so does
      // every completion.
      if (valid(m))
        walk(d + 1);
    }
    m.factors[inner][d] = 1;
    m.factors[0][d] = rest;
  };
  walk(0);
  return best;
}
