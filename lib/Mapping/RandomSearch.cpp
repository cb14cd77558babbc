//===- RandomSearch.cpp - Uniform sampling of the map space
//----------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// A baseline: `samples` random genomes, the valid ones scored.
//
//===----------------------------------------------------------------------===//

#include "Searcher.h"

using namespace llvm;
using namespace tandem;
using namespace tandem::mapping;
using namespace tandem::mapping::detail;

void Searcher::random(std::mt19937 &rng) {
  for (unsigned i = 0; i < options.samples && !outOfTime; ++i) {
    Mapping m = build(randomGenome(rng));
    if (fits(m))
      consider(m);
  }
}
