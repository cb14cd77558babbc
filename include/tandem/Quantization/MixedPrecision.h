//===- MixedPrecision.h - Per-layer widths under hardware budgets -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The mixed-precision problem: give every compute layer a weight and an
// activation width the target supports so that the model's latency,
// energy, size or bit-operations stay within budgets while accuracy stays.
// Costs come from a CostTable (the cost model with the mapper in the loop),
// accuracy from an AccuracyOracle (the quantized model run on validation
// data) or, for the integer program, from the measured per-layer
// Sensitivity. Each search is one file behind MixedPrecisionSearch:
// ILPSearch.cpp (GLPK), EvolutionSearch.cpp, DDPGSearch.cpp (libtorch).
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_MIXEDPRECISION_H
#define TANDEM_QUANTIZATION_MIXEDPRECISION_H

#include "tandem/Quantization/CostTable.h"
#include "tandem/Quantization/Sensitivity.h"

#include <atomic>
#include <functional>
#include <memory>

namespace tandem::quant {

/// Arithmetic: the energy of the array's multiplies, shifts and adds alone
/// (what shift-add encodings change; memory traffic is not in it).
enum class BudgetKind { Latency, Energy, Size, BitOps, Arithmetic };
constexpr unsigned kNumBudgetKinds = 5;

/// A limit on one quantity: a fraction of the same model at W8A8 on the
/// same target, or an absolute value (latency in ms, energy in uJ, size in
/// bytes, bit-operations = sum of MACs x weight bits x activation bits).
struct Budget {
  BudgetKind kind = BudgetKind::Latency;
  double value = 1;
  bool fraction = true;
};

llvm::StringRef stringifyBudgetKind(BudgetKind kind);
/// "latency=0.6", "latency:0.6", "energy=60%", "latency=1.5ms",
/// "energy=20uJ", "size=40kB", "bitops=2.5G". Errors say what is expected.
llvm::Expected<Budget> parseBudget(llvm::StringRef text);
std::string stringifyBudget(const Budget &budget);

using BitsVector = std::vector<LayerBits>;

/// A search's view: the tables, the budgets resolved to absolute limits,
/// and each layer's allowed choices.
struct SearchProblem {
  const CostTable *table = nullptr;
  /// Needed by the integer program (and reported by all).
  const Sensitivity *sensitivity = nullptr;
  std::vector<Budget> budgets;
  /// Per budget, the limit in the table's units (cycles, pJ, bits,
  /// bit-operations).
  std::vector<double> limits;
  /// Per layer: pinned to W8A8 (first/last layers, on request).
  std::vector<bool> pinned;
  /// Per layer (empty: none), the earlier layer whose choice it must take,
  /// or -1. Only the integer program honours it (tandem-codesign's shared
  /// groups).
  std::vector<int> sameAs;
  /// Latency and energy budgets count only the searched layers.
  bool layersOnly = false;
  /// Clipping and granularity of every policy the search writes.
  Policy base;

  unsigned getNumLayers() const { return table->layers.size(); }
  /// Per layer, the weight options: multiply widths and the table's
  /// shift-add encodings (activationBits unused), most costly first by the
  /// first budget (widths alone: widest first); W8 alone when pinned.
  std::vector<std::vector<LayerBits>> weightOptions;

  /// The widths a layer may take (table bits; only 8 when pinned).
  llvm::ArrayRef<int64_t> getBits(unsigned layer) const;
  llvm::ArrayRef<LayerBits> getWeightOptions(unsigned layer) const {
    return weightOptions[layer];
  }
  /// The index of `bits`' weight option for `layer`, if it is one.
  std::optional<unsigned> findWeightOption(unsigned layer,
                                           LayerBits bits) const;
  /// The pairs a layer may take, widest first.
  std::vector<LayerBits> getChoices(unsigned layer) const;
  /// Budget `b`'s quantity for layer `layer` at `bits`; the constant the
  /// rest of the model adds.
  double getLayerCost(unsigned b, unsigned layer, LayerBits bits) const;
  double getRestCost(unsigned b) const;
  double getTotalCost(unsigned b, llvm::ArrayRef<LayerBits> bits) const;
  bool meetsBudgets(llvm::ArrayRef<LayerBits> bits) const;
  /// HAQ's action wall: while some budget is exceeded, walk the layers last
  /// to first lowering the activation, then the weight width one step.
  /// False when even the narrowest widths exceed a budget.
  bool enforceBudgets(BitsVector &bits) const;
  Policy toPolicy(llvm::ArrayRef<LayerBits> bits) const;
};

/// Resolves `budgets` against `table` (fractions of its W8A8 totals).
/// `pinFirst`/`pinLast` keep those layers at W8A8; `layersOnly` leaves the
/// rest of the model out of latency and energy.
llvm::Expected<SearchProblem>
makeSearchProblem(const CostTable &table, const Sensitivity *sensitivity,
                  llvm::ArrayRef<Budget> budgets, bool pinFirst, bool pinLast,
                  bool layersOnly, const Policy &base);

enum class SearchKind { ILP, Evolution, DDPG };
llvm::StringRef stringifySearchKind(SearchKind kind);
std::optional<SearchKind> parseSearchKind(llvm::StringRef name);

/// What the integer program minimizes: the summed output noise of the
/// layers' measured sensitivity, or their summed measured score drops.
enum class ILPObjective { Noise, Accuracy };

struct MixedPrecisionOptions {
  uint64_t seed = 1;
  ILPObjective ilpObjective = ILPObjective::Accuracy;
  /// DDPG: episodes (the first `warmupEpisodes` random). Evolution: stops
  /// after this many measured policies.
  unsigned episodes = 600;
  unsigned warmupEpisodes = 20;
  /// Evolution: population size.
  unsigned population = 20;
  /// Set asynchronously (Ctrl-C): the search returns its best so far.
  const std::atomic<bool> *interrupted = nullptr;
  /// Called after every measured episode or generation with (done, total,
  /// best score so far).
  std::function<void(unsigned, unsigned, double)> progress;
};

struct SearchResult {
  BitsVector best;
  /// The measured quality of `best` on the validation data (NaN for the
  /// integer program, which measures nothing).
  Quality quality;
  /// The search was interrupted before it finished.
  bool interrupted = false;
  /// The integer program: its objective (estimated noise) and whether
  /// the solver proved it optimal.
  double objective = 0;
  bool optimal = false;
};

class MixedPrecisionSearch {
public:
  virtual ~MixedPrecisionSearch() = default;
  virtual llvm::Expected<SearchResult>
  run(const SearchProblem &problem, AccuracyOracle &oracle,
      const MixedPrecisionOptions &options) = 0;
};

std::unique_ptr<MixedPrecisionSearch> createILPSearch();
std::unique_ptr<MixedPrecisionSearch> createEvolutionSearch();
/// The DDPG agent lives in a plugin, libTandemDDPG.so (libtorch takes a
/// second to load: only processes that run the agent pay for it), found
/// next to Tandem's libraries or at $TANDEM_DDPG_PLUGIN. An error says why
/// it cannot be loaded.
llvm::Expected<std::unique_ptr<MixedPrecisionSearch>> createDDPGSearch();
llvm::Expected<std::unique_ptr<MixedPrecisionSearch>>
createSearch(SearchKind kind);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_MIXEDPRECISION_H
