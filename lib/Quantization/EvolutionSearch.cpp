//===- EvolutionSearch.cpp - A (mu + lambda) evolution of policies --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Genes: each layer's weight and activation width. Every child is pushed
// under the budgets by HAQ's action wall and scored by measuring its
// accuracy (the oracle caches repeats, and a repeat is not counted as a new
// evaluation). Parents are picked by binary tournament; children take each
// layer from either parent, and each width moves one allowed step up or
// down with probability 1 / genes. The population keeps the best of parents
// and children. The first individuals are the uniform policies W8A8, W4A8
// and W4A4 (those the target has; pinned layers at W8A8) pushed under the
// budgets; the others are random.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/MixedPrecision.h"

#include <random>
#include <set>

using namespace tandem;
using namespace tandem::quant;

namespace {

struct Individual {
  BitsVector bits;
  double score = -1;
  Quality quality;
};

class EvolutionSearch : public MixedPrecisionSearch {
public:
  llvm::Expected<SearchResult>
  run(const SearchProblem &problem, AccuracyOracle &oracle,
      const MixedPrecisionOptions &options) override {
    std::mt19937_64 rng(options.seed);
    unsigned n = problem.getNumLayers();
    unsigned target = std::max(1u, options.episodes);
    unsigned popSize = std::max(2u, options.population);
    std::set<BitsKey> seen;
    SearchResult result;
    std::optional<Individual> best;
    unsigned measured = 0;

    auto pick = [&](llvm::ArrayRef<int64_t> widths) {
      return widths[std::uniform_int_distribution<size_t>(0, widths.size() -
                                                                 1)(rng)];
    };
    auto pickOption = [&](llvm::ArrayRef<LayerBits> options) {
      return options[std::uniform_int_distribution<size_t>(0, options.size() -
                                                                  1)(rng)];
    };
    // Shift-add encodings offered: weights move along each layer's options
    // (without them, along the widths, as before).
    const bool encoded = !problem.table->encodings.empty();
    // Scores `ind` once its widths fit; false when the search should stop.
    auto evaluate = [&](Individual &ind) -> llvm::Expected<bool> {
      problem.enforceBudgets(ind.bits);
      auto q = oracle.measure(problem.toPolicy(ind.bits));
      if (!q)
        return q.takeError();
      ind.quality = *q;
      ind.score = q->score();
      if (seen.insert(key(ind.bits)).second)
        ++measured;
      if (!best || ind.score > best->score)
        best = ind;
      if (options.progress)
        options.progress(measured, target, best->score);
      return measured < target &&
             !(options.interrupted && *options.interrupted);
    };

    std::vector<LayerBits> uniform;
    for (LayerBits u : {LayerBits{8, 8}, LayerBits{4, 8}, LayerBits{4, 4}}) {
      bool some = u == LayerBits{8, 8};
      for (unsigned l = 0; l < n && !some; ++l)
        some = !problem.pinned[l] && problem.table->at(l, u).isValid();
      if (some)
        uniform.push_back(u);
    }
    std::vector<Individual> population;
    bool go = true;
    for (unsigned i = 0; i < popSize && go; ++i) {
      Individual ind;
      ind.bits.resize(n);
      for (unsigned l = 0; l < n; ++l) {
        if (i < uniform.size()) {
          ind.bits[l] = problem.pinned[l] ? LayerBits{8, 8} : uniform[i];
        } else if (encoded) {
          // Any weight option, widths and encodings alike.
          LayerBits w = pickOption(problem.getWeightOptions(l));
          ind.bits[l] =
              LayerBits::get(w.getWeightEncoding(), pick(problem.getBits(l)));
        } else {
          ind.bits[l] =
              LayerBits{pick(problem.getBits(l)), pick(problem.getBits(l))};
        }
      }
      // Widths the target lacks together fall back to W8A8 of the layer.
      for (unsigned l = 0; l < n; ++l)
        if (!problem.table->at(l, ind.bits[l]).isValid())
          ind.bits[l] = {8, 8};
      auto more = evaluate(ind);
      if (!more)
        return more.takeError();
      go = *more;
      population.push_back(std::move(ind));
    }

    std::uniform_real_distribution<double> unit(0, 1);
    double mutation = 1.0 / std::max(1u, 2 * n);
    unsigned stale = 0;
    while (go) {
      auto tournament = [&]() -> const Individual & {
        std::uniform_int_distribution<size_t> any(0, population.size() - 1);
        const Individual &a = population[any(rng)];
        const Individual &b = population[any(rng)];
        return a.score >= b.score ? a : b;
      };
      std::vector<Individual> children;
      unsigned before = measured;
      for (unsigned c = 0; c < popSize && go; ++c) {
        const Individual &p1 = tournament(), &p2 = tournament();
        Individual child;
        child.bits.resize(n);
        for (unsigned l = 0; l < n; ++l) {
          child.bits[l] = unit(rng) < 0.5 ? p1.bits[l] : p2.bits[l];
          LayerBits &b = child.bits[l];
          if (encoded) {
            // Weights: one step along the layer's options (cost order).
            if (unit(rng) < mutation) {
              llvm::ArrayRef<LayerBits> options = problem.getWeightOptions(l);
              int i = int(problem.findWeightOption(l, b).value_or(0));
              i = std::clamp<int>(i + (unit(rng) < 0.5 ? -1 : 1), 0,
                                  int(options.size()) - 1);
              b = LayerBits::get(options[i].getWeightEncoding(),
                                 b.activationBits);
            }
            if (unit(rng) < mutation)
              b.activationBits = step(problem.getBits(l), b.activationBits,
                                      unit(rng) < 0.5 ? -1 : 1);
          } else {
            for (int64_t *w : {&b.weightBits, &b.activationBits})
              if (unit(rng) < mutation)
                *w = step(problem.getBits(l), *w, unit(rng) < 0.5 ? -1 : 1);
          }
          if (!problem.table->at(l, child.bits[l]).isValid())
            child.bits[l] = p1.bits[l];
        }
        auto more = evaluate(child);
        if (!more)
          return more.takeError();
        go = *more;
        children.push_back(std::move(child));
      }
      // Only repeats: the space is exhausted around the population.
      stale = measured == before ? stale + 1 : 0;
      if (stale >= 20)
        break;
      for (Individual &c : children)
        population.push_back(std::move(c));
      std::stable_sort(population.begin(), population.end(),
                       [](const Individual &a, const Individual &b) {
                         return a.score > b.score;
                       });
      population.resize(popSize);
    }
    result.best = best->bits;
    result.quality = best->quality;
    result.interrupted = options.interrupted && *options.interrupted;
    return result;
  }

private:
  using BitsKey = std::vector<int64_t>;
  static BitsKey key(const BitsVector &bits) {
    BitsKey k;
    for (const LayerBits &b : bits) {
      k.push_back(b.weightBits);
      k.push_back(b.activationBits);
      k.push_back(int64_t(b.encoding) * 100 + b.maxDigits);
    }
    return k;
  }
  /// The allowed width `delta` steps from `width`, clamped.
  static int64_t step(llvm::ArrayRef<int64_t> widths, int64_t width,
                      int delta) {
    auto it = llvm::find(widths, width);
    int i = it == widths.end() ? widths.size() - 1 : it - widths.begin();
    i = std::clamp<int>(i + delta, 0, widths.size() - 1);
    return widths[i];
  }
};

} // namespace

std::unique_ptr<MixedPrecisionSearch> tandem::quant::createEvolutionSearch() {
  return std::make_unique<EvolutionSearch>();
}
