//===- Exhaustive.cpp - Every factorization, every distinct loop order
//-----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The reference optimum where it finishes: every loop's factor choices in
// turn, pruned where the tiles placed so far already break a rule, each
// complete factorization with every distinct combination of level orders.
// It starts from the default and the constructive mappings, so under a time
// budget it returns at worst the better of them.
//
//===----------------------------------------------------------------------===//

#include "Searcher.h"

#include <functional>

using namespace llvm;
using namespace tandem;
using namespace tandem::mapping;
using namespace tandem::mapping::detail;

void Searcher::exhaustive() {
  const unsigned n = problem().numDims, levels = space.getNumLevels();
  // Seeded with the default and the constructive mappings, so a walk cut
  // short by the time budget is never worse than either.
  Mapping fallback = defaultMapping(problem(), target());
  if (valid(fallback))
    consider(fallback);
  heuristic();
  SmallVector<unsigned, kMaxDims> choice(n, 0);
  Mapping m = Mapping::identity(levels);
  for (unsigned d = 0; d < n; ++d)
    m.factors[0][d] = problem().extents[d];
  bool complete = true;
  std::function<void(unsigned)> walk = [&](unsigned d) {
    if (outOfTime) {
      complete = false;
      return;
    }
    if (d == n) {
      allOrders(m);
      return;
    }
    for (const SlotFactors &f : space.getChoices(d)) {
      space.setSlots(m, d, f);
      // Loops not placed yet sit at DRAM, their smallest footprint inside:
      // if this already breaks a rule, every completion does.
      if (fits(m))
        walk(d + 1);
      if (outOfTime) {
        complete = false;
        return;
      }
    }
    SlotFactors unplaced;
    unplaced.fill(1);
    unplaced[0] = problem().extents[d];
    space.setSlots(m, d, unplaced);
  };
  walk(0);
  result.complete = complete && !outOfTime;
}

/// Evaluates `m` with every combination of distinct level orders (orders
/// that put a level's non-unit loops in the same sequence are one).
void Searcher::allOrders(Mapping &m) {
  const unsigned n = problem().numDims, levels = space.getNumLevels();
  auto orders = space.getOrders();
  SmallVector<SmallVector<unsigned, 6>, kMaxLevels> distinct(levels);
  for (unsigned l = 0; l < levels; ++l) {
    SmallVector<SmallVector<uint8_t, kMaxDims>, 6> seen;
    for (auto [i, order] : llvm::enumerate(orders)) {
      SmallVector<uint8_t, kMaxDims> nonUnit;
      for (unsigned j = 0; j < n; ++j)
        if (m.factors[l][order[j]] > 1)
          nonUnit.push_back(order[j]);
      if (!llvm::is_contained(seen, nonUnit)) {
        seen.push_back(nonUnit);
        distinct[l].push_back(i);
      }
    }
  }
  SmallVector<unsigned, kMaxLevels> pick(levels, 0);
  while (true) {
    for (unsigned l = 0; l < levels; ++l)
      m.order[l] = orders[distinct[l][pick[l]]];
    consider(m);
    unsigned l = 0;
    while (l < levels && ++pick[l] == distinct[l].size())
      pick[l++] = 0;
    if (l == levels)
      break;
  }
}
