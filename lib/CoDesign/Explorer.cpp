//===- Explorer.cpp - Exhaustive, random and NSGA-II design search --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Explorer.h"

#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace llvm;
using namespace tandem;
using namespace tandem::codesign;

const Candidate *Archive::find(uint64_t id) const {
  auto it = byId.find(id);
  return it == byId.end() ? nullptr : &candidates[it->second];
}

void Archive::add(Candidate candidate) {
  if (byId.try_emplace(candidate.id, candidates.size()).second)
    candidates.push_back(std::move(candidate));
}

/// 0 feasible, 1 over a budget, 2 cannot run the workload.
static int getStanding(const Metrics &m) {
  return !m.invalid.empty() ? 2 : m.violation > 0 ? 1 : 0;
}

bool codesign::dominates(const Metrics &a, const Metrics &b,
                         ArrayRef<Metric> objectives) {
  int sa = getStanding(a), sb = getStanding(b);
  if (sa != sb)
    return sa < sb;
  if (sa == 2)
    return false;
  if (sa == 1)
    return a.violation < b.violation;
  bool better = false;
  for (Metric m : objectives) {
    if (a.get(m) > b.get(m))
      return false;
    better |= a.get(m) < b.get(m);
  }
  return better;
}

/// Orders candidates by their objectives, lexicographically, then by id.
static bool lexLess(const Candidate &a, const Candidate &b,
                    ArrayRef<Metric> objectives) {
  for (Metric m : objectives)
    if (a.metrics.get(m) != b.metrics.get(m))
      return a.metrics.get(m) < b.metrics.get(m);
  return a.id < b.id;
}

std::vector<unsigned> codesign::getParetoFront(ArrayRef<Candidate> candidates,
                                               ArrayRef<Metric> objectives) {
  std::vector<unsigned> order;
  for (unsigned i = 0; i < candidates.size(); ++i)
    if (candidates[i].metrics.isFeasible())
      order.push_back(i);
  llvm::sort(order, [&](unsigned a, unsigned b) {
    return lexLess(candidates[a], candidates[b], objectives);
  });
  // In lexicographic order nothing dominates an earlier point, and whatever
  // dominates a point is dominated by (or is) a front member already seen.
  std::vector<unsigned> front;
  for (unsigned i : order)
    if (llvm::none_of(front, [&](unsigned f) {
          return dominates(candidates[f].metrics, candidates[i].metrics,
                           objectives);
        }))
      front.push_back(i);
  return front;
}

StringRef codesign::stringifySearchKind(SearchKind kind) {
  switch (kind) {
  case SearchKind::Exhaustive:
    return "exhaustive";
  case SearchKind::Random:
    return "random";
  case SearchKind::NSGA2:
    return "nsga2";
  case SearchKind::Nested:
    return "nested";
  case SearchKind::Sequential:
    return "sequential";
  case SearchKind::Differentiable:
    return "differentiable";
  }
  llvm_unreachable("unknown search");
}

std::optional<SearchKind> codesign::parseSearchKind(StringRef name) {
  for (SearchKind kind :
       {SearchKind::Exhaustive, SearchKind::Random, SearchKind::NSGA2,
        SearchKind::Nested, SearchKind::Sequential, SearchKind::Differentiable})
    if (stringifySearchKind(kind) == name)
      return kind;
  return std::nullopt;
}

Explorer::Explorer(const DesignSpace &space, const ExploreOptions &options,
                   std::function<void(ArrayRef<uint64_t>)> evaluate,
                   std::function<bool()> afterBatch, Proposer propose,
                   Learner learn)
    : space(space), options(options), evaluate(std::move(evaluate)),
      afterBatch(std::move(afterBatch)), propose(std::move(propose)),
      learn(std::move(learn)) {}

bool Explorer::run(Archive &archive, ExploreState &state) {
  if (state.done)
    return true;
  bool finished = false;
  switch (options.kind) {
  case SearchKind::Exhaustive:
    finished = exhaustive(archive, state);
    break;
  case SearchKind::Random:
    finished = random(archive, state);
    break;
  case SearchKind::NSGA2:
    finished = nsga2(archive, state);
    break;
  case SearchKind::Nested:
    finished = nested(archive, state);
    break;
  case SearchKind::Sequential:
    finished = sequential(archive, state);
    break;
  case SearchKind::Differentiable:
    finished = differentiable(archive, state);
    break;
  }
  state.done = finished;
  return finished;
}

bool Explorer::exhaustive(Archive &archive, ExploreState &state) {
  const uint64_t size = space.size();
  // The archive holds points 0 .. archive.size()-1: batches go in id order.
  for (uint64_t next = archive.size(); next < size;) {
    SmallVector<uint64_t> ids;
    for (; next < size && ids.size() < options.batch; ++next)
      ids.push_back(next);
    evaluate(ids);
    if (next < size && !afterBatch())
      return false;
  }
  return true;
}

std::vector<uint64_t> Explorer::drawPoints(uint64_t count) const {
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<uint64_t> any(0, space.size() - 1);
  std::vector<uint64_t> order;
  DenseSet<uint64_t> drawn;
  while (order.size() < count) {
    uint64_t id = any(rng);
    if (drawn.insert(id).second)
      order.push_back(id);
  }
  return order;
}

bool Explorer::random(Archive &archive, ExploreState &state) {
  const uint64_t budget = std::min(options.evaluations, space.size());
  // The same draws on every run; a resumed run skips those already done.
  std::vector<uint64_t> order = drawPoints(budget);
  for (size_t next = archive.size(); next < order.size();) {
    size_t end = std::min<size_t>(order.size(), next + options.batch);
    evaluate(ArrayRef<uint64_t>(order).slice(next, end - next));
    next = end;
    if (next < order.size() && !afterBatch())
      return false;
  }
  return true;
}

namespace {

/// NSGA-II's ranking of a set of archived points: front number, then
/// crowding distance within the front.
struct Ranked {
  uint64_t id;
  const Metrics *metrics;
  unsigned rank = 0;
  double crowding = 0;
};

void rankAndCrowd(std::vector<Ranked> &set, ArrayRef<Metric> objectives) {
  const size_t n = set.size();
  std::vector<std::vector<unsigned>> dominated(n);
  std::vector<unsigned> count(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      if (i != j && dominates(*set[i].metrics, *set[j].metrics, objectives)) {
        dominated[i].push_back(j);
        ++count[j];
      }
  std::vector<unsigned> current;
  for (size_t i = 0; i < n; ++i)
    if (count[i] == 0)
      current.push_back(i);
  for (unsigned rank = 0; !current.empty(); ++rank) {
    // Crowding distance: the normalized size of the gap around each point,
    // per objective; the extremes are kept first.
    for (unsigned i : current) {
      set[i].rank = rank;
      set[i].crowding = 0;
    }
    for (Metric m : objectives) {
      std::vector<unsigned> byValue = current;
      llvm::sort(byValue, [&](unsigned a, unsigned b) {
        double va = set[a].metrics->get(m), vb = set[b].metrics->get(m);
        return va != vb ? va < vb : set[a].id < set[b].id;
      });
      double lo = set[byValue.front()].metrics->get(m),
             hi = set[byValue.back()].metrics->get(m);
      set[byValue.front()].crowding = set[byValue.back()].crowding =
          std::numeric_limits<double>::infinity();
      if (hi > lo)
        for (size_t k = 1; k + 1 < byValue.size(); ++k)
          set[byValue[k]].crowding += (set[byValue[k + 1]].metrics->get(m) -
                                       set[byValue[k - 1]].metrics->get(m)) /
                                      (hi - lo);
    }
    std::vector<unsigned> next;
    for (unsigned i : current)
      for (unsigned j : dominated[i])
        if (--count[j] == 0)
          next.push_back(j);
    llvm::sort(next);
    current = std::move(next);
  }
}

/// Lower rank, then larger crowding distance, then lower id.
bool preferred(const Ranked &a, const Ranked &b) {
  if (a.rank != b.rank)
    return a.rank < b.rank;
  if (a.crowding != b.crowding)
    return a.crowding > b.crowding;
  return a.id < b.id;
}

} // namespace

bool Explorer::nsga2(Archive &archive, ExploreState &state,
                     ArrayRef<std::optional<unsigned>> frozen) {
  const size_t numParams = space.parameters.size();
  auto isFrozen = [&](size_t i) { return i < frozen.size() && frozen[i]; };
  // The points the search may reach: frozen parameters stay put.
  uint64_t size = 1;
  size_t numFree = 0;
  for (size_t i = 0; i < numParams; ++i)
    if (!isFrozen(i)) {
      size = SaturatingMultiply<uint64_t>(size, space.parameters[i].size());
      ++numFree;
    }
  const uint64_t budget = std::min(options.evaluations, size);
  const unsigned popSize =
      unsigned(std::min<uint64_t>(std::max(options.population, 4u), size));
  auto rngFor = [&](uint64_t generation) {
    std::seed_seq seq{uint32_t(options.seed), uint32_t(options.seed >> 32),
                      uint32_t(generation), uint32_t(generation >> 32)};
    return std::mt19937_64(seq);
  };

  if (state.population.empty()) {
    // Generation 0: a Latin hypercube over the parameters' value indices, so
    // every parameter's range (its extremes included) is covered evenly; a
    // point drawn twice or already evaluated is replaced by a random one.
    auto rng = rngFor(0);
    auto any = [&](std::mt19937_64 &rng) {
      Point point(numParams);
      for (size_t i = 0; i < numParams; ++i)
        point[i] = isFrozen(i) ? *frozen[i]
                               : std::uniform_int_distribution<unsigned>(
                                     0, space.parameters[i].size() - 1)(rng);
      return space.getId(point);
    };
    DenseSet<uint64_t> drawn;
    std::vector<uint64_t> first;
    for (const Candidate &c : archive.getCandidates())
      drawn.insert(c.id);
    // Never more than the budget, nor than the points not yet evaluated.
    size_t want = std::min<uint64_t>(
        popSize, budget - std::min<uint64_t>(archive.size(), budget));
    std::vector<std::vector<unsigned>> strata(numParams);
    for (size_t i = 0; i < numParams; ++i) {
      uint64_t values = space.parameters[i].size();
      for (size_t k = 0; k < want; ++k)
        strata[i].push_back(isFrozen(i) ? *frozen[i]
                                        : unsigned(k * values / want));
      std::shuffle(strata[i].begin(), strata[i].end(), rng);
    }
    for (size_t k = 0; k < want; ++k) {
      Point point(numParams);
      for (size_t i = 0; i < numParams; ++i)
        point[i] = strata[i][k];
      uint64_t id = space.getId(point);
      while (!drawn.insert(id).second)
        id = any(rng);
      first.push_back(id);
    }
    evaluate(first);
    state.population = first;
    state.generation = 0;
    if (archive.size() < budget && !afterBatch())
      return false;
  }

  unsigned idle = 0;
  while (archive.size() < budget && idle < 20) {
    uint64_t generation = state.generation + 1;
    auto rng = rngFor(generation);
    std::uniform_real_distribution<double> coin(0, 1);

    std::vector<Ranked> parents;
    for (uint64_t id : state.population)
      parents.push_back({id, &archive.find(id)->metrics});
    rankAndCrowd(parents, space.objectives);
    auto tournament = [&]() -> const Ranked & {
      std::uniform_int_distribution<size_t> pick(0, parents.size() - 1);
      const Ranked &a = parents[pick(rng)], &b = parents[pick(rng)];
      return preferred(a, b) ? a : b;
    };

    // Offspring: new points only, as many as the budget still allows.
    size_t want = std::min<uint64_t>(popSize, budget - archive.size());
    std::vector<uint64_t> offspring;
    DenseSet<uint64_t> taken;
    for (size_t tries = 0; offspring.size() < want && tries < 50 * want;
         ++tries) {
      Point a = space.getPoint(tournament().id),
            b = space.getPoint(tournament().id);
      Point child = a;
      if (coin(rng) < 0.9)
        for (size_t i = 0; i < numParams; ++i)
          if (coin(rng) < 0.5)
            child[i] = b[i];
      for (size_t i = 0; i < numParams; ++i) {
        if (isFrozen(i)) {
          child[i] = *frozen[i];
          continue;
        }
        if (coin(rng) >= 1.0 / double(numFree))
          continue;
        int values = int(space.parameters[i].size());
        if (values < 2)
          continue;
        // Half the time a neighbouring value (values are ordered), else any.
        if (coin(rng) < 0.5) {
          int step = coin(rng) < 0.5 ? -1 : 1;
          child[i] = unsigned(std::clamp(int(child[i]) + step, 0, values - 1));
        } else {
          child[i] =
              std::uniform_int_distribution<unsigned>(0, values - 1)(rng);
        }
      }
      uint64_t id = space.getId(child);
      if (archive.find(id) || !taken.insert(id).second)
        continue;
      offspring.push_back(id);
    }
    idle = offspring.empty() ? idle + 1 : 0;
    evaluate(offspring);

    // Survivors: the best popSize of parents and offspring.
    std::vector<Ranked> merged;
    for (uint64_t id : state.population)
      merged.push_back({id, &archive.find(id)->metrics});
    for (uint64_t id : offspring)
      merged.push_back({id, &archive.find(id)->metrics});
    rankAndCrowd(merged, space.objectives);
    llvm::sort(merged, preferred);
    merged.resize(std::min<size_t>(merged.size(), popSize));
    state.population.clear();
    for (const Ranked &r : merged)
      state.population.push_back(r.id);
    state.generation = generation;
    if (archive.size() < budget && idle < 20 && !afterBatch())
      return false;
  }
  return true;
}

bool Explorer::nested(Archive &archive, ExploreState &state) {
  const uint64_t budget = std::min(options.evaluations, space.size());
  const unsigned perDesign = std::max(1u, options.policiesPerDesign);
  // Hardware designs in id order, or a seeded sample when there are more
  // than the budget; designs are taken until the budget is spent (the
  // program's policies often coincide across limits).
  const uint64_t hardware = space.getHardwareSize();
  std::vector<uint64_t> order;
  if (hardware <= budget) {
    for (uint64_t h = 0; h < hardware; ++h)
      order.push_back(h);
  } else {
    std::mt19937_64 rng(options.seed);
    std::uniform_int_distribution<uint64_t> any(0, hardware - 1);
    DenseSet<uint64_t> drawn;
    while (order.size() < budget) {
      uint64_t h = any(rng);
      if (drawn.insert(h).second)
        order.push_back(h);
    }
  }
  // state.generation: hardware designs done.
  const size_t perBatch = std::max<size_t>(1, options.batch / perDesign);
  for (uint64_t next = state.generation;
       next < order.size() && archive.size() < budget;) {
    std::vector<uint64_t> ids;
    DenseSet<uint64_t> taken;
    for (size_t n = 0; n < perBatch && next < order.size() &&
                       archive.size() + ids.size() < budget;
         ++n, ++next)
      for (uint64_t id : propose(order[next]))
        if (archive.size() + ids.size() < budget && !archive.find(id) &&
            taken.insert(id).second)
          ids.push_back(id);
    evaluate(ids);
    state.generation = next;
    if (next < order.size() && archive.size() < budget && !afterBatch())
      return false;
  }
  return true;
}

bool Explorer::sequential(Archive &archive, ExploreState &state) {
  const uint64_t budget = std::min(options.evaluations, space.size());
  const unsigned perDesign = std::max(1u, options.policiesPerDesign);
  // Phase 1: the hardware alone, every layer at W8A8 (or its first choice
  // when it has no W8A8).
  std::vector<std::optional<unsigned>> frozen(space.parameters.size());
  uint64_t networkSize = 1;
  for (size_t i = space.numHardwareParameters; i < frozen.size(); ++i) {
    const Parameter &p = space.parameters[i];
    auto it = llvm::find(p.choices, quant::LayerBits{8, 8});
    frozen[i] = it == p.choices.end() ? 0 : unsigned(it - p.choices.begin());
    networkSize *= p.size();
  }
  ExploreOptions all = options;
  options.evaluations = budget > perDesign ? budget - perDesign : 1;
  bool done = nsga2(archive, state, frozen);
  options = all;
  if (!done)
    return false;
  // Phase 2: the policies of the design phase 1 prefers.
  std::vector<unsigned> front =
      getParetoFront(archive.getCandidates(), space.objectives);
  if (front.empty())
    return true;
  const Candidate *best = &archive.getCandidates()[front.front()];
  for (unsigned i : front)
    if (archive.getCandidates()[i].metrics.get(options.prefer) <
        best->metrics.get(options.prefer))
      best = &archive.getCandidates()[i];
  std::vector<uint64_t> ids;
  for (uint64_t id : propose(best->id / networkSize))
    if (archive.size() + ids.size() < budget && !archive.find(id) &&
        !llvm::is_contained(ids, id))
      ids.push_back(id);
  evaluate(ids);
  return true;
}

bool Explorer::differentiable(Archive &archive, ExploreState &state) {
  const uint64_t budget = std::min(options.evaluations, space.size());
  // Half the budget samples the space for the evaluator to learn from; the
  // other half goes in rounds of a twentieth of the budget, each learned
  // from every point so far. The random stream also fills a round whose
  // proposals were all evaluated before.
  const uint64_t initial = std::max<uint64_t>(1, budget / 2);
  const unsigned perRound =
      unsigned(std::max<uint64_t>(1, std::max<uint64_t>(10, budget / 20)));
  std::vector<uint64_t> order = drawPoints(budget);
  for (size_t next = archive.size(); next < initial;) {
    size_t end = std::min<size_t>(initial, next + options.batch);
    evaluate(ArrayRef<uint64_t>(order).slice(next, end - next));
    next = end;
    if (!afterBatch())
      return false;
  }
  size_t filler = initial;
  while (archive.size() < budget) {
    unsigned want =
        unsigned(std::min<uint64_t>(perRound, budget - archive.size()));
    std::vector<uint64_t> ids;
    DenseSet<uint64_t> taken;
    for (uint64_t id : learn(want, state.generation))
      if (ids.size() < want && !archive.find(id) && taken.insert(id).second)
        ids.push_back(id);
    for (; ids.size() < want && filler < order.size(); ++filler)
      if (!archive.find(order[filler]) && taken.insert(order[filler]).second)
        ids.push_back(order[filler]);
    if (ids.empty())
      break;
    evaluate(ids);
    ++state.generation;
    if (archive.size() < budget && !afterBatch())
      return false;
  }
  return true;
}
