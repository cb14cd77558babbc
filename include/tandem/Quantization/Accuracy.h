//===- Accuracy.h - Score a model on a dataset ------------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Streams a dataset through a compiled model in batches of the model's own
// batch size (memory is one batch, whatever the dataset's size), and scores
// the first output: top-1 accuracy against labels, and against a reference
// model (normally the fp32 one) top-1 agreement and the output SQNR.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_ACCURACY_H
#define TANDEM_QUANTIZATION_ACCURACY_H

#include "tandem/Execution/Executable.h"
#include "tandem/Quantization/Dataset.h"

#include <vector>

namespace tandem::quant {

struct AccuracyResult {
  int64_t samples = 0;
  /// With labels.
  int64_t correct = 0;
  /// With a reference model.
  int64_t agreeing = 0;
  double signalPower = 0, noisePower = 0;
  double seconds = 0;
  /// The model's top-1 class of every sample.
  std::vector<int64_t> predictions;

  double getAccuracy() const { return samples ? double(correct) / samples : 0; }
  double getAgreement() const {
    return samples ? double(agreeing) / samples : 0;
  }
  /// 10 log10(sum ref^2 / sum (ref - out)^2); +inf when identical.
  double getSQNR() const;
  double getSamplesPerSecond() const {
    return seconds > 0 ? samples / seconds : 0;
  }
};

/// Runs `model` on every sample of `data`: its first input is a batch (a
/// leading batch dimension), any further inputs are `extraInputs` (run-time
/// quantization parameters and weights). The last partial batch is padded
/// with zeros whose results are ignored. `reference`, if given, takes the
/// batch alone. `threads` workers run batches concurrently (compile the
/// models with one BLAS thread each); the result does not depend on it.
llvm::Expected<AccuracyResult>
evaluate(exec::Executable &model, const Dataset &data,
         exec::Executable *reference = nullptr,
         llvm::ArrayRef<exec::Tensor> extraInputs = {}, unsigned threads = 1);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_ACCURACY_H
