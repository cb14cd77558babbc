//===- Explorer.h - Searches a space for its front --------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Searches over the points of a DesignSpace, all deterministic for a seed
// and all resumable from their state between batches:
//   exhaustive  every point in id order;
//   random      a seeded sample of distinct points (a baseline);
//   nsga2       NSGA-II (Deb et al., 2002): non-dominated sorting with
//               crowding distance, constrained domination, binary
//               tournaments, uniform crossover and per-parameter mutation;
// and on joint spaces, with a proposer of policies per hardware design:
//   nested      hardware designs in id order (or a seeded sample), each
//               with the policies the proposer (the integer program) gives;
//   sequential  NSGA-II over the hardware with every layer at W8A8, then
//               the proposer's policies on the design it prefers;
// and with a learner (Surrogate.h):
//   differentiable  half the budget a seeded random sample, then rounds of
//               the learner's proposals (an evaluator trained on every
//               point so far, a gradient search through it).
// Every point evaluated is kept in the Archive; the front is taken over it.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CODESIGN_EXPLORER_H
#define TANDEM_CODESIGN_EXPLORER_H

#include "tandem/CoDesign/Evaluator.h"

#include "llvm/ADT/DenseMap.h"

#include <functional>

namespace tandem::codesign {

struct Candidate {
  uint64_t id = 0;
  Metrics metrics;
};

/// Every evaluated point, in evaluation order.
class Archive {
public:
  llvm::ArrayRef<Candidate> getCandidates() const { return candidates; }
  const Candidate *find(uint64_t id) const;
  void add(Candidate candidate);
  size_t size() const { return candidates.size(); }

private:
  std::vector<Candidate> candidates;
  llvm::DenseMap<uint64_t, unsigned> byId;
};

/// Deb's constrained domination on `objectives`: a valid design beats an
/// invalid one, a feasible one an infeasible one, a smaller violation a
/// larger one; among feasible designs, Pareto dominance.
bool dominates(const Metrics &a, const Metrics &b,
               llvm::ArrayRef<Metric> objectives);

/// Indices (into `candidates`) of the feasible, non-dominated candidates,
/// ordered by the first objective (then the next, then id).
std::vector<unsigned> getParetoFront(llvm::ArrayRef<Candidate> candidates,
                                     llvm::ArrayRef<Metric> objectives);

enum class SearchKind {
  Exhaustive,
  Random,
  NSGA2,
  Nested,
  Sequential,
  Differentiable
};
llvm::StringRef stringifySearchKind(SearchKind kind);
std::optional<SearchKind> parseSearchKind(llvm::StringRef name);

struct ExploreOptions {
  SearchKind kind = SearchKind::Exhaustive;
  /// random and nsga2: points to evaluate (distinct).
  uint64_t evaluations = 1000;
  /// nsga2: population size.
  unsigned population = 40;
  uint64_t seed = 1;
  /// exhaustive and random: points per batch (the checkpoint granularity).
  unsigned batch = 256;
  /// nested and sequential: policies proposed per hardware design; the
  /// metric that picks sequential's design.
  unsigned policiesPerDesign = 5;
  Metric prefer = Metric::EDP;
};

/// Nested and sequential searches: the points worth evaluating on
/// hardware design `hardwareId` (DesignSpace::getPointId).
using Proposer = std::function<std::vector<uint64_t>(uint64_t hardwareId)>;
/// The differentiable search: up to `count` points learned from the
/// archive in round `round` (deterministic for both).
using Learner =
    std::function<std::vector<uint64_t>(unsigned count, uint64_t round)>;

/// Where a search stands between batches; with the archive, all a resumed
/// run needs.
struct ExploreState {
  /// nsga2: generations completed and the current population (ids).
  uint64_t generation = 0;
  std::vector<uint64_t> population;
  bool done = false;
};

class Explorer {
public:
  /// `evaluate` scores a batch of points (in parallel) and adds them to the
  /// archive in the order given; `afterBatch` runs after every batch (to
  /// checkpoint) and returns false to stop early (interrupt).
  Explorer(const DesignSpace &space, const ExploreOptions &options,
           std::function<void(llvm::ArrayRef<uint64_t>)> evaluate,
           std::function<bool()> afterBatch, Proposer propose = nullptr,
           Learner learn = nullptr);

  /// Runs (or continues) the search; returns true when it finished, false
  /// when `afterBatch` stopped it.
  bool run(Archive &archive, ExploreState &state);

private:
  bool exhaustive(Archive &archive, ExploreState &state);
  bool random(Archive &archive, ExploreState &state);
  /// NSGA-II; with `frozen`, parameter i stays at frozen[i] where set.
  bool nsga2(Archive &archive, ExploreState &state,
             llvm::ArrayRef<std::optional<unsigned>> frozen = {});
  bool nested(Archive &archive, ExploreState &state);
  bool sequential(Archive &archive, ExploreState &state);
  bool differentiable(Archive &archive, ExploreState &state);
  /// `count` distinct points drawn with the seed (the random search's).
  std::vector<uint64_t> drawPoints(uint64_t count) const;

  const DesignSpace &space;
  ExploreOptions options;
  std::function<void(llvm::ArrayRef<uint64_t>)> evaluate;
  std::function<bool()> afterBatch;
  Proposer propose;
  Learner learn;
};

} // namespace tandem::codesign

#endif // TANDEM_CODESIGN_EXPLORER_H
