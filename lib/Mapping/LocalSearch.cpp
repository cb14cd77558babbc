//===- LocalSearch.cpp - Steepest descent over single steps
//----------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// From every seed, the best of all single steps (one prime factor of one
// loop moved, a level emptied into another, one level's order changed)
// until none improves.
//
//===----------------------------------------------------------------------===//

#include "Searcher.h"

using namespace llvm;
using namespace tandem;
using namespace tandem::mapping;
using namespace tandem::mapping::detail;

/// `g` with every factor of level `from` moved to level `to`; nullopt if
/// `from` holds no loop or a result is not among the choices.
std::optional<Genome> Searcher::emptyLevel(const Genome &g, unsigned from,
                                           unsigned to) const {
  Genome step = g;
  bool moved = false;
  for (unsigned d = 0; d < problem().numDims; ++d) {
    SlotFactors f = space.getChoices(d)[g.choice[d]];
    if (f[from] == 1)
      continue;
    f[to] *= f[from];
    f[from] = 1;
    std::optional<unsigned> c = space.findChoice(d, f);
    if (!c)
      return std::nullopt;
    step.choice[d] = *c;
    moved = true;
  }
  if (!moved)
    return std::nullopt;
  return step;
}

/// Steepest descent over single steps: one prime factor of one loop moved
/// to another slot, a level emptied into another, one level's order
/// changed, or one bypass added or removed.
void Searcher::hillClimb(Genome g) {
  const unsigned n = problem().numDims, levels = space.getNumLevels();
  SmallVector<unsigned> neighbors;
  while (!outOfTime) {
    Genome best = g;
    auto tryStep = [&](const Genome &step) {
      Mapping m = build(step);
      if (!fits(m))
        return;
      double s = consider(m);
      if (s < best.score) {
        best = step;
        best.score = s;
      }
    };
    for (unsigned d = 0; d < n; ++d) {
      neighbors.clear();
      space.getNeighbors(d, g.choice[d], neighbors);
      for (unsigned c : neighbors) {
        Genome step = g;
        step.choice[d] = c;
        tryStep(step);
      }
    }
    // Every loop of one level moved to another: empties (bypasses) a
    // level in one step, which loop-by-loop moves reach only through
    // worse mappings.
    for (unsigned from = 1; from < levels; ++from)
      for (unsigned to = 0; to < levels; ++to)
        if (to != from)
          if (std::optional<Genome> step = emptyLevel(g, from, to))
            for (unsigned o = 0; o < space.getOrders().size(); ++o) {
              step->order[to] = o;
              tryStep(*step);
            }
    for (unsigned l = 0; l < levels; ++l)
      for (unsigned o = 0; o < space.getOrders().size(); ++o)
        if (o != g.order[l]) {
          Genome step = g;
          step.order[l] = o;
          tryStep(step);
        }
    // One bypass added or removed, where the search chooses them (a bypass
    // only frees buffer space the tiling's check then sees).
    if (options.searchBypass)
      for (unsigned l = 1; l < levels; ++l)
        for (unsigned k = 0; k < cost::kNumTensorKinds; ++k)
          if (problem().tensors[k].present &&
              target().levels[l].holdsKind(hw::TensorKind(k))) {
            Genome step = g;
            step.bypass ^= 1u << (l * cost::kNumTensorKinds + k);
            tryStep(step);
          }
    if (!(best.score < g.score))
      return;
    g = best;
  }
}

/// Steepest descent from `count` random valid starts.
void Searcher::climbFromRandomStarts(std::mt19937 &rng, unsigned count) {
  unsigned draws = 1000;
  for (unsigned i = 0; i < count && !outOfTime; ++i)
    if (auto g = drawValid(rng, draws))
      hillClimb(*g);
    else
      break;
}

/// The local search: steepest descent from every seed.
void Searcher::local() {
  // Mid-size spaces afford seeds from unpadded spatial splits too: the best
  // mapping may leave PEs idle to stay off a bandwidth limit (a strided
  // depthwise conv on 8 of Eyeriss's 14 columns).
  unpaddedSplits = true;
  for (const Genome &g : getSeedGenomes(/*thorough=*/false))
    if (!outOfTime)
      hillClimb(g);
}
