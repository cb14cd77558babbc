//===- ValidationOracle.h - Policies measured on validation data -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// What every job that chooses a policy needs to measure one: the model's
// per-sample input size, whether it is calibrated, and an AccuracyOracle
// that runs policies on validation data through one compiled PolicyScorer
// against the fp32 model, each distinct policy once.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_VALIDATIONORACLE_H
#define TANDEM_QUANTIZATION_VALIDATIONORACLE_H

#include "tandem/Quantization/PolicyScorer.h"
#include "tandem/Quantization/Sensitivity.h"

#include <functional>
#include <map>

namespace tandem::quant {

/// An accuracy result as a Quality (accuracy NaN without labels).
Quality toQuality(const AccuracyResult &result, bool labels);

/// Whether any op of `module` carries calibration statistics.
bool isCalibrated(mlir::ModuleOp module);

/// Elements of one sample of @main's single input (its shape without the
/// leading batch dimension); an error says what the model lacks.
llvm::Expected<int64_t> getSampleElements(mlir::ModuleOp module);

/// Identifies what a sensitivity measurement depends on: the layers, the
/// widths and encodings, the data (`dataKey`), the policy options and the
/// fp32 model's predictions on the data.
std::string getSensitivityKey(llvm::ArrayRef<LayerInfo> layers,
                              llvm::ArrayRef<int64_t> bits,
                              llvm::ArrayRef<WeightEncoding> encodings,
                              llvm::StringRef dataKey, const Policy &base,
                              const AccuracyResult &fp32);

class ValidationOracle : public AccuracyOracle {
public:
  ValidationOracle(PolicyScorer &scorer, const Dataset &data,
                   exec::Executable &reference, unsigned threads)
      : scorer(scorer), data(data), reference(reference), threads(threads) {}

  llvm::Expected<Quality> measure(const Policy &policy) override;
  unsigned getNumMeasured() const override { return cache.size(); }
  bool hasLabels() const override { return data.hasLabels(); }

  /// Called once per distinct policy measured.
  std::function<void(const Policy &, const Quality &)> onMeasured;

private:
  PolicyScorer &scorer;
  const Dataset &data;
  exec::Executable &reference;
  unsigned threads;
  std::map<std::string, Quality> cache;
};

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_VALIDATIONORACLE_H
