//===- Surrogate.h - A learned evaluator and a gradient search --*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// DANCE (Choi et al., DAC 2021) makes the hardware side of co-design
// differentiable: an evaluator network learns the cost model's latency,
// energy and area from samples, and the choices are relaxed to
// probabilities (Gumbel-softmax) so that a gradient descends through the
// evaluator and an accuracy term at once. Tandem's version:
//   evaluator  an MLP (two hidden layers of 128, ReLU) from a design's
//              parameters (each as the probabilities of its values, and the
//              expected normalized log of numeric values) to the log of
//              latency, energy and area, trained on the real evaluations so
//              far (80%; the other 20% measure its error and rank
//              correlation);
//   search     per proposal, a random weighting of the objectives; logits
//              per parameter descend (Adam) on the weighted, normalized
//              predicted objectives plus the accuracy estimate (linear in
//              the probabilities: the layers' measured sensitivity) plus
//              penalties for the budgets, with Gumbel noise and a falling
//              temperature; the design proposed is each parameter's most
//              probable value.
// Every proposed design is then scored by the real cost model.
//
// The network lives in a plugin, libTandemSurrogate.so, on libtorch
// (compiled with exceptions, which stop in it); this header has neither
// torch nor MLIR in it.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CODESIGN_SURROGATE_H
#define TANDEM_CODESIGN_SURROGATE_H

#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace tandem::codesign {

/// Outputs of the evaluator.
enum SurrogateOutput { kLogLatency, kLogEnergy, kLogArea, kNumOutputs };

struct SurrogateProblem {
  /// Per parameter, its values' normalized logs in [0, 1] (numeric
  /// parameters), or empty (choices without an order).
  std::vector<std::vector<double>> scales;
  /// Per parameter, per value: the accuracy loss it adds (percentage
  /// points; 0 for hardware parameters), and the loss with no drop at all.
  std::vector<std::vector<double>> accuracyDrop;
  double accuracyBase = 0;
  /// The objectives as weights of the outputs (EDP: latency and energy,
  /// power: energy minus latency) and of the accuracy term, one row each.
  std::vector<std::array<double, kNumOutputs + 1>> objectives;
  /// Budgets on the log outputs and on the accuracy loss (points).
  std::array<std::optional<double>, kNumOutputs> maxLog;
  std::optional<double> maxAccuracyLoss;
};

struct SurrogateSample {
  std::vector<unsigned> point;
  std::array<double, kNumOutputs> logs;
};

/// How well the evaluator predicts the held-out samples.
struct SurrogateFit {
  unsigned trained = 0, heldOut = 0;
  /// Mean absolute relative error of latency, energy and area.
  std::array<double, kNumOutputs> relativeError{};
  /// Spearman's rank correlation of prediction and truth.
  std::array<double, kNumOutputs> rankCorrelation{};
  double seconds = 0;
};

class DifferentiableSearch {
public:
  virtual ~DifferentiableSearch() = default;
  /// Trains a new evaluator on `samples` (deterministic for `seed`).
  virtual llvm::Expected<SurrogateFit>
  train(const SurrogateProblem &problem,
        const std::vector<SurrogateSample> &samples, uint64_t seed) = 0;
  /// `count` designs from the gradient search through the last evaluator.
  virtual llvm::Expected<std::vector<std::vector<unsigned>>>
  propose(const SurrogateProblem &problem, unsigned count, uint64_t seed) = 0;
};

/// Loads the plugin (next to Tandem's libraries, or $TANDEM_SURROGATE_PLUGIN);
/// an error says why it cannot.
llvm::Expected<std::unique_ptr<DifferentiableSearch>>
createDifferentiableSearch();

} // namespace tandem::codesign

#endif // TANDEM_CODESIGN_SURROGATE_H
