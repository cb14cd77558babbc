//===- GeneticSearch.cpp - Populations of genomes (in the spirit of GAMMA)
//---===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Seeded with the constructive search's best and random valid genomes;
// tournament selection, uniform crossover, mutations that mostly move one
// prime factor; elitism; local searches from the best at the end.
//
//===----------------------------------------------------------------------===//

#include "Searcher.h"

using namespace llvm;
using namespace tandem;
using namespace tandem::mapping;
using namespace tandem::mapping::detail;

void Searcher::genetic(std::mt19937 &rng) {
  const unsigned n = problem().numDims, levels = space.getNumLevels();
  // Seed with the constructive searches' best, then random valid genomes.
  std::vector<Genome> seedGenomes = getSeedGenomes(/*thorough=*/true);
  std::vector<Genome> population = seedGenomes;
  unsigned draws = 50 * options.population;
  while (population.size() < options.population)
    if (auto g = drawValid(rng, draws))
      population.push_back(*g);
    else
      break;
  if (population.empty())
    return;
  auto better = [](const Genome &a, const Genome &b) {
    return a.score < b.score;
  };
  std::uniform_real_distribution<double> coin(0, 1);
  SmallVector<unsigned> neighbors;
  auto pickParent = [&]() -> const Genome & {
    std::uniform_int_distribution<size_t> any(0, population.size() - 1);
    const Genome *best = &population[any(rng)];
    for (int i = 0; i < 2; ++i) {
      const Genome &other = population[any(rng)];
      if (other.score < best->score)
        best = &other;
    }
    return *best;
  };
  for (unsigned gen = 0; gen < options.generations && !outOfTime; ++gen) {
    std::stable_sort(population.begin(), population.end(), better);
    std::vector<Genome> next(population.begin(),
                             population.begin() +
                                 std::min<size_t>(4, population.size()));
    while (next.size() < options.population && !outOfTime) {
      const Genome &a = pickParent(), &b = pickParent();
      Genome child = a;
      bool ok = false;
      for (int attempt = 0; attempt < 8 && !ok; ++attempt) {
        child = a;
        for (unsigned d = 0; d < n; ++d)
          if (coin(rng) < 0.5)
            child.choice[d] = b.choice[d];
        for (unsigned l = 0; l < levels; ++l)
          if (coin(rng) < 0.5)
            child.order[l] = b.order[l];
        if (coin(rng) < 0.7) {
          // Mostly a small step (one prime factor moved), sometimes a
          // jump anywhere in the loop's choices.
          unsigned d = std::uniform_int_distribution<unsigned>(0, n - 1)(rng);
          neighbors.clear();
          space.getNeighbors(d, child.choice[d], neighbors);
          if (!neighbors.empty() && coin(rng) < 0.8)
            child.choice[d] = neighbors[std::uniform_int_distribution<size_t>(
                0, neighbors.size() - 1)(rng)];
          else
            child.choice[d] = std::uniform_int_distribution<unsigned>(
                0, space.getChoices(d).size() - 1)(rng);
        }
        if (coin(rng) < 0.3) {
          unsigned l =
              std::uniform_int_distribution<unsigned>(0, levels - 1)(rng);
          child.order[l] = std::uniform_int_distribution<unsigned>(
              0, space.getOrders().size() - 1)(rng);
        }
        ok = fits(build(child));
      }
      if (!ok)
        continue;
      child.score = consider(build(child));
      next.push_back(child);
    }
    population = std::move(next);
  }
  // Finish with local searches from the best few, from the heuristic's
  // best, and from random starts.
  std::stable_sort(population.begin(), population.end(), better);
  for (unsigned i = 0;
       i < population.size() && i < options.climbs / 2 && !outOfTime; ++i)
    hillClimb(population[i]);
  for (const Genome &g : seedGenomes)
    if (!outOfTime)
      hillClimb(g);
  climbFromRandomStarts(rng, options.climbs - options.climbs / 2);
}
