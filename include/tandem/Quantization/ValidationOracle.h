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
// against the fp32 model, each distinct policy once; and its counterpart
// for sequential GPTQ, which rounds and compiles every policy it measures.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_VALIDATIONORACLE_H
#define TANDEM_QUANTIZATION_VALIDATIONORACLE_H

#include "tandem/Quantization/PolicyScorer.h"
#include "tandem/Quantization/Sensitivity.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <deque>
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

/// Policies rounded by sequential GPTQ (GPTQ.h) and measured on validation
/// data: one run of the model per step to round each policy, too slow for
/// every policy a search scores, so searches score GPTQ-rounded policies
/// and this measures the few that are reported. Each policy is rounded on a
/// copy of the model and compiled with fake quantization (no PolicyScorer:
/// its weights are not a function of the widths alone); the last few
/// rounded models are kept, so measuring a policy and then asking for its
/// model rounds once.
class SequentialOracle : public AccuracyOracle {
public:
  /// `module`: the calibrated fp32 model; calibration takes the first
  /// `calibrationSamples` of `calibrationPath`.
  SequentialOracle(mlir::ModuleOp module, std::string calibrationPath,
                   int64_t calibrationSamples, const Dataset &data,
                   exec::Executable &reference, unsigned threads)
      : module(module), calibrationPath(std::move(calibrationPath)),
        calibrationSamples(calibrationSamples), data(data),
        reference(reference), threads(threads) {}
  ~SequentialOracle() override;

  /// On the validation data; `policy`'s weights.rounding is taken as
  /// "gptq-sequential" whatever it says.
  llvm::Expected<Quality> measure(const Policy &policy) override;
  /// On other data (a test split); not cached.
  llvm::Expected<Quality> measureOn(const Policy &policy, const Dataset &other);
  /// A copy of the model rounded by `policy`.
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> round(const Policy &policy);

  unsigned getNumMeasured() const override { return cache.size(); }
  bool hasLabels() const override { return data.hasLabels(); }

private:
  /// The model rounded by `policy`, rounded now unless kept.
  llvm::Expected<mlir::ModuleOp> getRounded(Policy policy);

  mlir::ModuleOp module;
  std::string calibrationPath;
  int64_t calibrationSamples;
  const Dataset &data;
  exec::Executable &reference;
  unsigned threads;
  std::unique_ptr<Dataset> calibration;
  std::map<std::string, Quality> cache;
  /// The rounded models by printed policy, oldest first; the compiled one.
  std::deque<std::pair<std::string, mlir::OwningOpRef<mlir::ModuleOp>>> rounded;
  std::string compiledKey;
  std::unique_ptr<exec::Executable> compiled;
};

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_VALIDATIONORACLE_H
