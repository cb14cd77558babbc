//===- Sensitivity.h - What quantizing one layer costs in accuracy -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Every choice a mixed-precision search makes is scored by running the
// quantized model on validation data (an AccuracyOracle). A layer's
// sensitivity is measured the same way: the model with every layer at 16
// bits (indistinguishable from fp32 at the measured precision) but one
// layer's weights, or the activations it reads, at b bits. Besides top-1
// accuracy and agreement with the fp32 model, each measurement keeps the
// output noise power relative to the signal: quantization errors of
// different layers are close to independent, so their noise powers add,
// which makes noise the objective the integer program sums (HAWQ-V3 sums a
// Hessian-weighted perturbation instead; Tandem has no gradients).
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_SENSITIVITY_H
#define TANDEM_QUANTIZATION_SENSITIVITY_H

#include "tandem/Quantization/CostTable.h"
#include "tandem/Quantization/Policy.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <atomic>

namespace tandem::quant {

/// How a quantized model does on the validation data.
struct Quality {
  /// Top-1 accuracy (NaN without labels) and agreement with fp32, in [0, 1].
  double accuracy = NAN, agreement = NAN;
  /// Output noise power over signal power (0: identical to fp32).
  double noise = NAN;

  /// What searches maximize: accuracy with labels, else agreement.
  double score() const { return std::isnan(accuracy) ? agreement : accuracy; }
  double getSQNR() const;
};

/// Measures policies on validation data (implementations cache repeated
/// policies).
class AccuracyOracle {
public:
  virtual ~AccuracyOracle() = default;
  virtual llvm::Expected<Quality> measure(const Policy &policy) = 0;
  /// Distinct policies measured so far.
  virtual unsigned getNumMeasured() const = 0;
  virtual bool hasLabels() const = 0;
};

struct Sensitivity {
  std::vector<std::string> layers;
  std::vector<int64_t> bits;
  /// Every layer at 16 bits; the fp32 model.
  Quality reference, fp32;
  /// Per layer, [b - 1]: only its weights (activations) at b bits.
  std::vector<std::array<Quality, kMaxTableBits>> weight, activation;
  /// Shift-add encodings measured, and per layer, per encoding: only its
  /// weights so encoded.
  std::vector<WeightEncoding> encodings;
  std::vector<std::vector<Quality>> encodedWeight;
  /// Activation clippings measured (empty: the policy's alone), and per
  /// layer, [b - 1]: the one whose `activation` entry (kept) scored best.
  std::vector<ActivationClipping> activationClippings;
  std::vector<std::array<ActivationClipping, kMaxTableBits>> activationClipping;
  int64_t samples = 0;
  double seconds = 0;

  /// Only layer `layer`'s weights as `bits` says (a width, or an
  /// encoding); null when not measured.
  const Quality *getWeightQuality(unsigned layer, LayerBits bits) const;

  /// The additive estimate of the output noise of a policy that gives
  /// layer i `bits[i]`.
  double estimateNoise(llvm::ArrayRef<LayerBits> bits) const;
  /// What layer `layer` at `bits` alone costs in score against the
  /// reference: its weights' drop plus its activations', each at least 0.
  double getScoreDrop(unsigned layer, LayerBits bits) const;
  /// The additive estimate of a policy's score: the reference's minus
  /// every layer's drop.
  double estimateScore(llvm::ArrayRef<LayerBits> bits) const;
  /// Models measured: per layer, each width's weights, each width's
  /// activations once per clipping, each encoding; and the reference.
  unsigned getNumModels() const {
    if (layers.empty())
      return 0;
    size_t clippings = std::max<size_t>(1, activationClippings.size());
    return layers.size() * ((1 + clippings) * bits.size() + encodings.size()) +
           1;
  }
  /// The clipping chosen for layer `layer`'s activations at `bits`; none
  /// when clippings were not compared.
  std::optional<ActivationClipping> getActivationClipping(unsigned layer,
                                                          int64_t bits) const {
    if (activationClipping.empty() || !llvm::is_contained(this->bits, bits))
      return std::nullopt;
    return activationClipping[layer][bits - 1];
  }
};

/// Measures every layer at every width of `bits` (2 x layers x widths
/// models), with bias correction if `options` has it (clipping at its
/// defaults; with `activationClippings`, each layer's activations once per
/// clipping, the best kept); `progress` is called after each with (done, total)
/// and stops the measurement (an error) by returning false.
llvm::Expected<Sensitivity>
measureSensitivity(AccuracyOracle &oracle, llvm::ArrayRef<LayerInfo> layers,
                   llvm::ArrayRef<int64_t> bits,
                   llvm::ArrayRef<WeightEncoding> encodings,
                   llvm::ArrayRef<ActivationClipping> activationClippings,
                   const Policy &options, int64_t samples,
                   llvm::function_ref<bool(unsigned, unsigned)> progress);

/// The sensitivity stored at `path` when it was measured with `key` for
/// these layers and widths (`reused` set); else measured with `oracle` as
/// measureSensitivity does, `fp32` recorded, and stored at `path` (its
/// directory created; empty: not stored). `log` gets progress lines.
llvm::Expected<Sensitivity> loadOrMeasureSensitivity(
    AccuracyOracle &oracle, llvm::ArrayRef<LayerInfo> layers,
    llvm::ArrayRef<int64_t> bits, llvm::ArrayRef<WeightEncoding> encodings,
    llvm::ArrayRef<ActivationClipping> activationClippings,
    const Policy &options, int64_t samples, const Quality &fp32,
    llvm::StringRef path, llvm::StringRef key,
    llvm::function_ref<void(const llvm::Twine &)> log,
    const std::atomic<bool> *interrupted, bool &reused);
/// JSON (docs/mixed-precision.md); `key` identifies the model, data and
/// options it was measured with: parseSensitivity refuses a file with
/// another key (a stale measurement).
std::string printSensitivity(const Sensitivity &s, llvm::StringRef key);
llvm::Expected<Sensitivity>
parseSensitivity(llvm::StringRef json, llvm::StringRef source,
                 llvm::StringRef key, llvm::ArrayRef<WeightEncoding> encodings,
                 llvm::ArrayRef<ActivationClipping> activationClippings);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_SENSITIVITY_H
