//===- Searcher.h - State shared by the mapping searches --------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Mapping. One Searcher runs one search on one map space: it
// scores mappings with the cost model, keeps the best, watches the time
// budget, and holds what several searches share (genomes, the constructive
// seeds, steepest descent). Each strategy is defined in its own file:
//   Exhaustive.cpp   every factorization with every distinct loop order
//   Heuristic.cpp    constructive: large spatial splits, greedy tiles; seeds
//   RandomSearch.cpp sampling
//   LocalSearch.cpp  steepest descent from the seeds
//   GeneticSearch.cpp populations of genomes, finished by local searches
// and Search.cpp picks one (mapping::search).
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_LIB_MAPPING_SEARCHER_H
#define TANDEM_LIB_MAPPING_SEARCHER_H

#include "tandem/Mapping/DefaultMapping.h"
#include "tandem/Mapping/Mapper.h"

#include <chrono>

namespace tandem::mapping::detail {

using Clock = std::chrono::steady_clock;

/// A mapping as the random and genetic searches see it: one choice index
/// per loop (MapSpace::getChoices) and one order index per level.
struct Genome {
  std::array<unsigned, kMaxDims> choice{};
  std::array<unsigned, kMaxLevels> order{};
  /// Bit l * kNumTensorKinds + k: level l bypasses data space k.
  uint32_t bypass = 0;
  double score = 0;
};

class Searcher {
public:
  Searcher(const MapSpace &space, const SearchOptions &options)
      : space(space), options(options),
        context(space.getProblem(), space.getTarget()) {}

  const MapSpace &space;
  const SearchOptions &options;
  /// The problem's constants on the target, computed once for every
  /// evaluation.
  const cost::CostContext context;
  SearchResult result;
  /// The best few mappings considered (best first, distinct scores): the
  /// tilings chooseBypass tries bypasses on.
  static constexpr unsigned kBypassCandidates = 8;
  llvm::SmallVector<std::pair<double, Mapping>, kBypassCandidates> best;
  Clock::time_point start = Clock::now();
  bool outOfTime = false;

  const Problem &problem() const { return space.getProblem(); }
  const hw::Target &target() const { return space.getTarget(); }

  /// Scores a valid mapping, keeps it if it is the best so far; returns its
  /// score.
  double consider(const Mapping &m);
  void checkTime();
  bool valid(const Mapping &m) const;
  /// valid() for a mapping built from the space's choices, each of which
  /// already passes the rules on its own loop.
  bool fits(const Mapping &m) const;

  // The strategies.
  void exhaustive();
  void
  heuristic(llvm::SmallVectorImpl<std::pair<double, Mapping>> *found = nullptr);
  void random(std::mt19937 &rng);
  void local();
  /// Tries the best few mappings with every combination of bypasses the
  /// target allows (the levels below the outermost dropping tensors they
  /// keep); greedy, one bypass at a time, when there are more than 256.
  void chooseBypass();
  /// Steepest descent from the best mapping of each of the best few bypass
  /// combinations chooseBypass() tried, and from the best few mappings: a
  /// bypass frees buffer space that a tile can then grow into, steps
  /// neither search takes alone.
  void polish();
  void genetic(std::mt19937 &rng);

  // Shared pieces.
  llvm::ArrayRef<Mapping> getSeeds(bool thorough);
  Mapping build(const Genome &g) const;
  Genome randomGenome(std::mt19937 &rng) const;
  std::optional<Genome> drawValid(std::mt19937 &rng, unsigned &draws);
  std::optional<Genome> toGenome(const Mapping &m) const;
  std::vector<Genome> getSeedGenomes(bool thorough);
  void hillClimb(Genome g);
  void climbFromRandomStarts(std::mt19937 &rng, unsigned count);

private:
  void allOrders(Mapping &m);
  llvm::SmallVector<std::array<int64_t, kMaxDims>>
  axisSplits(bool isX, int64_t size, unsigned keep);
  Mapping fillTemporal(const std::array<int64_t, kMaxDims> &x,
                       const std::array<int64_t, kMaxDims> &y,
                       unsigned orderIndex);
  bool isMaximalInnerTile(Mapping &m) const;
  std::optional<std::pair<double, Mapping>>
  innerTiles(const Mapping &seed, unsigned limit, bool maximalOnly);
  std::optional<Genome> emptyLevel(const Genome &g, unsigned from,
                                   unsigned to) const;

  llvm::SmallVector<Mapping, 0> seeds;
  /// Set by chooseBypass() for polish().
  llvm::SmallVector<std::pair<double, Mapping>, kBypassCandidates> polishStarts;
  bool seeded = false;
  /// Whether the heuristic also tries the largest unpadded spatial splits.
  bool unpaddedSplits = false;
};

} // namespace tandem::mapping::detail

#endif // TANDEM_LIB_MAPPING_SEARCHER_H
