//===- Mapper.h - The map space of a layer and searches over it -*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The map space of one (problem, target): every exact factorization of every
// loop over the memory levels and the array's X and Y (within what the
// target's dataflow allows and what fits the array and the buffers), times a
// small set of loop orders per level. Searches over it are deterministic for
// a seed and are all scored by the one cost model.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_MAPPING_MAPPER_H
#define TANDEM_MAPPING_MAPPER_H

#include "tandem/Analysis/CostModel.h"
#include "tandem/Analysis/Metric.h"

#include <map>
#include <random>

namespace tandem::mapping {

using cost::Cost;
using cost::kMaxDims;
using cost::kMaxLevels;
using cost::Mapping;
using cost::Problem;

/// Factors of one loop per slot: the memory levels, then X and Y of each
/// fan-out.
using SlotFactors = std::array<int64_t, kMaxLevels + 2 * cost::kMaxFanouts>;

class MapSpace {
public:
  MapSpace(const Problem &problem, const hw::Target &target);

  const Problem &getProblem() const { return problem; }
  const hw::Target &getTarget() const { return target; }
  unsigned getNumLevels() const { return numLevels; }
  /// Slots of a SlotFactors: the levels, then X and Y of each fan-out.
  unsigned getNumSlots() const { return numLevels + 2 * fanouts.size(); }
  /// Whether slot `slot` is spatial, and how many PEs (or instances) it
  /// spans.
  bool isSpatialSlot(unsigned slot) const { return slot >= numLevels; }
  int64_t getSlotCapacity(unsigned slot) const;
  /// Loop `d`'s factors in `mapping` as slots, and back.
  SlotFactors getSlots(const Mapping &mapping, unsigned d) const;
  void setSlots(Mapping &mapping, unsigned d, const SlotFactors &f) const;
  /// Ways to split loop `d` over the slots (each fits the array and, alone,
  /// the buffers).
  llvm::ArrayRef<SlotFactors> getChoices(unsigned d) const;
  /// Candidate loop orders of a level: one per priority of the three
  /// tensors (the loops that leave the first one unchanged innermost, then
  /// the second's, ...), duplicates removed. Orders that differ only within
  /// such groups change no reuse the model counts.
  llvm::ArrayRef<std::array<uint8_t, kMaxDims>> getOrders() const {
    return orders;
  }
  /// Number of factorizations (one choice per loop) before pruning; each is
  /// tried with every distinct combination of level orders (at most
  /// getOrders().size() per level, fewer where a level has few loops).
  double getNumFactorizations() const;
  /// Whether the array may take loop `d` on X (or Y).
  bool allowsX(unsigned d) const { return allowedX & (1u << d); }
  bool allowsY(unsigned d) const { return allowedY & (1u << d); }

  /// The mapping with choice `choice[d]` for every loop and order `order[l]`
  /// at every level.
  Mapping build(llvm::ArrayRef<unsigned> choice,
                llvm::ArrayRef<unsigned> order) const;
  /// Index of `factors` among loop `d`'s choices, if it is one.
  std::optional<unsigned> findChoice(unsigned d,
                                     const SlotFactors &factors) const;
  /// The choices of loop `d` one step from choice `i`: one prime factor
  /// moved from one slot to another.
  void getNeighbors(unsigned d, unsigned i,
                    llvm::SmallVectorImpl<unsigned> &out) const;

private:
  const Problem &problem;
  const hw::Target &target;
  unsigned numLevels;
  llvm::SmallVector<hw::Target::Fanout, cost::kMaxFanouts> fanouts;
  uint32_t allowedX = 0, allowedY = 0;
  /// Computed on first use (mutable: a cache).
  void computeChoices() const;
  mutable bool haveChoices = false;
  mutable llvm::SmallVector<llvm::SmallVector<SlotFactors, 0>, kMaxDims>
      choices;
  mutable llvm::SmallVector<std::map<SlotFactors, unsigned>, kMaxDims> index;
  llvm::SmallVector<std::array<uint8_t, kMaxDims>, 6> orders;
};

/// Two problems with the same key are the same layer for the mapper (same
/// loops, projections and widths): one search serves both.
std::string getProblemKey(const Problem &problem);

enum class Strategy { Auto, Exhaustive, Heuristic, Random, Local, Genetic };

std::optional<Strategy> parseStrategy(llvm::StringRef name);
llvm::StringRef stringifyStrategy(Strategy strategy);

/// Whether a layer's mapping can be scored by `metric`: latency, energy or
/// edp (area and power belong to a whole design).
bool isMappingObjective(Metric metric);
/// The number a search minimizes: cycles, picojoules, or their product.
double score(const Cost &cost, Metric objective);

struct SearchOptions {
  /// latency, energy or edp (isMappingObjective).
  Metric objective = Metric::EDP;
  Strategy strategy = Strategy::Auto;
  uint64_t seed = 1;
  /// Wall-clock cap per layer in milliseconds (0: none). A search cut short
  /// returns its best so far; only then may results depend on the machine.
  double timeBudgetMs = 0;
  /// auto: exhaustive when the space has at most this many factorizations
  /// (exhaustive then takes about 10 ms), the genetic search from
  /// `geneticLimit` on (exhaustive would take minutes), local in between.
  double exhaustiveLimit = 2e4;
  double geneticLimit = 1e8;
  /// genetic: spaces with fewer factorizations than this run one population
  /// (they converge faster).
  double smallSpace = 1e7;
  /// random: samples; genetic: population and generations.
  unsigned samples = 3000;
  unsigned population = 100;
  unsigned generations = 300;
  /// genetic: independent populations.
  unsigned runs = 3;
  /// genetic: local searches at the end, from the best genomes and from
  /// random valid starts; local: half of this from random starts.
  unsigned climbs = 24;
  /// Whether the 8 best tilings are also tried with the bypasses the target
  /// allows (each level dropping some of the tensors it keeps).
  bool searchBypass = true;
};

struct SearchResult {
  bool found = false;
  Mapping mapping;
  Cost cost;
  double score = 0;
  uint64_t evaluations = 0;
  double seconds = 0;
  /// Exhaustive search visited the whole space (its result is the optimum).
  bool complete = false;
  Strategy strategy = Strategy::Auto;
};

/// Searches `space` with `options.strategy` (auto: by the space's size,
/// see SearchOptions::exhaustiveLimit).
SearchResult search(const MapSpace &space, const SearchOptions &options);

/// Why no mapping of `problem` is valid on `target` (the rule the smallest
/// possible tiles already break), or nullopt if the trivial mapping is valid.
std::optional<std::string> explainNoMapping(const Problem &problem,
                                            const hw::Target &target);

} // namespace tandem::mapping

#endif // TANDEM_MAPPING_MAPPER_H
