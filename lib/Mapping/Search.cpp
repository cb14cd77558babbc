//===- Search.cpp - Exhaustive, heuristic, random and genetic mapping -----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Mapping/Mapper.h"

#include "llvm/Support/MathExtras.h"

#include "llvm/ADT/StringSwitch.h"

#include <chrono>
#include <functional>

using namespace llvm;
using namespace tandem;
using namespace tandem::mapping;
using hw::TensorKind;

std::optional<Objective> mapping::parseObjective(StringRef name) {
  return StringSwitch<std::optional<Objective>>(name)
      .Case("latency", Objective::Latency)
      .Case("energy", Objective::Energy)
      .Case("edp", Objective::EDP)
      .Default(std::nullopt);
}

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

double mapping::score(const Cost &cost, Objective objective) {
  switch (objective) {
  case Objective::Latency:
    return cost.cycles;
  case Objective::Energy:
    return cost.energyPJ;
  case Objective::EDP:
    return cost.cycles * cost.energyPJ;
  }
  return cost.cycles;
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

namespace {

using Clock = std::chrono::steady_clock;

/// Scores mappings, keeps the best, and watches the time budget.
struct Searcher {
  const MapSpace &space;
  const SearchOptions &options;
  SearchResult result;
  Clock::time_point start = Clock::now();
  bool outOfTime = false;

  Searcher(const MapSpace &space, const SearchOptions &options)
      : space(space), options(options) {}

  const Problem &problem() const { return space.getProblem(); }
  const hw::Target &target() const { return space.getTarget(); }

  /// Scores a valid mapping; returns its score.
  double consider(const Mapping &m) {
    Cost c = cost::evaluate(problem(), m, target());
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
    if ((result.evaluations & 1023) == 0)
      checkTime();
    return s;
  }

  void checkTime() {
    if (options.timeBudgetMs > 0 &&
        std::chrono::duration<double, std::milli>(Clock::now() - start)
                .count() > options.timeBudgetMs)
      outOfTime = true;
  }

  bool valid(const Mapping &m) const {
    return cost::isValidMapping(problem(), m, target());
  }
  /// valid() for a mapping built from the space's choices, each of which
  /// already passes the rules on its own loop.
  bool fits(const Mapping &m) const {
    return cost::fitsArrayAndBuffers(problem(), m, target());
  }

  // --- Exhaustive ---------------------------------------------------------

  void exhaustive() {
    const unsigned n = problem().numDims, levels = space.getNumLevels();
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
      for (auto [i, f] : llvm::enumerate(space.getChoices(d))) {
        for (unsigned l = 0; l < levels; ++l)
          m.factors[l][d] = f[l];
        m.spatialX[d] = f[levels];
        m.spatialY[d] = f[levels + 1];
        // Loops not placed yet sit at DRAM, their smallest footprint inside:
        // if this already breaks a rule, every completion does.
        if (fits(m))
          walk(d + 1);
        if (outOfTime) {
          complete = false;
          return;
        }
      }
      for (unsigned l = 0; l < levels; ++l)
        m.factors[l][d] = l == 0 ? problem().extents[d] : 1;
      m.spatialX[d] = m.spatialY[d] = 1;
    };
    walk(0);
    result.complete = complete && !outOfTime;
  }

  /// Evaluates `m` with every combination of distinct level orders (orders
  /// that put a level's non-unit loops in the same sequence are one).
  void allOrders(Mapping &m) {
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

  // --- Heuristic -----------------------------------------------------------

  /// Spatial splits of one axis: divisor factors of allowed loops whose
  /// product fits `size`, largest products first (at most `keep`).
  SmallVector<std::array<int64_t, kMaxDims>> axisSplits(bool isX, int64_t size,
                                                        unsigned keep) {
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
      for (int64_t g = 2; g <= problem().extents[d] && product * g <= size;
           ++g) {
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
    // Keep the all-ones split: with it the trivial tiling is always tried.
    std::array<int64_t, kMaxDims> ones;
    ones.fill(1);
    if (!llvm::is_contained(out, ones))
      out.push_back(ones);
    return out;
  }

  /// The mapping with spatial split (x, y) and loop order `orderIndex` at
  /// every level, its temporal tiles grown while they fit.
  Mapping fillTemporal(const std::array<int64_t, kMaxDims> &x,
                       const std::array<int64_t, kMaxDims> &y,
                       unsigned orderIndex) {
    const unsigned n = problem().numDims, levels = space.getNumLevels();
    Mapping m = Mapping::identity(levels);
    const auto &order = space.getOrders()[orderIndex];
    for (unsigned d = 0; d < n; ++d) {
      m.spatialX[d] = x[d];
      m.spatialY[d] = y[d];
      m.factors[0][d] = llvm::divideCeilSigned(
          llvm::divideCeilSigned(problem().extents[d], x[d]), y[d]);
    }
    for (unsigned l = 0; l < levels; ++l)
      m.order[l] = order;
    cost::growTemporalTiles(problem(), target(), m);
    return m;
  }

  /// The constructive search: the largest spatial splits of each axis,
  /// each with tiles grown for every loop order. Adds the best mapping of
  /// every spatial split to `found`, if given.
  void heuristic(SmallVectorImpl<std::pair<double, Mapping>> *found = nullptr) {
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
  ArrayRef<Mapping> getSeeds(bool thorough) {
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
  SmallVector<Mapping, 0> seeds;
  bool seeded = false;

  /// Whether no loop of the innermost level's tile can grow by its next
  /// prime factor and still be valid.
  bool isMaximalInnerTile(Mapping &m) const {
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
  innerTiles(const Mapping &seed, unsigned limit, bool maximalOnly) {
    const unsigned n = problem().numDims, levels = space.getNumLevels();
    if (levels < 2)
      return std::nullopt;
    const unsigned inner = levels - 1;
    Mapping m = Mapping::identity(levels);
    for (unsigned d = 0; d < n; ++d) {
      m.spatialX[d] = seed.spatialX[d];
      m.spatialY[d] = seed.spatialY[d];
      m.factors[0][d] = llvm::divideCeilSigned(
          llvm::divideCeilSigned(problem().extents[d], m.spatialX[d]),
          m.spatialY[d]);
    }
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
          cost::growTemporalTiles(problem(), target(), filled, inner - 1);
          double s = consider(filled);
          if (!best || s < best->first)
            best = {s, filled};
        }
        return;
      }
      int64_t rest = m.factors[0][d];
      SmallVector<int64_t, 32> divisors;
      cost::getDivisors(rest, divisors);
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

  // --- Random and genetic ---------------------------------------------------

  struct Genome {
    std::array<unsigned, kMaxDims> choice{};
    std::array<unsigned, kMaxLevels> order{};
    double score = 0;
  };

  Mapping build(const Genome &g) const {
    return space.build(
        ArrayRef<unsigned>(g.choice.data(), problem().numDims),
        ArrayRef<unsigned>(g.order.data(), space.getNumLevels()));
  }

  Genome randomGenome(std::mt19937 &rng) const {
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
  std::optional<Genome> drawValid(std::mt19937 &rng, unsigned &draws) {
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

  void random(std::mt19937 &rng) {
    for (unsigned i = 0; i < options.samples && !outOfTime; ++i) {
      Mapping m = build(randomGenome(rng));
      if (fits(m))
        consider(m);
    }
  }

  /// Expresses a mapping found elsewhere (the heuristic's) as a genome.
  std::optional<Genome> toGenome(const Mapping &m) const {
    Genome g;
    const unsigned levels = space.getNumLevels();
    for (unsigned d = 0; d < problem().numDims; ++d) {
      SlotFactors f;
      f.fill(1);
      for (unsigned l = 0; l < levels; ++l)
        f[l] = m.factors[l][d];
      f[levels] = m.spatialX[d];
      f[levels + 1] = m.spatialY[d];
      auto i = space.findChoice(d, f);
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
    }
    return g;
  }

  /// The seeds as scored genomes.
  std::vector<Genome> getSeedGenomes(bool thorough) {
    std::vector<Genome> genomes;
    for (const Mapping &m : getSeeds(thorough))
      if (auto g = toGenome(m)) {
        g->score =
            score(cost::evaluate(problem(), m, target()), options.objective);
        genomes.push_back(*g);
      }
    return genomes;
  }

  /// Steepest descent from `count` random valid starts.
  void climbFromRandomStarts(std::mt19937 &rng, unsigned count) {
    unsigned draws = 1000;
    for (unsigned i = 0; i < count && !outOfTime; ++i)
      if (auto g = drawValid(rng, draws))
        hillClimb(*g);
      else
        break;
  }

  /// The local search: steepest descent from every seed.
  void local() {
    for (const Genome &g : getSeedGenomes(/*thorough=*/false))
      if (!outOfTime)
        hillClimb(g);
  }

  void genetic(std::mt19937 &rng) {
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

  /// `g` with every factor of level `from` moved to level `to`; nullopt if
  /// `from` holds no loop or a result is not among the choices.
  std::optional<Genome> emptyLevel(const Genome &g, unsigned from,
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
  /// to another slot, a level emptied into another, or one level's order
  /// changed.
  void hillClimb(Genome g) {
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
      if (!(best.score < g.score))
        return;
      g = best;
    }
  }
};

} // namespace

SearchResult mapping::search(const MapSpace &space,
                             const SearchOptions &options) {
  Searcher s(space, options);
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
  }
  s.result.strategy = strategy;
  s.result.seconds =
      std::chrono::duration<double>(Clock::now() - s.start).count();
  return s.result;
}
