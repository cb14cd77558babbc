//===- Search.cpp - Picks a mapping search; what the searches share -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "Searcher.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSwitch.h"

using namespace llvm;
using namespace tandem;
using namespace tandem::mapping;
using namespace tandem::mapping::detail;

std::optional<Strategy> mapping::parseStrategy(StringRef name) {
  return StringSwitch<std::optional<Strategy>>(name)
      .Case("auto", Strategy::Auto)
      .Case("exhaustive", Strategy::Exhaustive)
      .Case("heuristic", Strategy::Heuristic)
      .Case("random", Strategy::Random)
      .Case("local", Strategy::Local)
      .Case("genetic", Strategy::Genetic)
      .Default(std::nullopt);
}

StringRef mapping::stringifyStrategy(Strategy strategy) {
  switch (strategy) {
  case Strategy::Auto:
    return "auto";
  case Strategy::Exhaustive:
    return "exhaustive";
  case Strategy::Heuristic:
    return "heuristic";
  case Strategy::Random:
    return "random";
  case Strategy::Local:
    return "local";
  case Strategy::Genetic:
    return "genetic";
  }
  return "";
}

double mapping::score(const Cost &cost, Metric objective) {
  switch (objective) {
  case Metric::Latency:
    return cost.cycles;
  case Metric::Energy:
    return cost.energyPJ;
  case Metric::EDP:
    return cost.cycles * cost.energyPJ;
  case Metric::Area:
  case Metric::Power:
  case Metric::AccuracyLoss:
    break;
  }
  llvm_unreachable("a mapping is scored by latency, energy or edp");
}

bool mapping::isMappingObjective(Metric metric) {
  return metric == Metric::Latency || metric == Metric::Energy ||
         metric == Metric::EDP;
}

std::optional<std::string> mapping::explainNoMapping(const Problem &p,
                                                     const hw::Target &target) {
  Mapping trivial = Mapping::identity(target.levels.size());
  for (unsigned d = 0; d < p.numDims; ++d)
    trivial.factors[0][d] = p.extents[d];
  if (Error err = cost::verifyMapping(p, trivial, target))
    return toString(std::move(err));
  return std::nullopt;
}

double Searcher::consider(const Mapping &m) {
  Cost c = cost::evaluate(context, m);
  double s = score(c, options.objective);
  ++result.evaluations;
  // Ties keep the first found, so the result does not depend on order
  // beyond the search's own (deterministic) order.
  if (!result.found || s < result.score) {
    result.found = true;
    result.mapping = m;
    result.cost = c;
    result.score = s;
  }
  if (best.size() < kBypassCandidates || s < best.back().first) {
    auto at = llvm::partition_point(
        best, [&](const auto &entry) { return entry.first < s; });
    if (at == best.end() || at->first != s) {
      best.insert(at, {s, m});
      if (best.size() > kBypassCandidates)
        best.pop_back();
    }
  }
  if ((result.evaluations & 1023) == 0)
    checkTime();
  return s;
}

void Searcher::checkTime() {
  if (options.timeBudgetMs > 0 &&
      std::chrono::duration<double, std::milli>(Clock::now() - start).count() >
          options.timeBudgetMs)
    outOfTime = true;
}

bool Searcher::valid(const Mapping &m) const {
  return cost::isValidMapping(problem(), m, target());
}

/// valid() for a mapping built from the space's choices, each of which
/// already passes the rules on its own loop.
bool Searcher::fits(const Mapping &m) const {
  return cost::fitsArrayAndBuffers(problem(), m, target());
}

Mapping Searcher::build(const Genome &g) const {
  Mapping m =
      space.build(ArrayRef<unsigned>(g.choice.data(), problem().numDims),
                  ArrayRef<unsigned>(g.order.data(), space.getNumLevels()));
  for (unsigned l = 0; l < space.getNumLevels(); ++l)
    m.bypass[l] = (g.bypass >> (l * cost::kNumTensorKinds)) &
                  ((1u << cost::kNumTensorKinds) - 1);
  return m;
}

Genome Searcher::randomGenome(std::mt19937 &rng) const {
  Genome g;
  for (unsigned d = 0; d < problem().numDims; ++d)
    g.choice[d] = std::uniform_int_distribution<unsigned>(
        0, space.getChoices(d).size() - 1)(rng);
  for (unsigned l = 0; l < space.getNumLevels(); ++l)
    g.order[l] = std::uniform_int_distribution<unsigned>(
        0, space.getOrders().size() - 1)(rng);
  return g;
}

/// Draws random genomes until one is valid and returns it scored; gives
/// up (nullopt) when `draws` runs out.
std::optional<Genome> Searcher::drawValid(std::mt19937 &rng, unsigned &draws) {
  while (draws > 0 && !outOfTime) {
    --draws;
    Genome g = randomGenome(rng);
    Mapping m = build(g);
    if (!fits(m))
      continue;
    g.score = consider(m);
    return g;
  }
  return std::nullopt;
}

/// Expresses a mapping found elsewhere (the heuristic's) as a genome.
std::optional<Genome> Searcher::toGenome(const Mapping &m) const {
  Genome g;
  const unsigned levels = space.getNumLevels();
  for (unsigned d = 0; d < problem().numDims; ++d) {
    auto i = space.findChoice(d, space.getSlots(m, d));
    if (!i)
      return std::nullopt;
    g.choice[d] = *i;
  }
  for (unsigned l = 0; l < levels; ++l) {
    auto orders = space.getOrders();
    auto it = llvm::find(orders, m.order[l]);
    if (it == orders.end())
      return std::nullopt;
    g.order[l] = it - orders.begin();
    g.bypass |= uint32_t(m.bypass[l]) << (l * cost::kNumTensorKinds);
  }
  return g;
}

void Searcher::chooseBypass() {
  // The (level, tensor) pairs a bypass may drop.
  const Problem &p = problem();
  SmallVector<std::pair<unsigned, unsigned>, 16> drops;
  for (unsigned l = 1; l < space.getNumLevels(); ++l)
    for (unsigned k = 0; k < cost::kNumTensorKinds; ++k)
      if (p.tensors[k].present &&
          target().levels[l].holdsKind(hw::TensorKind(k)))
        drops.push_back({l, k});
  if (drops.empty())
    return;
  // consider() below updates `best`: work on the tilings found so far.
  SmallVector<Mapping, kBypassCandidates> tilings;
  for (const auto &entry : best)
    tilings.push_back(entry.second);
  // The best mapping with each combination, where polish() starts: the
  // best tiling for a combination is often not among these tilings.
  SmallDenseMap<uint32_t, std::pair<double, Mapping>> perMask;
  auto tryMask = [&](const Mapping &m, uint32_t mask) {
    double s = consider(m);
    auto [it, inserted] = perMask.try_emplace(mask, s, m);
    if (!inserted && s < it->second.first)
      it->second = {s, m};
    return s;
  };
  for (const Mapping &tiling : tilings) {
    auto withBypass = [&](uint32_t mask) {
      Mapping m = tiling;
      for (auto [i, option] : llvm::enumerate(drops))
        if (mask & (1u << i))
          m.bypass[option.first] |= 1u << option.second;
      return m;
    };
    if (drops.size() <= 8) {
      for (uint32_t mask = 1; mask < (1u << drops.size()) && !outOfTime; ++mask)
        if (Mapping m = withBypass(mask); valid(m))
          tryMask(m, mask);
      continue;
    }
    // Greedy: add the bypass that helps this tiling most while one does.
    uint32_t mask = 0;
    double current = score(cost::evaluate(context, tiling), options.objective);
    for (bool improved = true; improved && !outOfTime;) {
      improved = false;
      uint32_t bestMask = mask;
      for (unsigned i = 0; i < drops.size(); ++i)
        if (!(mask & (1u << i)))
          if (Mapping m = withBypass(mask | (1u << i)); valid(m)) {
            double s = tryMask(m, mask | (1u << i));
            if (s < current) {
              current = s;
              bestMask = mask | (1u << i);
              improved = true;
            }
          }
      mask = bestMask;
    }
  }
  polishStarts.clear();
  for (auto &entry : perMask)
    polishStarts.push_back(entry.second);
  llvm::sort(polishStarts,
             [](const auto &a, const auto &b) { return a.first < b.first; });
  if (polishStarts.size() > kBypassCandidates)
    polishStarts.resize(kBypassCandidates);
}

void Searcher::polish() {
  // The best mapping of each of the best bypass combinations, and the best
  // mappings overall (hillClimb() below updates `best`: copy them first).
  SmallVector<Mapping, 2 * kBypassCandidates> starts;
  for (const auto &entry : polishStarts)
    starts.push_back(entry.second);
  for (const auto &entry : best)
    starts.push_back(entry.second);
  auto climbFrom = [&](const Mapping &m) {
    if (std::optional<Genome> g = toGenome(m); g && !outOfTime) {
      g->score = score(cost::evaluate(context, m), options.objective);
      hillClimb(*g);
    }
  };
  for (const Mapping &m : starts) {
    climbFrom(m);
    // Tiles chosen for what the levels kept rarely suit what they keep
    // now: also re-tile the inner level for these bypasses.
    if (auto tiled = innerTiles(m, 256, /*maximalOnly=*/true))
      climbFrom(tiled->second);
  }
}

/// The seeds as scored genomes.
std::vector<Genome> Searcher::getSeedGenomes(bool thorough) {
  std::vector<Genome> genomes;
  for (const Mapping &m : getSeeds(thorough))
    if (auto g = toGenome(m)) {
      g->score = score(cost::evaluate(context, m), options.objective);
      genomes.push_back(*g);
    }
  return genomes;
}

SearchResult mapping::search(const MapSpace &space,
                             const SearchOptions &options) {
  detail::Searcher s(space, options);
  std::mt19937 rng(options.seed);
  Strategy strategy = options.strategy;
  if (strategy == Strategy::Auto) {
    double size = space.getNumFactorizations();
    strategy = size <= options.exhaustiveLimit ? Strategy::Exhaustive
               : size < options.geneticLimit   ? Strategy::Local
                                               : Strategy::Genetic;
  }
  // A loop with no choice leaves the sampling searches nothing to draw; the
  // constructive one needs no choices (and does not compute them).
  bool empty = false;
  if (strategy != Strategy::Heuristic)
    for (unsigned d = 0; d < space.getProblem().numDims; ++d)
      empty |= space.getChoices(d).empty();
  if (!empty) {
    switch (strategy) {
    case Strategy::Exhaustive:
      s.exhaustive();
      break;
    case Strategy::Heuristic:
      s.heuristic();
      break;
    case Strategy::Random:
      s.random(rng);
      break;
    case Strategy::Local:
      s.local();
      break;
    case Strategy::Genetic:
    case Strategy::Auto:
      // Independent populations: a search that converges early in one part
      // of the space often misses another.
      for (unsigned run = 0,
                    runs = space.getNumFactorizations() < options.smallSpace
                               ? 1
                               : options.runs;
           run < runs && !s.outOfTime; ++run)
        s.genetic(rng);
      break;
    }
    // A sampling search that found nothing valid falls back to the
    // constructive one, which always finds the trivial tiling at least.
    if (!s.result.found)
      s.heuristic();
    // The descent-based searches also polish what they found. Exhaustive
    // search stays the reference it claims to be (every tiling and order,
    // bypasses tried on its best tilings); the constructive one stays
    // about a millisecond (co-design runs it for every layer of every
    // design); random sampling stays a baseline.
    if (options.searchBypass && s.result.found) {
      s.chooseBypass();
      if (strategy == Strategy::Local || strategy == Strategy::Genetic)
        s.polish();
    }
  }
  s.result.strategy = strategy;
  s.result.seconds =
      std::chrono::duration<double>(detail::Clock::now() - s.start).count();
  return s.result;
}
